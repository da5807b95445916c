"""Targets 指标 and their actuals 完成值: completion per target = actual / target in percent (453 / 120 → 377.50).

Targets are set while the project is being planned (the workflow's editable states) and changed afterwards only
after a 动态调整 decision: while the project's latest transition is one of ``CHANGE_EVENTS``. The workflow file has
no place for plugin settings, so the events are fixed here (the default workflow's ``adjust``). Every change, and
every actual reported, is an ``edit`` record in the project's audit chain.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Sequence

from engine import audit
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, Forbidden, InvalidInput
from engine.storage.sql import Sql, by_project, marks, to_date
from plugins.schedule import inputs
from plugins.schedule.permissions import ACTUALS, TARGETS, locked_for_write, remember, replayed, write_session

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.project_rows import ProjectRow

CHANGE_EVENTS = ("adjust",)  # 动态调整: after it, targets may change again
MAX_TARGETS = 50
NAME_LIMIT, UNIT_LIMIT, NOTE_LIMIT = 100, 20, 500
CENT = Decimal("0.01")


@dataclass(frozen=True)
class TargetInput:
    """One target as submitted: ``id`` to change an existing one, None for a new one."""

    id: int | None
    name: Any
    unit: Any
    target_value: Any
    baseline: Any = None


@dataclass(frozen=True)
class ActualInput:
    target_id: int
    value: Any
    reported_on: Any = None
    note: Any = None


@dataclass(frozen=True)
class Actual:
    id: int
    target_id: int
    value: Decimal
    reported_on: dt.date
    note: str | None
    reporter_name: str | None


@dataclass(frozen=True)
class Target:
    """A target with its current actual (the latest by date) and completion in percent (None before any)."""

    id: int
    project_id: int
    name: str
    unit: str
    target_value: Decimal
    baseline: Decimal | None
    actual: Actual | None

    @property
    def completion(self) -> Decimal | None:
        if self.actual is None:
            return None
        return (self.actual.value * 100 / self.target_value).quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(value: Any) -> Decimal:
    """A stored quantity as a Decimal without trailing zeros beyond what was meant (120.0000 → 120)."""
    number = Decimal(str(value))
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def targets(sql: Sql, project_id: int) -> list[Target]:
    """The project's targets in plan order, each with its latest actual."""
    return targets_of(sql, [project_id], actuals_of(sql, [project_id])).get(project_id, [])


def targets_of(sql: Sql, project_ids: Sequence[int], reported: dict[int, list[Actual]]
               ) -> dict[int, list[Target]]:
    """``targets`` of each project in one query, given ``reported``: their actuals (``actuals_of``)."""
    rows = sql.all("SELECT id, project_id, name, unit, target_value, baseline FROM schedule_target"
                   f" WHERE project_id IN ({marks(len(project_ids))}) AND removed_at IS NULL"
                   " ORDER BY position, id", list(project_ids))
    latest: dict[int, Actual] = {}
    for history in reported.values():
        for a in history:
            latest.setdefault(a.target_id, a)
    return by_project(rows, lambda r: Target(r[0], r[1], r[2], r[3], quantity(r[4]),
                                             None if r[5] is None else quantity(r[5]), latest.get(r[0])), 1)


def actuals(sql: Sql, project_id: int, target_id: int | None = None) -> list[Actual]:
    """Actuals reported, newest first (by date, then as entered)."""
    return actuals_of(sql, [project_id], target_id).get(project_id, [])


def actuals_of(sql: Sql, project_ids: Sequence[int], target_id: int | None = None) -> dict[int, list[Actual]]:
    """``actuals`` of each project, in one query."""
    query = ("SELECT id, target_id, value, reported_on, note, reporter_name, project_id FROM schedule_actual"
             f" WHERE project_id IN ({marks(len(project_ids))})")
    params: list[Any] = list(project_ids)
    if target_id is not None:
        query += " AND target_id = ?"
        params.append(target_id)
    rows = sql.all(query + " ORDER BY reported_on DESC, id DESC", params)
    return by_project(rows, lambda r: Actual(r[0], r[1], quantity(r[2]), to_date(r[3]), r[4], r[5]), 6)


def active_ids(sql: Sql, project_id: int) -> set[int]:
    """The ids of the project's targets in force."""
    return {r[0] for r in sql.all("SELECT id FROM schedule_target WHERE project_id = ? AND removed_at IS NULL",
                                  (project_id,))}


def set_targets(engine: Engine, actor: ActorView, project_id: int, items: Sequence[TargetInput],
                idempotency_key: Any = None) -> list[Target]:
    """Replace the project's targets with ``items`` (existing ones by id keep their actuals; those left out are
    taken off the plan); refused outside the planning window. Returns the targets in force."""
    with write_session():
        sql = Sql(engine.db)
        row = locked_for_write(engine, sql, actor, project_id, TARGETS)
        if replayed(sql, actor, idempotency_key, project_id, "set_targets"):
            return targets(sql, project_id)
        check_change_window(engine, sql, row)
        cleaned = _clean_targets(sql, project_id, items)
        before = [_plain(t) for t in targets(sql, project_id)]
        now = engine.clock.now()
        kept = _store_targets(sql, project_id, cleaned)
        for gone in sorted(active_ids(sql, project_id) - set(kept)):
            sql.execute("UPDATE schedule_target SET removed_at = ? WHERE id = ?", (now, gone))
        after = targets(sql, project_id)
        audit.append_record(sql, project_id, "edit", "set_targets", actor.id, actor.name, now,
                            {"targets": [before, [_plain(t) for t in after]]})
        remember(sql, actor, idempotency_key, project_id, "set_targets", project_id, now)
    return after


