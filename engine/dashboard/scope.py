"""Which projects a figure counts: a region's subtree, a year and filters, within what the reader reaches.

``FigureScope`` is what the core's counts and every plugin's ``minsheng_dashboard_figures`` receive: a SQL
condition on ``project p`` with its parameters, the day time-dependent figures are as of, and optionally a grouping
expression (by child region, by lead unit, by project). A reader with the public scope counts published projects
only — not even the ones it created — so no figure it sees depends on an unpublished project.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.directory.access import reach_scope_sql
from engine.directory.regions import RegionView, subtree_bounds
from engine.workflow.scopes import Reach

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.sql import Sql

LEAD_UNIT = "p.lead_unit_id"
PROJECT = "p.id"
UNGROUPED = "(0 * p.year)"


@dataclass(frozen=True)
class FigureScope:
    """The projects to count (``where`` on ``project p``, with ``params``), as of the day ``on``.

    Plugins read their tables from ``project p`` outwards (``FROM project p CROSS JOIN t WHERE t.project_id = p.id
    AND …``: SQLite keeps that join order), so a small region's figures cost what it holds.

    ``group``: None for figures over all of them, else a SQL expression on ``p`` whose value keys one set of
    figures per group (``key`` is the expression, or one equal to 0 when not grouped). ``redacted``: the reader
    is the public (leave out what the public may not see). ``detail``: the caller (the monthly bulletin) also wants
    listings, e.g. every overdue rectification. ``tally_path``: set when the scope is a whole region's subtree
    that maintained aggregates cover (see ``maintained``)."""

    where: str
    params: tuple[Any, ...]
    on: dt.date
    year: int | None = None
    group: str | None = None
    redacted: bool = False
    detail: bool = False
    tally_path: str | None = None

    @property
    def maintained(self) -> bool:
        """Whether the figures may be read from the maintained aggregates (``engine.storage.tally``) of the region
        ``tally_path`` and ``year``: the scope is a whole region subtree and year, ungrouped, without other filters, and the
        reader counts every project there (not only its unit's, nor only published ones)."""
        return self.tally_path is not None and self.year is not None and self.group is None

    @property
    def key(self) -> str:
        """What to select and group by: the grouping, or an expression equal to 0 for every project (a bare
        ``0`` would be read as a column number in GROUP BY)."""
        return self.group or UNGROUPED

    def grouped(self, group: str | None) -> FigureScope:
        return dataclasses.replace(self, group=group)


def figure_reach(reader: Reach) -> Reach:
    """The reach figures are counted in: the reader's, except that a public-scope reader counts published
    projects only (not also the ones it created)."""
    return dataclasses.replace(reader, creator_id=None) if reader.published_only else reader


def figure_scope(engine: Engine, reader: Reach, region: RegionView, on: dt.date, year: int | None = None,
                 category: str | None = None, lead_unit_id: int | None = None,
                 detail: bool = False) -> FigureScope:
    """The scope of a dashboard: ``region`` (already checked to be one the reader may name) and everything below
    it, the year and filters given, within the reader's reach."""
    counted = dataclasses.replace(figure_reach(reader), region_path=None)  # the region lies within the area
    conditions, params = reach_scope_sql(engine, counted, "p")
    conditions = [c for c in conditions if c != "1 = 1"]
    conditions.append("p.region_path >= ? AND p.region_path < ?")
    params.extend(subtree_bounds(region.path))
    # ``+p.year``: no index on the year alone, so SQLite (without statistics) walks the region range instead of every
    # project of the year — a town's figures cost what the town holds
    for condition, value in (("+p.year = ?", year), ("p.category = ?", category), ("p.lead_unit_id = ?", lead_unit_id)):
        if value is not None:
            conditions.append(condition)
            params.append(value)
    whole = not counted.unit_bound and not counted.published_only and category is None and lead_unit_id is None
    return FigureScope(" AND ".join(conditions), tuple(params), on, year, redacted=reader.published_only,
                       detail=detail, tally_path=region.path if whole else None)


def child_region_key(sql: Sql, region: RegionView) -> str:
    """A SQL expression on ``p`` giving the path of the child of ``region`` a project lies in (``region``'s own
    path for the region's own projects): the segment after ``region.path`` up to the next ``/``."""
    length = len(region.path)
    find = "instr" if sql.sqlite else "strpos"
    return f"substr(p.region_path, 1, {length} + {find}(substr(p.region_path, {length + 1}), '/'))"
