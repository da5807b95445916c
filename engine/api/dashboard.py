"""``dashboard`` and ``redBlackList``: a region's figures for the caller, scoped like every read (a region the
caller may not read answers NOT_FOUND, exactly like a missing one; a unit clerk counts its unit's projects; the
public counts published projects and gets no unpublished figures). Breakdowns and plugin figures are computed
only when the query asks for them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

import strawberry
from strawberry.types import Info

from engine.api.access import readable_region
from engine.api.context import RequestContext
from engine.api.figure_types import DashboardFigure, DashboardRow, FigureGroup, StateTally
from engine.api.ids import from_global_id, to_global_id
from engine.api.shape import cost_hint
from engine.api.types import Region
from engine.dashboard import rankings, rules
from engine.dashboard.board import plugin_figures, region_rows, unit_rows
from engine.dashboard.counts import Counts, count, state_counts
from engine.dashboard.scope import FigureScope, figure_scope
from engine.directory.access import reach
from engine.directory.regions import RegionView
from engine.errors import FieldProblem, InvalidInput

YEARS = (2000, 2100)


@strawberry.type(description="A region's figures for the caller: counts by state, 完成率 and 开工率, the same per "
                             "child region and lead unit, and every plugin's figures.")
class Dashboard:
    region: Region
    year: int
    as_of: dt.date = strawberry.field(description="The day time-dependent figures are as of.")
    category: Optional[str]
    projects: int
    planned: int = strawberry.field(description="Projects on the list: states marked planned, started or done.")
    started: int = strawberry.field(description="Projects whose work has started: states marked started or done.")
    completed: int = strawberry.field(description="Completed projects: states marked done.")
    completion_rate: Optional[Decimal] = strawberry.field(description="完成率 = completed / planned, percent.")
    start_rate: Optional[Decimal] = strawberry.field(description="开工率 = started / planned, percent.")
    by_state: list[StateTally] = strawberry.field(metadata=cost_hint(12))
    scope: strawberry.Private[FigureScope]
    view: strawberry.Private[RegionView]

    @strawberry.field(description="Each child region (with everything below it), and the region's own projects.",
                      metadata=cost_hint(10))
    def by_region(self, info: Info) -> list[DashboardRow]:
        ctx: RequestContext = info.context
        return [DashboardRow.of(r) for r in region_rows(ctx.engine, ctx.sql, self.view, self.scope)]

    @strawberry.field(description="Each lead unit with projects here.", metadata=cost_hint(20))
    def by_lead_unit(self, info: Info) -> list[DashboardRow]:
        ctx: RequestContext = info.context
        return [DashboardRow.of(r) for r in unit_rows(ctx.engine, ctx.sql, self.scope)]

    @strawberry.field(description="Every plugin's figures (funding, satisfaction, inspection, schedule, "
                                  "supervision, and a region's own plugins).", metadata=cost_hint(6))
    def figures(self, info: Info) -> list[FigureGroup]:
        ctx: RequestContext = info.context
        return [FigureGroup.of(s) for s in plugin_figures(ctx.engine, ctx.sql, self.scope)]


@strawberry.type(description="A unit or child region, ranked, with the list it is on and why.")
class RankedEntry:
    rank: int
    kind: str
    id: Optional[strawberry.ID]
    name: str
    list: Optional[str] = strawberry.field(description="The list's name (red, black …), null when on none.")
    list_label: Optional[str]
    reason: str = strawberry.field(description="The conditions that put it on the list, in figures.")
    figures: list[DashboardFigure] = strawberry.field(metadata=cost_hint(20))

    @classmethod
    def of(cls, e: rankings.Entry) -> RankedEntry:
        node = "Region" if e.kind == "region" else "Unit"
        return cls(rank=e.rank, kind=e.kind, id=None if e.id is None else strawberry.ID(to_global_id(node, e.id)),
                   name=e.name, list=e.list_name, list_label=e.list_label, reason=e.reason,
                   figures=[DashboardFigure.of(f, s.plugin) for s in e.figures for f in s.figures])


@strawberry.type
class RankedList:
    name: str
    label: str
    entries: list[RankedEntry]


@strawberry.type(description="红黑榜: units and child regions ranked by the deployment's rules, as of a month's end.")
class RedBlackList:
    region: Region
    year: int
    month: int
    as_of: dt.date
    lists: list[RankedList] = strawberry.field(metadata=cost_hint(2))
    units: list[RankedEntry] = strawberry.field(metadata=cost_hint(20))
    regions: list[RankedEntry]


def _region(ctx: RequestContext, region: Optional[strawberry.ID]) -> RegionView:
    if region is None:
        if ctx.actor.is_public or ctx.actor.region_id is None:
            raise InvalidInput([FieldProblem(["region"], "name the region (the public has no home region)")])
        return readable_region(ctx.engine, ctx.sql, ctx.actor, ctx.actor.region_id)
    return readable_region(ctx.engine, ctx.sql, ctx.actor, from_global_id(region, "Region", ["region"]))


def _checked(year: int, month: Optional[int]) -> None:
    problems = []
    if not YEARS[0] <= year <= YEARS[1]:
        problems.append(FieldProblem(["year"], f"year must be between {YEARS[0]} and {YEARS[1]}, got {year}"))
    if month is not None and not 1 <= month <= 12:
        problems.append(FieldProblem(["month"], f"month must be between 1 and 12, got {month}"))
    if problems:
        raise InvalidInput(problems)


def dashboard(ctx: RequestContext, region: Optional[strawberry.ID], year: Optional[int], category: Optional[str],
              lead_unit: Optional[strawberry.ID], month: Optional[int]) -> Dashboard:
    today = ctx.engine.clock.today()
    year = today.year if year is None else year
    _checked(year, month)
    view = _region(ctx, region)
    unit_id = from_global_id(lead_unit, "Unit", ["leadUnit"]) if lead_unit is not None else None
    on = today if month is None else rankings.as_of(year, month, today)
    scope = figure_scope(ctx.engine, reach(ctx.engine, ctx.actor), view, on, year, category, unit_id)
    c = count(ctx.engine, ctx.sql, scope).get(0) or Counts()
    return Dashboard(region=Region.of(view), year=year, as_of=on, category=category, projects=c.total,
                     planned=c.planned, started=c.started, completed=c.completed,
                     completion_rate=c.completion_rate, start_rate=c.start_rate,
                     by_state=[StateTally.of(s) for s in state_counts(ctx.engine, c)], scope=scope, view=view)


def red_black_list(ctx: RequestContext, region: Optional[strawberry.ID], year: int, month: int) -> RedBlackList:
    _checked(year, month)
    view = _region(ctx, region)
    found = rankings.standings(ctx.engine, ctx.sql, reach(ctx.engine, ctx.actor), view, year, month,
                               rules.configured())
    return RedBlackList(region=Region.of(view), year=year, month=month, as_of=found.on,
                        lists=[RankedList(name=rule.name, label=rule.label,
                                          entries=[RankedEntry.of(e) for e in entries]) for rule, entries in found.lists],
                        units=[RankedEntry.of(e) for e in found.units],
                        regions=[RankedEntry.of(e) for e in found.regions])


@strawberry.type
class DashboardQuery:
    @strawberry.field(description="A region's figures (default: your home region; the public must name one) for a "
                                  "year (default: this year), as of today or the end of month (1–12).")
    def dashboard(self, info: Info, region: Optional[strawberry.ID] = None, year: Optional[int] = None,
                  category: Optional[str] = None, lead_unit: Optional[strawberry.ID] = None,
                  month: Optional[int] = None) -> Dashboard:
        return dashboard(info.context, region, year, category, lead_unit, month)

    @strawberry.field(description="红黑榜 and rankings of a region's units and child regions for a month.")
    def red_black_list(self, info: Info, year: int, month: int,
                       region: Optional[strawberry.ID] = None) -> RedBlackList:
        return red_black_list(info.context, region, year, month)