def check_change_window(engine: Engine, sql: Sql, row: ProjectRow) -> None:
    """``Forbidden`` at ``input.targets`` unless the project is editable or its latest transition is a
    change event (动态调整)."""
    definition = engine.workflows.get(row.workflow_id).definition
    state = definition.states[row.view.state]
    if state.editable:
        return
    last = sql.scalar("SELECT event FROM audit_record WHERE project_id = ? AND kind = 'transition'"
                      " ORDER BY seq DESC LIMIT 1", (row.view.id,))
    if last in CHANGE_EVENTS:
        return
    planning = "、".join(f"{definition.states[s].label} ({s})" for s in definition.editable_states())
    changes = "、".join(f"{t.label} ({t.event})" for t in definition.transitions if t.event in CHANGE_EVENTS)
    after = f" and changed afterwards only right after {changes}" if changes else ""
    raise Forbidden(f"targets are set while the project is {planning or 'being planned'}{after}; it is "
                    f"{state.label} ({state.name})", path=["input", "targets"])


def _clean_targets(sql: Sql, project_id: int, items: Sequence[TargetInput]) -> list[tuple]:
    if len(items) > MAX_TARGETS:
        raise inputs.problem(["input", "targets"], f"at most {MAX_TARGETS} targets, got {len(items)}")
    existing = active_ids(sql, project_id)
    problems: list[FieldProblem] = []
    cleaned = []
    for index, item in enumerate(items):
        path = ["input", "targets", str(index)]
        try:
            if item.id is not None and item.id not in existing:
                raise inputs.problem([*path, "id"], f"target {item.id} does not exist on this project")
            cleaned.append((item.id, inputs.text(item.name, [*path, "name"], NAME_LIMIT, required=True),
                            inputs.text(item.unit, [*path, "unit"], UNIT_LIMIT, required=True),
                            inputs.quantity(item.target_value, [*path, "targetValue"], positive=True),
                            None if item.baseline is None else inputs.quantity(item.baseline, [*path, "baseline"])))
        except InvalidInput as exc:
            problems.extend(exc.problems())
    if problems:
        raise InvalidInput(problems)
    return cleaned


def _store_targets(sql: Sql, project_id: int, cleaned: list[tuple]) -> list[int]:
    kept = []
    for position, (target_id, name, unit, value, baseline) in enumerate(cleaned):
        if target_id is None:
            target_id = sql.insert("INSERT INTO schedule_target (project_id, position, name, unit, target_value,"
                                   " baseline) VALUES (?, ?, ?, ?, ?, ?)",
                                   (project_id, position, name, unit, value, baseline))
        else:
            sql.execute("UPDATE schedule_target SET position = ?, name = ?, unit = ?, target_value = ?,"
                        " baseline = ? WHERE id = ?", (position, name, unit, value, baseline, target_id))
        kept.append(target_id)
    return kept


def report_actuals(engine: Engine, actor: ActorView, project_id: int, items: Sequence[ActualInput],
                   idempotency_key: Any = None) -> list[Target]:
    """Record each target's actual value as of a date (default today); earlier actuals stay as history."""
    with write_session():
        sql = Sql(engine.db)
        locked_for_write(engine, sql, actor, project_id, ACTUALS)
        if replayed(sql, actor, idempotency_key, project_id, "report_actuals"):
            return targets(sql, project_id)
        cleaned = _clean_actuals(engine, sql, project_id, items)
        now = engine.clock.now()
        for target_id, value, on, note in cleaned:
            sql.insert("INSERT INTO schedule_actual (project_id, target_id, value, reported_on, note, reporter_id,"
                       " reporter_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (project_id, target_id, value, on, note, actor.id, actor.name, now))
        audit.append_record(sql, project_id, "edit", "report_actuals", actor.id, actor.name, now, {"actuals": [
            None, [{"target": t, "value": str(v), "on": on.isoformat(), "note": n} for t, v, on, n in cleaned]]})
        remember(sql, actor, idempotency_key, project_id, "report_actuals", project_id, now)
        return targets(sql, project_id)


def _clean_actuals(engine: Engine, sql: Sql, project_id: int, items: Sequence[ActualInput]) -> list[tuple]:
    if not items:
        raise inputs.problem(["input", "actuals"], "give at least one actual")
    if len(items) > MAX_TARGETS:
        raise inputs.problem(["input", "actuals"], f"at most {MAX_TARGETS} actuals at once, got {len(items)}")
    existing = active_ids(sql, project_id)
    today = engine.clock.today()
    problems: list[FieldProblem] = []
    cleaned = []
    for index, item in enumerate(items):
        path = ["input", "actuals", str(index)]
        try:
            if item.target_id not in existing:
                raise inputs.problem([*path, "targetId"], f"target {item.target_id} does not exist on this project")
            cleaned.append((item.target_id, inputs.quantity(item.value, [*path, "value"]),
                            inputs.day(item.reported_on, [*path, "reportedOn"], today),
                            inputs.text(item.note, [*path, "note"], NOTE_LIMIT)))
        except InvalidInput as exc:
            problems.extend(exc.problems())
    if problems:
        raise InvalidInput(problems)
    return cleaned


def _plain(t: Target) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "unit": t.unit, "target": str(t.target_value),
            "baseline": None if t.baseline is None else str(t.baseline)}
