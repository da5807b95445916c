"""The monthly bulletin 月通报 of a region: the dashboard as of the month's end (or today while the month runs),
each project on the list with its 序时进度, the lagging projects, the plugins' sheets (funds by source, overdue
rectifications, open notices) and the 红黑榜 — gathered here, written as a workbook by ``workbook``.

The figures are the ``dashboard(region, year, month)`` and ``redBlackList(region, year, month)`` of the same reader,
so a bulletin says what the API says. A region or month without projects gives an empty bulletin, not an error.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from engine.dashboard.board import Board, board
from engine.dashboard.counts import PLANNED, stage
from engine.dashboard.rankings import Standings, as_of, standings
from engine.dashboard.rules import Rules
from engine.directory.regions import RegionView
from engine.workflow.scopes import Reach

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.sql import Sql

LINES = ("SELECT p.id, p.code, p.title, u.name, p.target, p.workflow_id, p.state, p.previous_state FROM project p "
         "LEFT JOIN unit u ON u.id = p.lead_unit_id WHERE {where} ORDER BY p.region_path, p.code")


@dataclass(frozen=True)
class ProjectLine:
    """One project of the list (planned or further on) as the bulletin prints it; progress figures are None
    without a schedule plugin or a planned period."""

    number: int
    code: str
    title: str
    unit: str
    target: str
    state_label: str
    expected: Decimal | None = None
    actual: Decimal | None = None
    lag: Decimal | None = None
    status: str | None = None
    status_label: str = ""
    colour: str | None = None
    colour_label: str = ""


@dataclass(frozen=True)
class Bulletin:
    region: RegionView
    year: int
    month: int
    on: dt.date
    board: Board
    standings: Standings
    projects: list[ProjectLine]

    @property
    def lagging(self) -> list[ProjectLine]:
        """Projects behind 序时进度 (慢序时), most behind first."""
        behind = [p for p in self.projects if p.status == "behind" and p.lag is not None]
        return sorted(behind, key=lambda p: (-p.lag, p.number))  # type: ignore[operator]


def monthly(engine: Engine, sql: Sql, reader: Reach, region: RegionView, year: int, month: int,
            rules: Rules) -> Bulletin:
    """The bulletin of ``region`` for ``month`` of ``year``, counting what ``reader`` reaches."""
    on = as_of(year, month, engine.clock.today())
    found = board(engine, sql, reader, region, on, year, detail=True)
    ranked = standings(engine, sql, reader, region, year, month, rules)
    return Bulletin(region, year, month, on, found, ranked, project_lines(engine, sql, found))


def project_lines(engine: Engine, sql: Sql, found: Board) -> list[ProjectLine]:
    """The scope's projects on the list, numbered, with their progress from ``minsheng_project_progress``."""
    rows = []
    for pid, code, title, unit, target, workflow_id, state, previous in sql.all(
            LINES.format(where=found.scope.where), found.scope.params):
        definition = engine.workflows.get(workflow_id).definition
        if stage(definition, state, previous) >= PLANNED:
            rows.append((pid, code, title, unit or "", target or "", definition.states[state].label))
    progress = engine.plugins.hook.minsheng_project_progress(engine=engine, sql=sql, project_ids=[r[0] for r in rows],
                                                            on=found.on) if rows else None
    lines = []
    for number, (pid, code, title, unit, target, label) in enumerate(rows, start=1):
        p = (progress or {}).get(pid)
        extra = {} if p is None else dict(expected=p.expected, actual=p.reported, lag=p.lag, status=p.status,
                                         status_label=p.status_label, colour=p.colour, colour_label=p.colour_label)
        lines.append(ProjectLine(number, code, title, unit, target, label, **extra))
    return lines
