"""Measures and milestones 措施/节点: a project's plan, each with a responsible unit (the lead unit 牵头 or one of
its cooperating units 配合), a due date no later than the project's planned end, a weight (default 1: equal) and
done / not done with the date and an evidence note. Changes are ``edit`` records in the audit chain.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Sequence

from engine import audit
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql, by_project, marks, to_date
from plugins.schedule import inputs
from plugins.schedule.permissions import (MEASURE_DONE, MEASURES, leads, locked_for_write, remember, replayed,
                                          write_session)
from plugins.schedule.units import cooperating

if TYPE_CHECKING:
    from engine.core import Engine

MAX_MEASURES = 200
TITLE_LIMIT, EVIDENCE_LIMIT = 200, 2000
MAX_WEIGHT = Decimal("1000000")
SELECT = ("SELECT m.id, m.project_id, m.title, m.unit_id, u.name, m.due_on, m.weight, m.done, m.done_on,"
          " m.evidence, m.done_by_name, p.lead_unit_id FROM schedule_measure m JOIN unit u ON u.id = m.unit_id"
          " JOIN project p ON p.id = m.project_id")


@dataclass(frozen=True)
class MeasureInput:
    """One measure as submitted: ``id`` to change an existing one (its done state is kept), None for a new one."""

    id: int | None
    title: Any
    unit_id: int
    due_on: Any
    weight: Any = None


@dataclass(frozen=True)
class Measure:
    id: int
    project_id: int
    title: str
    unit_id: int
    unit_name: str
    lead: bool  # the responsible unit is the lead unit 牵头 (else a cooperating unit 配合)
    due_on: dt.date
    weight: Decimal
    done: bool
    done_on: dt.date | None
    evidence: str | None
    done_by: str | None


def _measure(r: tuple) -> Measure:
    return Measure(r[0], r[1], r[2], r[3], r[4], r[3] == r[11], to_date(r[5]), Decimal(str(r[6])).quantize(
        Decimal("0.01")), bool(r[7]), to_date(r[8]), r[9], r[10])


def measures(sql: Sql, project_id: int) -> list[Measure]:
    """The project's measures in force, in plan order."""
    return measures_of(sql, [project_id]).get(project_id, [])


def measures_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Measure]]:
    """``measures`` of each project, in one query."""
    rows = sql.all(SELECT + f" WHERE m.project_id IN ({marks(len(project_ids))}) AND m.removed_at IS NULL"
                   " ORDER BY m.position, m.id", list(project_ids))
    return by_project(rows, _measure, 1)


def done_share(plan: Sequence[Measure]) -> Decimal | None:
    """The weighted share of measures done, in percent with two places; None without measures."""
    return share([(m.weight, m.done) for m in plan])


