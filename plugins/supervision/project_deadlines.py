"""The deadlines one project is watched by now: its state's, and its open rectifications' (when supervised)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from engine.storage.sql import Sql, by_project, marks, to_date, to_datetime
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
    # each step, the day it falls due, whether issued, whether passed over (a later step's notice came first)
    steps: tuple[tuple[LadderStep, dt.date, bool, bool], ...]
    lead_unit_id: int | None = None  # the project's lead unit
    unit_id: int | None = None  # the unit the deadline's notices are addressed to


def of_projects(engine: Engine, sql: Sql, project_ids: Sequence[int]) -> dict[int, list[WatchedDeadline]]:
    """Each project's deadlines, each with its ladder's dates (the caller has checked the reader may see them), in
    five queries whatever their number: the projects, the days they entered their states, their open
    rectifications, their open measures and the notices already issued."""
    if not project_ids:
        return {}
    ids, listed = list(project_ids), marks(len(project_ids))
    rows = sql.all(f"SELECT id, workflow_id, state, planned_start, planned_end, lead_unit_id FROM project"
                   f" WHERE id IN ({listed})", ids)
    calendar, today = calendar_of(engine), engine.clock.today()
    entered = {(r[0], r[1]): r[2] for r in sql.all(
        f"SELECT project_id, to_state, MAX(at) FROM audit_record WHERE project_id IN ({listed})"
        " AND kind IN ('create', 'transition') GROUP BY project_id, to_state", ids)}
    open_ones = (by_project(sql.all(
        f"SELECT project_id, id, deadline, description, unit_id FROM inspection_rectification WHERE project_id IN"
        f" ({listed}) AND status = 'open' ORDER BY deadline, id", ids), lambda r: r[1:])
        if due.has_rectifications(engine) else {})
    open_measures = (by_project(sql.all(
        f"SELECT project_id, id, due_on, title, unit_id FROM schedule_measure WHERE project_id IN ({listed})"
        " AND done = ? AND removed_at IS NULL ORDER BY due_on, id", [*ids, False]), lambda r: r[1:])
        if due.has_measures(engine) else {})
    issued = by_project(sql.all("SELECT project_id, deadline_key, source_id, due_on, step FROM supervision_notice"
                                f" WHERE project_id IN ({listed})", ids), lambda r: (r[1], r[2], to_date(r[3]), r[4]))
    result = {}
    for row in rows:  # id, workflow, state, planned start and end, lead unit
        found = _deadlines(engine, row, entered, open_ones.get(row[0], []), open_measures.get(row[0], []), calendar)
        steps = issued.get(row[0], [])
        result[row[0]] = [_watched(f, steps, calendar, today, row[5]) for f in found]
    return result


def _deadlines(engine: Engine, row: tuple, entered: dict, rectifications: list[tuple], measures: list[tuple],
               calendar: Any) -> list[tuple]:
    """(key, source id, label, due on, ladder, addressed unit) of each deadline watching the project in ``row``."""
    project_id, workflow_id, state_name = row[0], row[1], row[2]
    definition = engine.workflows.get(workflow_id).definition
    state = definition.states[state_name]
    lead = row[5]
    found: list[tuple[str, int, str, dt.date, tuple[LadderStep, ...], int | None]] = []
    if state.deadline is not None:
        due_on = _state_due(entered.get((project_id, state_name)), state, row, calendar)
        if due_on is not None:
            label = due.FIELD_LABELS.get(state.deadline.field or "", "") or f"time limit ({state.deadline.duration} in {state.label}/{state.name})"
            found.append((state.name, 0, label, due_on, definition.ladder_of(state.name), lead))
    if definition.supervision.rectifications:
        for rid, deadline, description, unit_id in rectifications:
            found.append((due.RECTIFICATION, rid, f"rectification '{description[:60]}' deadline", to_date(deadline),
                          definition.supervision.rectifications, lead if unit_id is None else unit_id))
    if definition.supervision.measures and state_name in due.measured_states(definition):
        for mid, due_on, title, unit_id in measures:
            found.append((due.MEASURE, mid, f"measure '{title[:60]}' due date", to_date(due_on),
                          definition.supervision.measures, unit_id))
    return found


def _state_due(entered: Any, state: Any, row: tuple, calendar: Any) -> dt.date | None:
    if state.deadline.field:
        return to_date(row[3] if state.deadline.field == "planned_start" else row[4])
    return None if entered is None else after(state.deadline.duration, to_datetime(entered).date(), calendar)


def _watched(found: tuple, notices: list[tuple], calendar: Any, today: dt.date,
             lead_unit_id: int | None) -> WatchedDeadline:
    key, source_id, label, due_on, ladder, unit_id = found
    issued = {step for k, source, on, step in notices if (k, source, on) == (key, source_id, due_on)}
    steps = tuple((s, due.step_date(s, due_on, calendar), s.step in issued,
                   s.step not in issued and any(later.step in issued for later in ladder[rank + 1:]))
                  for rank, s in enumerate(ladder))
    return WatchedDeadline(key, source_id, label, due_on, distance(due_on, today, calendar), steps, lead_unit_id,
                           unit_id)
