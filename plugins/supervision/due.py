"""Which (project, deadline, step) notices are due on a date: one SQL query per workflow deadline and step.

A step is due on day ``on`` when ``on`` has reached its date: ``before N`` while the deadline is still ahead and at
most N away, ``at 0`` from the deadline day, ``after N`` from N after it — and neither it nor a later step of its
ladder has a notice yet for the deadline (``NOT EXISTS`` on the notices' unique key), so a tick costs little once
everything is issued, and a step a late tick passed over (see ``tick.highest``) never comes afterwards.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from engine.calendar import CalendarError
from engine.storage.sql import Sql, marks, to_date, to_datetime
from engine.workflow.model import LadderStep, State

from plugins.supervision.time import DAY, after, latest_start

if TYPE_CHECKING:
    from engine.core import Engine

RECTIFICATION = "rectification"
MEASURE = "measure"  # a measure's or milestone's (措施/节点) due date; ``source_id`` is the measure's id
FIELD_LABELS = {"planned_end": "planned end", "planned_start": "planned start"}
PROJECT_COLUMNS = "p.id, p.code, p.title, p.region_id, p.region_path, p.lead_unit_id, p.state"


@dataclass(slots=True)  # not frozen: a tick makes hundreds of thousands, and a frozen one is slower to build
class Candidate:
    """A notice to issue: the project, which deadline (key, source, date), the step and whom it concerns."""

    project_id: int
    code: str
    title: str
    region_id: int
    region_path: str
    unit_id: int | None
    state: str
    deadline_key: str
    source_id: int
    due_on: dt.date
    what: str  # names the deadline in the reason: "planned end", "rectification '…' deadline"
    step: LadderStep
    # still due? a query ("… WHERE id IN ({ids})", its first column the key), the key, the rest of the row expected
    check: tuple[str, Any, tuple[Any, ...]]
    rung: Rung | None = None  # the step in its ladder, as the tick sees it
    passed_over: tuple[str, ...] = ()  # labels of the lower steps due at the same time, which get no notice

    @property
    def rank(self) -> int:
        return 0 if self.rung is None else self.rung.rank


@dataclass(frozen=True)
class Rung:
    """A step of a ladder as a tick on one day sees it: its place (``rank``) and each step's window (None where the
    calendar cannot date it)."""

    ladder: tuple[LadderStep, ...]
    rank: int
    windows: tuple[tuple[dt.date, dt.date | None] | None, ...]

    @property
    def step(self) -> LadderStep:
        return self.ladder[self.rank]

    @property
    def later(self) -> tuple[str, ...]:
        """This step and every step after it: a notice at any of them means this step is no longer due."""
        return tuple(dict.fromkeys(s.step for s in self.ladder[self.rank:]))

    @property
    def window(self) -> tuple[dt.date, dt.date | None]:
        found = self.windows[self.rank]
        assert found is not None  # a step the calendar cannot date is skipped before it is looked for
        return found

    @property
    def above(self) -> tuple[dt.date, dt.date | None] | None:
        """The next step's window: a deadline in it is due there (or already past it), never at this step."""
        return self.windows[self.rank + 1] if self.rank + 1 < len(self.ladder) else None


def within(day: dt.date, found: tuple[dt.date, dt.date | None]) -> bool:
    upper, lower = found
    return day <= upper and (lower is None or day > lower)


def not_within(column: str, found: tuple[dt.date, dt.date | None] | None) -> tuple[str, list[Any]]:
    """A SQL condition (and its parameters) leaving out the deadlines ``column`` in the window ``found``."""
    if found is None:
        return "", []
    upper, lower = found
    return (f" AND NOT ({column} <= ?" + (f" AND {column} > ?" if lower else "") + ")",
            [upper, *([lower] if lower else [])])


def window(step: LadderStep, on: dt.date, calendar: Any) -> tuple[dt.date, dt.date | None]:
    """Deadlines ``d`` for which ``step`` is due on ``on``: ``d <= upper`` and, if ``lower``, ``d > lower``."""
    if step.when == "before":
        return after(step.offset, on, calendar), on
    if step.when == "at":
        return on, None
    return latest_start(step.offset, on, calendar), None


def step_date(step: LadderStep, due: dt.date, calendar: Any) -> dt.date:
    """The first day ``step`` is due for a deadline on ``due``."""
    if step.when == "before":
        return latest_start(step.offset, due - DAY, calendar) + DAY
    return due if step.when == "at" else after(step.offset, due, calendar)


