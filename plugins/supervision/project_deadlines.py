"""The deadlines one project is watched by now: its state's, and its open rectifications' (when supervised)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.storage.sql import Sql, to_date, to_datetime
from engine.workflow.model import LadderStep

from plugins.supervision import due
from plugins.supervision.tick import distance
from plugins.supervision.time import after, calendar_of

if TYPE_CHECKING:
    from engine.core import Engine


@dataclass(frozen=True)
class WatchedDeadline:
    key: str
    source_id: int
    label: str
    due_on: dt.date
    status: str
    steps: tuple[tuple[LadderStep, dt.date, bool], ...]  # each step, the day it falls due, whether issued


def of_project(engine: Engine, sql: Sql, project_id: int) -> list[WatchedDeadline]:
    """The project's deadlines, each with its ladder's dates (the caller has checked the reader may see them)."""
    row = sql.one("SELECT workflow_id, state, planned_start, planned_end FROM project WHERE id = ?", (project_id,))
    if row is None:
        return []
    calendar, today = calendar_of(engine), engine.clock.today()
    definition = engine.workflows.get(row[0]).definition
    state = definition.states[row[1]]
    found: list[tuple[str, int, str, dt.date, tuple[LadderStep, ...]]] = []
    if state.deadline is not None:
        due_on = _state_due(sql, project_id, state, row, calendar)
        if due_on is not None:
            label = due.FIELD_LABELS.get(state.deadline.field or "", "") or f"time limit ({state.deadline.duration} in {state.label}/{state.name})"
            found.append((state.name, 0, label, due_on, definition.ladder_of(state.name)))
    if definition.supervision.rectifications and due.has_rectifications(engine):
        for rid, deadline, description in sql.all(
                "SELECT id, deadline, description FROM inspection_rectification WHERE project_id = ?"
                " AND status = 'open' ORDER BY deadline, id", (project_id,)):
            found.append((due.RECTIFICATION, rid, f"rectification '{description[:60]}' deadline", to_date(deadline),
                          definition.supervision.rectifications))
    return [_watched(sql, project_id, f, calendar, today) for f in found]


def _state_due(sql: Sql, project_id: int, state: Any, row: tuple, calendar: Any) -> dt.date | None:
    if state.deadline.field:
        return to_date(row[2] if state.deadline.field == "planned_start" else row[3])
    entered = sql.scalar("SELECT MAX(at) FROM audit_record WHERE project_id = ? AND to_state = ?"
                         " AND kind IN ('create', 'transition')", (project_id, state.name))
    return None if entered is None else after(state.deadline.duration, to_datetime(entered).date(), calendar)


def _watched(sql: Sql, project_id: int, found: tuple, calendar: Any, today: dt.date) -> WatchedDeadline:
    key, source_id, label, due_on, ladder = found
    issued = {r[0] for r in sql.all("SELECT step FROM supervision_notice WHERE project_id = ? AND deadline_key = ?"
                                    " AND source_id = ? AND due_on = ?", (project_id, key, source_id, due_on))}
    steps = tuple((s, due.step_date(s, due_on, calendar), s.step in issued) for s in ladder)
    return WatchedDeadline(key, source_id, label, due_on, distance(due_on, today, calendar), steps)