def share(plan: Sequence[tuple]) -> Decimal | None:
    """``done_share`` of (weight, done, …) pairs: what a workflow with ``progress: measures`` reports."""
    total = sum((Decimal(m[0]) for m in plan), Decimal(0))
    if not plan or total == 0:
        return None
    done = sum((Decimal(m[0]) for m in plan if m[1]), Decimal(0))
    return (done * 100 / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def set_measures(engine: Engine, actor: ActorView, project_id: int, items: Sequence[MeasureInput],
                 idempotency_key: Any = None) -> list[Measure]:
    """Replace the project's plan with ``items``; measures left out are taken off the plan (kept on record)."""
    with write_session():
        sql = Sql(engine.db)
        row = locked_for_write(engine, sql, actor, project_id, MEASURES)
        if replayed(sql, actor, idempotency_key, project_id, "set_measures"):
            return measures(sql, project_id)
        end = to_date(sql.scalar("SELECT planned_end FROM project WHERE id = ?", (project_id,)))
        units = {row.view.lead_unit_id, *(u.id for u in cooperating(sql, project_id))} - {None}
        cleaned = _clean(sql, project_id, items, end, units)
        before = [_plain(m) for m in measures(sql, project_id)]
        kept = [_store(sql, project_id, position, item) for position, item in enumerate(cleaned)]
        now = engine.clock.now()
        for gone in sorted(_active_ids(sql, project_id) - set(kept)):
            sql.execute("UPDATE schedule_measure SET removed_at = ? WHERE id = ?", (now, gone))
        after = measures(sql, project_id)
        audit.append_record(sql, project_id, "edit", "set_measures", actor.id, actor.name, now,
                            {"measures": [before, [_plain(m) for m in after]]})
        _refresh(engine, sql, row.workflow_id, project_id)
        remember(sql, actor, idempotency_key, project_id, "set_measures", project_id, now)
        return after


def _active_ids(sql: Sql, project_id: int) -> set[int]:
    return {r[0] for r in sql.all("SELECT id FROM schedule_measure WHERE project_id = ? AND removed_at IS NULL",
                                  (project_id,))}


def _clean(sql: Sql, project_id: int, items: Sequence[MeasureInput], end: dt.date | None,
           units: set[int]) -> list[tuple]:
    if len(items) > MAX_MEASURES:
        raise inputs.problem(["input", "measures"], f"at most {MAX_MEASURES} measures, got {len(items)}")
    existing = _active_ids(sql, project_id)
    problems: list[FieldProblem] = []
    cleaned = []
    for index, item in enumerate(items):
        path = ["input", "measures", str(index)]
        try:
            cleaned.append(_clean_one(item, path, existing, end, units))
        except InvalidInput as exc:
            problems.extend(exc.problems())
    if problems:
        raise InvalidInput(problems)
    return cleaned


def _clean_one(item: MeasureInput, path: list[str], existing: set[int], end: dt.date | None,
               units: set[int]) -> tuple:
    if item.id is not None and item.id not in existing:
        raise inputs.problem([*path, "id"], f"measure {item.id} does not exist on this project")
    title = inputs.text(item.title, [*path, "title"], TITLE_LIMIT, required=True)
    if item.unit_id not in units:
        raise inputs.problem([*path, "unitId"], f"unit {item.unit_id} is neither the project's lead unit (牵头单位) "
                                                "nor one of its cooperating units (配合单位, setCooperatingUnits)")
    if not isinstance(item.due_on, dt.date):
        raise inputs.problem([*path, "dueDate"], f"must be a date like 2024-06-30, got {item.due_on!r}")
    if end is not None and item.due_on > end:
        raise inputs.problem([*path, "dueDate"], f"must not be after the project's planned end "
                                                 f"({end.isoformat()}), got {item.due_on.isoformat()}")
    weight = Decimal(1) if item.weight is None else inputs.quantity(item.weight, [*path, "weight"], positive=True,
                                                                    places=2)
    if weight > MAX_WEIGHT:
        raise inputs.problem([*path, "weight"], f"must be at most {MAX_WEIGHT}, got {weight}")
    return item.id, title, item.unit_id, item.due_on, weight


def _store(sql: Sql, project_id: int, position: int, item: tuple) -> int:
    measure_id, title, unit_id, due_on, weight = item
    if measure_id is None:
        return sql.insert("INSERT INTO schedule_measure (project_id, position, title, unit_id, due_on, weight, done)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?)", (project_id, position, title, unit_id, due_on, weight,
                                                            False))
    sql.execute("UPDATE schedule_measure SET position = ?, title = ?, unit_id = ?, due_on = ?, weight = ?"
                " WHERE id = ?", (position, title, unit_id, due_on, weight, measure_id))
    return measure_id


def mark_measure_done(engine: Engine, actor: ActorView, measure_id: int, done: bool = True, done_on: Any = None,
                      evidence: Any = None, idempotency_key: Any = None) -> Measure:
    """Mark a measure done (with the date, default today, and the evidence) or not done again. A cooperating
    unit's clerk may mark only the measures its unit is responsible for."""
    with write_session():
        sql = Sql(engine.db)
        found = sql.one("SELECT project_id, unit_id FROM schedule_measure WHERE id = ? AND removed_at IS NULL",
                        (measure_id,))
        missing = NotFound(f"measure {measure_id} does not exist", path=["input", "measureId"])
        if found is None:
            raise missing
        try:
            row = locked_for_write(engine, sql, actor, found[0], MEASURE_DONE)
        except NotFound:
            raise missing from None
        if not leads(engine, actor, row) and found[1] != actor.unit_id:
            raise Forbidden("a cooperating unit (配合单位) may mark only its own measures done; this one is "
                            "another unit's", path=["input", "measureId"])
        if replayed(sql, actor, idempotency_key, found[0], f"mark_measure_done_{measure_id}"):
            return _measure(sql.one(SELECT + " WHERE m.id = ?", (measure_id,)))
        values = _done_values(engine, actor, done, done_on, evidence)
        sql.execute("UPDATE schedule_measure SET done = ?, done_on = ?, evidence = ?, done_by_id = ?,"
                    " done_by_name = ? WHERE id = ?", (*values, measure_id))
        audit.append_record(sql, found[0], "edit", "mark_measure_done", actor.id, actor.name, engine.clock.now(),
                            {"measure": measure_id, "done": done, "done_on": values[1] and values[1].isoformat(),
                             "evidence": values[2]})
        _refresh(engine, sql, row.workflow_id, found[0])
        remember(sql, actor, idempotency_key, found[0], f"mark_measure_done_{measure_id}", measure_id,
                 engine.clock.now())
        return _measure(sql.one(SELECT + " WHERE m.id = ?", (measure_id,)))


def _refresh(engine: Engine, sql: Sql, workflow_id: int, project_id: int) -> None:
    """Where the workflow's progress is the share of measures done, the project's maintained standing moves in
    the same transaction."""
    if engine.workflows.get(workflow_id).definition.progress == "measures":
        from plugins.schedule.maintained import refresh

        refresh(engine, sql, [project_id], engine.clock.today())


def _done_values(engine: Engine, actor: ActorView, done: bool, done_on: Any, evidence: Any) -> tuple:
    if not done:
        return False, None, None, None, None
    on = inputs.day(done_on, ["input", "doneOn"], engine.clock.today())
    note = inputs.text(evidence, ["input", "evidence"], EVIDENCE_LIMIT, required=True, multiline=True)
    return True, on, note, actor.id, actor.name


def _plain(m: Measure) -> dict[str, Any]:
    return {"id": m.id, "title": m.title, "unit": m.unit_id, "due": m.due_on.isoformat(), "weight": str(m.weight),
            "done": m.done}