def candidates(engine: Engine, sql: Sql, on: dt.date, calendar: Any,
               problems: list[str] | None = None) -> Iterator[Candidate]:
    """Every notice due on ``on`` and not yet issued, over every workflow version's deadlines, each deadline at the
    highest step due (a lower step of the same deadline is left out in the query). A step whose dates the calendar
    cannot give (a year it has no data for) is skipped and said in ``problems``; the rest go on."""
    for workflow_id, loaded in engine.workflows.by_id.items():
        definition = loaded.definition
        name = f"{definition.name} v{definition.version}"
        for state in definition.states.values():
            if state.deadline is None:
                continue
            for rung in _rungs(definition.ladder_of(state.name), on, calendar, problems, f"{name}, {state.name}"):
                yield from _guarded(problems, f"{name}, {state.name}", rung,
                                    lambda: _state_due(sql, workflow_id, state, rung, on, calendar))
        if definition.supervision.rectifications and has_rectifications(engine):
            for rung in _rungs(definition.supervision.rectifications, on, calendar, problems,
                               f"{name}, rectifications"):
                yield from _guarded(problems, f"{name}, rectifications", rung,
                                    lambda: _rectifications_due(sql, workflow_id, rung))
        if definition.supervision.measures and has_measures(engine):
            states = measured_states(definition)
            for rung in _rungs(definition.supervision.measures, on, calendar, problems, f"{name}, measures"):
                yield from _guarded(problems, f"{name}, measures", rung,
                                    lambda: _measures_due(sql, workflow_id, states, rung))


def _rungs(ladder: Sequence[LadderStep], on: dt.date, calendar: Any, problems: list[str] | None,
           where: str) -> Iterator[Rung]:
    """Each step of ``ladder`` with the windows of all (a step the calendar cannot date is skipped and said)."""
    windows: list[tuple[dt.date, dt.date | None] | None] = []
    errors: list[CalendarError | None] = []
    for step in ladder:
        try:
            windows.append(window(step, on, calendar))
            errors.append(None)
        except CalendarError as exc:
            windows.append(None)
            errors.append(exc)
    for rank, step in enumerate(ladder):
        if errors[rank] is None:
            yield Rung(tuple(ladder), rank, tuple(windows))
        elif problems is None:
            raise errors[rank]  # type: ignore[misc]
        else:
            problems.append(f"step '{step.step}' ({where}) skipped: {errors[rank].message}")  # type: ignore[union-attr]


def _state_due(sql: Sql, workflow_id: int, state: State, rung: Rung, on: dt.date,
               calendar: Any) -> Iterator[Candidate]:
    if state.deadline.field:
        return _field_due(sql, workflow_id, state, rung)
    return _duration_due(sql, workflow_id, state, rung, calendar)


def _guarded(problems: list[str] | None, where: str, rung: Rung,
             found: Callable[[], Iterator[Candidate]]) -> Iterator[Candidate]:
    try:
        for candidate in found():
            candidate.rung = rung
            yield candidate
    except CalendarError as exc:
        if problems is None:
            raise
        problems.append(f"step '{rung.step.step}' ({where}) skipped: {exc.message}")


def has_rectifications(engine: Engine) -> bool:
    """Whether the inspection plugin's rectifications exist in this engine (the plugin may be disabled)."""
    return any(entity._table_ == "inspection_rectification" for entity in engine.db.entities.values())


def has_measures(engine: Engine) -> bool:
    """Whether the schedule plugin's measures exist in this engine (the plugin may be disabled)."""
    return any(entity._table_ == "schedule_measure" for entity in engine.db.entities.values())


def measured_states(definition: Any) -> tuple[str, ...]:
    """The states in which a project's open measures are chased: every state but the final ones and those that
    stop the clock (暂缓: a suspended project's dates wait with it)."""
    return tuple(sorted(s.name for s in definition.states.values() if not (s.final or s.stops_clock)))


NOT_ISSUED = ("NOT EXISTS (SELECT 1 FROM supervision_notice n WHERE n.project_id = p.id AND n.deadline_key = ?"
              " AND n.source_id = {source} AND n.due_on = {due} AND n.step IN ({later}))")


def _field_due(sql: Sql, workflow_id: int, state: State, rung: Rung) -> Iterator[Candidate]:
    column = f"p.{state.deadline.field}"  # a name from DEADLINE_FIELDS, checked by the loader
    upper, lower = rung.window
    higher, higher_params = not_within(column, rung.above)
    query = (f"SELECT {PROJECT_COLUMNS}, {column} FROM project p WHERE p.workflow_id = ? AND p.state = ?"
             f" AND {column} IS NOT NULL AND {column} <= ?" + (f" AND {column} > ?" if lower else "") + higher +
             " AND " + NOT_ISSUED.format(source="0", due=column, later=marks(len(rung.later))))
    params = [workflow_id, state.name, upper, *([lower] if lower else []), *higher_params, state.name, *rung.later]
    check = f"SELECT id, state, {state.deadline.field} FROM project WHERE id IN ({{ids}})"
    for row in sql.all(query, params):
        due = to_date(row[7])
        yield Candidate(*row[:7], state.name, 0, due, FIELD_LABELS.get(state.deadline.field, state.deadline.field),
                        rung.step, (check, row[0], (state.name, due)))


