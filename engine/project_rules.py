"""The rules every project's details follow, whether created one at a time, imported with the annual list or
edited: the details and their limits (``DETAILS``), the code, the planned period, the units an actor may name."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from engine.directory.actors import ActorView
from engine.errors import FieldProblem, InvalidInput
from engine.geo.location import Location
from engine.storage.sql import Sql
from engine.texts import text_problem
from engine.workflow.model import FieldSpec

# The project's own details, validated like transition fields.
DETAILS = (
    FieldSpec("title", "string", "项目名称", required=True, max_length=200),
    FieldSpec("year", "int", "年度", required=True, min=2000, max=2100),
    FieldSpec("category", "string", "类别", required=True, max_length=60),
    FieldSpec("budget", "decimal", "预算（元）", required=True, min=0, max=1e13),
    FieldSpec("description", "text", "建设内容"),
    FieldSpec("target", "string", "目标任务", max_length=200),
    FieldSpec("planned_start", "date", "计划开工"),
    FieldSpec("planned_end", "date", "计划完成"),
    FieldSpec("lead_unit_id", "int", "牵头单位", min=1),
)
MAX_CODE = 40


def check_code(code: str | None) -> None:
    """A project code (e.g. ``PA-03``): one line of at most ``MAX_CODE`` printable characters."""
    if not code:  # none given: one is generated
        return
    problem = "must not be blank" if not code.strip() else text_problem(code, MAX_CODE)
    if problem is None and code != code.strip():
        problem = "must not start or end with spaces"
    if problem:
        raise InvalidInput([FieldProblem(["code"], f"项目编号 {problem}")])


def check_period(start: dt.date | None, end: dt.date | None) -> None:
    """The planned completion is not before the planned start (either may be unknown)."""
    if start is not None and end is not None and end < start:
        raise InvalidInput([FieldProblem(["planned_end"], f"must not be before 计划开工 ({start.isoformat()}), "
                                                          f"got {end.isoformat()}")])


def unit_in_view(sql: Sql, actor: ActorView, unit_id: int) -> bool:
    """Whether the actor may name the unit: it exists in the actor's area or in a region above it."""
    row = sql.one("SELECT r.path FROM unit u JOIN region r ON r.id = u.region_id WHERE u.id = ?", (unit_id,))
    return row is not None and (actor.covers(row[0]) or (actor.region_path or "").startswith(row[0]))


def audit_value(value: Any) -> Any:
    """A detail's value as an edit's audit record keeps it (and compares it): amounts with two places, ISO dates,
    a location in its stored form."""
    if isinstance(value, Location):
        return value.stored()
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, float):
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
