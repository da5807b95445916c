"""The dashboard of a region: counts by state, 完成率 and 开工率, the same per child region and per lead unit, and
every plugin's figures (``minsheng_dashboard_figures``).

Each figure group is one function running one aggregate query over the scope (``counts.count`` with the scope's
grouping, ``plugin_figures`` per plugin), so a maintained aggregate table can take over any of them alone.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.dashboard import tallied
from engine.dashboard.counts import Counts, StateCount, count, state_counts
from engine.dashboard.figures import FigureSet
from engine.dashboard.scope import LEAD_UNIT, FigureScope, child_region_key, figure_scope
from engine.directory.regions import RegionView
from engine.plugins import flatten
from engine.workflow.scopes import Reach

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.sql import Sql

NO_UNIT = "未定牵头单位"
OWN = "（本级）"


@dataclass(frozen=True)
class Row:
    """One row of a breakdown: a child region (``own``: the region's own projects, 本级) or a lead unit
    (``id`` None: projects without a lead unit)."""

    kind: str  # region | unit
    id: int | None
    name: str
    counts: Counts
    own: bool = False


@dataclass(frozen=True)
class Board:
    region: RegionView
    on: dt.date
    year: int | None
    category: str | None
    lead_unit_id: int | None
    counts: Counts
    states: list[StateCount]
    regions: list[Row]
    units: list[Row]
    plugins: list[FigureSet]
    scope: FigureScope


def board(engine: Engine, sql: Sql, reader: Reach, region: RegionView, on: dt.date, year: int | None = None,
          category: str | None = None, lead_unit_id: int | None = None, detail: bool = False) -> Board:
    """The dashboard of ``region`` (one the reader may name) as of ``on``, counting what the reader reaches."""
    scope = figure_scope(engine, reader, region, on, year, category, lead_unit_id, detail)
    counts = count(engine, sql, scope).get(0) or Counts()
    return Board(region, on, year, category, lead_unit_id, counts, state_counts(engine, counts),
                 region_rows(engine, sql, region, scope), unit_rows(engine, sql, scope),
                 plugin_figures(engine, sql, scope), scope)


def plugin_figures(engine: Engine, sql: Sql, scope: FigureScope) -> list[FigureSet]:
    """Every plugin's figure sets over ``scope`` (one per group when it is grouped), in plugin order."""
    results = engine.plugins.hook.minsheng_dashboard_figures(engine=engine, sql=sql, scope=scope)
    return [s for s in flatten(reversed(results)) if isinstance(s, FigureSet)]


def region_rows(engine: Engine, sql: Sql, region: RegionView, scope: FigureScope) -> list[Row]:
    """Every child region of ``region`` (with its whole subtree), and the region's own projects when it has
    some; children without projects are listed with zeros."""
    children = sql.all("SELECT id, name, path FROM region WHERE parent_id = ? ORDER BY id", (region.id,))
    if scope.maintained:
        found = tallied.region_counts(engine, sql, region.path, [path for _, _, path in children], scope.year)
    else:
        found = count(engine, sql, scope.grouped(child_region_key(sql, region)))
    rows = []
    if region.path in found:
        rows.append(Row("region", region.id, region.name + OWN, found[region.path], own=True))
    for child_id, name, path in children:
        rows.append(Row("region", child_id, name, found.get(path) or Counts()))
    return rows


def unit_rows(engine: Engine, sql: Sql, scope: FigureScope) -> list[Row]:
    """Every lead unit with projects in the scope, by unit id (projects without a lead unit last)."""
    if scope.maintained:
        found: dict[Any, Counts] = tallied.unit_counts(engine, sql, scope.tally_path, scope.year)
    else:
        found = count(engine, sql, scope.grouped(LEAD_UNIT))
    names = unit_names(sql, [k for k in found if k is not None])
    rows = [Row("unit", int(k), names.get(int(k), str(k)), found[k]) for k in sorted(k for k in found if k is not None)]
    if None in found:
        rows.append(Row("unit", None, NO_UNIT, found[None]))
    return rows


def unit_names(sql: Sql, ids: list[Any]) -> dict[int, str]:
    names: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = [int(i) for i in ids[start:start + 500]]
        marks = ", ".join("?" for _ in chunk)
        names.update({int(r[0]): r[1] for r in sql.all(f"SELECT id, name FROM unit WHERE id IN ({marks})", chunk)})
    return names