ENTERED = ("(SELECT MAX(a.at) FROM audit_record a WHERE a.project_id = p.id AND a.to_state = p.state"
           " AND a.kind IN ('create', 'transition'))")


def _duration_due(sql: Sql, workflow_id: int, state: State, rung: Rung, calendar: Any) -> Iterator[Candidate]:
    """Deadlines a duration after entering the state; issued notices count since the project entered it."""
    limit = state.deadline.duration or ""
    upper, lower = rung.window
    entered_by = dt.datetime.combine(latest_start(limit, upper, calendar) + DAY, dt.time())
    later = rung.later
    query = (f"SELECT {PROJECT_COLUMNS}, e.entered FROM project p JOIN (SELECT p.id AS pid, {ENTERED} AS entered"
             " FROM project p WHERE p.workflow_id = ? AND p.state = ?) e ON e.pid = p.id WHERE e.entered < ?"
             " AND NOT EXISTS (SELECT 1 FROM supervision_notice n WHERE n.project_id = p.id AND n.deadline_key = ?"
             f" AND n.step IN ({marks(len(later))}) AND n.issued_at >= e.entered)")
    check = "SELECT id, state FROM project WHERE id IN ({ids})"
    for row in sql.all(query, (workflow_id, state.name, entered_by, state.name, *later)):
        due = after(limit, to_datetime(row[7]).date(), calendar)
        if (lower is None or due > lower) and (rung.above is None or not within(due, rung.above)):
            yield Candidate(*row[:7], state.name, 0, due, f"time limit ({limit} in {state.label}/{state.name})",
                            rung.step, (check, row[0], (state.name,)))


def _rectifications_due(sql: Sql, workflow_id: int, rung: Rung) -> Iterator[Candidate]:
    upper, lower = rung.window
    higher, higher_params = not_within("r.deadline", rung.above)
    query = (f"SELECT {PROJECT_COLUMNS}, r.id, r.deadline, r.unit_id, r.description FROM inspection_rectification r"
             " JOIN project p ON p.id = r.project_id WHERE r.status = 'open' AND p.workflow_id = ?"
             " AND r.deadline <= ?" + (" AND r.deadline > ?" if lower else "") + higher + " AND " +
             NOT_ISSUED.format(source="r.id", due="r.deadline", later=marks(len(rung.later))))
    params = [workflow_id, upper, *([lower] if lower else []), *higher_params, RECTIFICATION, *rung.later]
    check = "SELECT id, status, deadline FROM inspection_rectification WHERE id IN ({ids})"
    for row in sql.all(query, params):
        due, unit_id = to_date(row[8]), row[9] if row[9] is not None else row[5]
        what = f"rectification '{row[10][:60]}' deadline"
        yield Candidate(row[0], row[1], row[2], row[3], row[4], unit_id, row[6], RECTIFICATION, row[7], due, what,
                        rung.step, (check, row[7], ("open", due)))


def _measures_due(sql: Sql, workflow_id: int, states: tuple[str, ...], rung: Rung) -> Iterator[Candidate]:
    """Open (not done, on the plan) measures due within the window, of projects in a chased state; each notice is
    addressed to the measure's responsible unit (牵头 or 配合)."""
    if not states:
        return
    upper, lower = rung.window
    higher, higher_params = not_within("m.due_on", rung.above)
    query = (f"SELECT {PROJECT_COLUMNS}, m.id, m.due_on, m.unit_id, m.title FROM schedule_measure m"
             " JOIN project p ON p.id = m.project_id WHERE m.done = ? AND m.removed_at IS NULL AND m.due_on <= ?"
             + (" AND m.due_on > ?" if lower else "") + higher + " AND p.workflow_id = ?"
             f" AND p.state IN ({', '.join('?' for _ in states)}) AND "
             + NOT_ISSUED.format(source="m.id", due="m.due_on", later=marks(len(rung.later))))
    params = [False, upper, *([lower] if lower else []), *higher_params, workflow_id, *states, MEASURE, *rung.later]
    check = ("SELECT m.id, m.done, m.due_on, m.unit_id, p.state FROM schedule_measure m JOIN project p ON"
             " p.id = m.project_id WHERE m.id IN ({ids}) AND m.removed_at IS NULL")
    for row in sql.all(query, params):
        due, unit_id = to_date(row[8]), row[9]
        what = f"measure '{row[10][:60]}' due date"
        yield Candidate(row[0], row[1], row[2], row[3], row[4], unit_id, row[6], MEASURE, row[7], due, what,
                        rung.step, (check, row[7], (False, due, unit_id, row[6])))
