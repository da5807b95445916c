"""Maintained standings: each project's 序时进度 for the current day, kept in ``schedule_standing`` so that
``laggingProjects`` (for today) reads one index instead of computing every candidate's pace per request.

A row holds what ``standing.standings`` computes (expected, reported, lag, status, colour) plus what the read needs
to filter without the project table (region path, whether the project is under way). ``schedule_standing_day``
says for which day, basis and colour scheme the table is complete: the schedule plugin's tick refreshes every
project for its day and then records it. Between ticks, every progress report and every transition refreshes its
project inside its own transaction. A reader uses the table only when its day, basis and scheme are today's and
the deployment's (``current``); otherwise it computes.

Refreshing is safe at any moment and twice at once: each batch locks its projects' rows first (PostgreSQL
``FOR UPDATE``, in id order; SQLite: the write lock of ``BEGIN IMMEDIATE``), so the figures it writes are never
older than a report or transition committed around it, and two ticks write the same figures.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pony import orm

from engine.storage.sql import Sql, to_date
from plugins.schedule.standing import CHUNK, Planned, basis, standings

if TYPE_CHECKING:
    from engine.core import Engine

COLUMNS = ("project_id", "region_path", "year", "workflow_id", "state", "under_way", "expected_cents", "reported",
           "reported_on", "lag_cents", "status", "colour", "colour_label", "reported_cents")
UPSERT = (f"INSERT INTO schedule_standing ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)}) "
          f"ON CONFLICT (project_id) DO UPDATE SET " +
          ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:]))
PROJECTS = ("SELECT id, workflow_id, state, planned_start, planned_end, region_path, year FROM project"
            " WHERE id IN ({marks}) ORDER BY id")
BATCH = CHUNK
FEW = 2000  # matching standings below which a region's are read through the region index, not the lag index


def index_hint(sql: Sql, matching: int) -> str:
    """SQLite (no statistics) told which standings index serves a region's read: its own entries when they are
    few, else the lag index walked from the top; nothing for PostgreSQL, whose planner knows."""
    return "" if not sql.sqlite else f" INDEXED BY idx_schedule_standing_{'region' if matching <= FEW else 'lag'}"


@dataclass(frozen=True)
class RefreshResult:
    projects: int
    changed: int


def settings_key() -> tuple[str, str]:
    """The deployment's basis and colour scheme file, as recorded with the table's day."""
    return basis(), os.environ.get("MINSHENG_SCHEDULE_COLOURS", "").strip()


def current(sql: Sql, on: dt.date) -> bool:
    """Whether the table holds every project's standing for ``on`` under the deployment's settings."""
    row = sql.one("SELECT on_date, basis, scheme FROM schedule_standing_day WHERE id = 1")
    return row is not None and to_date(row[0]) == on and (row[1], row[2]) == settings_key()


def refresh(engine: Engine, sql: Sql, project_ids: Sequence[int], on: dt.date, compare: bool = True) -> RefreshResult:
    """Recompute and store the standings of ``project_ids`` on ``on`` inside the caller's write transaction;
    rows of projects without a planned period are removed. Locks the projects' rows (PostgreSQL). Without
    ``compare`` (a transition: the state changed, so its row does) every standing is written without reading
    what is stored first, and ``changed`` counts them all."""
    changed = total = 0
    for start in range(0, len(project_ids), BATCH):
        chunk = sorted(project_ids[start:start + BATCH])
        marks = ", ".join("?" for _ in chunk)
        rows = sql.all(PROJECTS.format(marks=marks) + sql.for_update(), tuple(chunk))
        wanted = _rows(engine, sql, rows, on)
        if compare:
            stored = {r[0]: _normal(r) for r in sql.all(
                f"SELECT {', '.join(COLUMNS)} FROM schedule_standing WHERE project_id IN ({marks})", tuple(chunk))}
            writes = [row for pid, row in wanted.items() if stored.get(pid) != row]
            gone = [pid for pid in stored if pid not in wanted]
        else:
            writes, gone = list(wanted.values()), [pid for pid in chunk if pid not in wanted]
        if writes:
            sql.execute_many(UPSERT, writes)  # PostgreSQL: a page of rows per statement
        if gone:
            sql.execute(f"DELETE FROM schedule_standing WHERE project_id IN ({', '.join('?' for _ in gone)})",
                        tuple(gone))
        changed, total = changed + len(writes) + len(gone), total + len(wanted)
    return RefreshResult(total, changed)


def refresh_all(engine: Engine, on: dt.date) -> RefreshResult:
    """Refresh every project for ``on``, a batch per write transaction, then record the day."""
    with orm.db_session:
        ids = [r[0] for r in Sql(engine.db).all(
            "SELECT id FROM project WHERE planned_start IS NOT NULL AND planned_end IS NOT NULL "
            "UNION SELECT project_id FROM schedule_standing ORDER BY 1")]
    changed = 0
    for start in range(0, len(ids), BATCH * 4):
        with orm.db_session(immediate=True):
            changed += refresh(engine, Sql(engine.db), ids[start:start + BATCH * 4], on).changed
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        chosen, scheme = settings_key()
        sql.execute("DELETE FROM schedule_standing_day WHERE id = 1")
        sql.execute("INSERT INTO schedule_standing_day (id, on_date, basis, scheme) VALUES (1, ?, ?, ?)",
                    (on, chosen, scheme))
    return RefreshResult(len(ids), changed)


def _rows(engine: Engine, sql: Sql, rows: list[tuple], on: dt.date) -> dict[int, tuple]:
    planned = [Planned(r[0], r[1], r[2], _date(r[3]), _date(r[4])) for r in rows]
    found = standings(engine, sql, planned, on, store=True)
    places = {r[0]: (r[5], int(r[6])) for r in rows}
    under_way = under_way_states(engine)
    result = {}
    for p in planned:
        s = found.get(p.project_id)
        if s is None:
            continue
        pace = s.pace
        result[p.project_id] = (
            p.project_id, *places[p.project_id], p.workflow_id, p.state, (p.workflow_id, p.state) in under_way,
            _cents(pace.expected),
            None if pace.reported is None else int(pace.reported), s.reported_on, _cents(pace.lag), pace.status,
            pace.colour, pace.colour_label, None if pace.reported is None else _cents(pace.reported))
    return result


def under_way_states(engine: Engine) -> set[tuple[int, str]]:
    """(workflow, state) pairs of projects under way: not planned (editable), final or done."""
    return {(wid, s.name) for wid, w in engine.workflows.by_id.items() for s in w.definition.states.values()
            if not (s.final or s.editable or getattr(s, "done", False))}


def _normal(row: tuple) -> tuple:
    """A stored row in the form ``_rows`` builds (drivers give booleans and dates their own way)."""
    return (row[0], row[1], int(row[2]), int(row[3]), row[4], bool(row[5]), int(row[6]),
            None if row[7] is None else int(row[7]), None if row[8] is None else to_date(row[8]), int(row[9]),
            *row[10:13], None if row[13] is None else int(row[13]))


def _cents(value: object) -> int:
    return int((value * 100).to_integral_value())  # type: ignore[operator]


def _date(value: object) -> dt.date | None:
    return None if value is None else to_date(value)
