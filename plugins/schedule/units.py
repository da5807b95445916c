"""A project's cooperating units 配合单位, kept in the core's ``project_unit`` table because the one access rule
(``engine.directory.access``) lets their clerks read the project. Changing them is an ``edit`` record in the audit chain."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from engine import audit
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, InvalidInput
from engine.storage.sql import Sql, by_project, marks
from plugins.schedule.permissions import COOPERATING, locked_for_write, remember, replayed, write_session

if TYPE_CHECKING:
    from engine.core import Engine

MAX_UNITS = 50
PATH = ["input", "unitIds"]


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    region_id: int


def cooperating(sql: Sql, project_id: int) -> list[UnitRef]:
    """The project's cooperating units, by name."""
    return cooperating_of(sql, [project_id]).get(project_id, [])


def cooperating_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[UnitRef]]:
    """``cooperating`` units of each project, in one query."""
    rows = sql.all("SELECT u.id, u.code, u.name, u.region_id, pu.project_id FROM project_unit pu"
                   f" JOIN unit u ON u.id = pu.unit_id WHERE pu.project_id IN ({marks(len(project_ids))})"
                   " ORDER BY u.name, u.id", list(project_ids))
    return by_project(rows, lambda r: UnitRef(*r[:4]), 4)


def set_cooperating_units(engine: Engine, actor: ActorView, project_id: int, unit_ids: Sequence[int],
                          idempotency_key: Any = None) -> list[UnitRef]:
    """Make ``unit_ids`` the project's cooperating units; refused for an unknown unit, the lead unit, a repeat,
    or a unit taken off while it is still responsible for a measure."""
    with write_session():
        sql = Sql(engine.db)
        row = locked_for_write(engine, sql, actor, project_id, COOPERATING)
        if replayed(sql, actor, idempotency_key, project_id, "set_cooperating_units"):
            return cooperating(sql, project_id)
        _check(sql, actor, row.view.lead_unit_id, project_id, unit_ids)
        before = [u.id for u in cooperating(sql, project_id)]
        sql.execute("DELETE FROM project_unit WHERE project_id = ?", (project_id,))
        for unit_id in unit_ids:
            sql.execute("INSERT INTO project_unit (project_id, unit_id) VALUES (?, ?)", (project_id, unit_id))
        if sorted(before) != sorted(unit_ids):
            audit.append_record(sql, project_id, "edit", "set_cooperating_units", actor.id, actor.name,
                                engine.clock.now(), {"cooperating_units": [sorted(before), sorted(unit_ids)]})
        remember(sql, actor, idempotency_key, project_id, "set_cooperating_units", project_id, engine.clock.now())
        return cooperating(sql, project_id)


def _check(sql: Sql, actor: ActorView, lead_unit_id: int | None, project_id: int, unit_ids: Sequence[int]) -> None:
    if len(unit_ids) > MAX_UNITS:
        raise InvalidInput([FieldProblem(PATH, f"at most {MAX_UNITS} cooperating units, got {len(unit_ids)}")])
    problems = []
    for index, unit_id in enumerate(unit_ids):
        problem = _unit_problem(sql, actor, lead_unit_id, unit_id, unit_ids[:index])
        if problem:
            problems.append(FieldProblem([*PATH, str(index)], problem))
    responsible = sql.all("SELECT DISTINCT m.unit_id, m.title FROM schedule_measure m WHERE m.project_id = ? AND"
                          " m.removed_at IS NULL AND m.unit_id <> ?", (project_id, lead_unit_id or 0))
    for unit_id, title in responsible:
        if unit_id not in unit_ids:
            problems.append(FieldProblem(PATH, f"unit {unit_id} is responsible for the measure '{title}'; give the "
                                               "measure to another unit (setMeasures) before removing it"))
    if problems:
        raise InvalidInput(problems)


def _unit_problem(sql: Sql, actor: ActorView, lead_unit_id: int | None, unit_id: int,
                  earlier: Sequence[int]) -> str | None:
    row = sql.one("SELECT r.path FROM unit u JOIN region r ON r.id = u.region_id WHERE u.id = ?", (unit_id,))
    if row is None or not (actor.covers(row[0]) or (actor.region_path or "").startswith(row[0])):
        return f"unit {unit_id} does not exist"
    if unit_id == lead_unit_id:
        return f"unit {unit_id} is the project's lead unit (牵头单位), not a cooperating one"
    if unit_id in earlier:
        return f"unit {unit_id} is listed twice"
    return None
