"""The schedule's answer to ``minsheng_project_progress``: each project's 序时进度 for the engine's readers that
show progress without knowing this plugin (``projectsGeoJSON``, the list export).

For today, while the maintained table is current (``maintained.current``), the figures are read from it; for
another day, or before the first tick, they are computed (``standing.standings``), a few queries per 500 projects.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Sequence

from engine.hookspecs import ProjectProgress
from engine.storage.sql import Sql, to_date
from plugins.schedule import maintained
from plugins.schedule.pace import CENT, STATUS_LABELS
from plugins.schedule.standing import CHUNK, Planned, standings

if TYPE_CHECKING:
    from engine.core import Engine


def progress_of(engine: Engine, sql: Sql, project_ids: Sequence[int], on: dt.date) -> dict[int, ProjectProgress]:
    """Project id → its progress on ``on``; projects without a planned period are left out."""
    ids = sorted(set(project_ids))
    read = _from_table if on == engine.clock.today() and maintained.current(sql, on) else _computed
    found: dict[int, ProjectProgress] = {}
    for start in range(0, len(ids), CHUNK):
        found.update(read(engine, sql, ids[start:start + CHUNK], on))
    return found


def _from_table(engine: Engine, sql: Sql, ids: Sequence[int], on: dt.date) -> dict[int, ProjectProgress]:
    marks = ", ".join("?" for _ in ids)
    rows = sql.all(f"SELECT project_id, expected_cents, reported_cents, lag_cents, status, colour, colour_label FROM "
                   f"schedule_standing WHERE project_id IN ({marks})", tuple(ids))
    return {r[0]: ProjectProgress(_points(r[1]), None if r[2] is None else _points(r[2]),
                                  _points(r[3]), r[4], STATUS_LABELS[r[4]], r[5], r[6]) for r in rows}


def _computed(engine: Engine, sql: Sql, ids: Sequence[int], on: dt.date) -> dict[int, ProjectProgress]:
    marks = ", ".join("?" for _ in ids)
    rows = sql.all(f"SELECT id, workflow_id, state, planned_start, planned_end FROM project WHERE id IN ({marks})",
                   tuple(ids))
    planned = [Planned(r[0], r[1], r[2], to_date(r[3]), to_date(r[4])) for r in rows]
    return {pid: s.pace for pid, s in standings(engine, sql, planned, on).items()}


def _points(cents: object) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)  # type: ignore[call-overload]
