"""Creating and editing projects. Both are audited like transitions: the first record of every project's log is
its creation, and every edit records what changed from what to what."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Mapping

from pony import orm

from engine import audit
from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.workflow.fields import coerce_fields, jsonable_fields
from engine.storage.sql import Sql, to_date, to_decimal
from engine.texts import text_problem
from engine.transition import locate
from engine.workflow.model import FieldSpec

if TYPE_CHECKING:
    from engine.core import Engine

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
EDITABLE = tuple(f.name for f in DETAILS if f.name != "year")


@dataclass(frozen=True)
class NewProject:
    region_id: int
    details: Mapping[str, Any]
    code: str | None = None
    workflow: str = "minsheng"


def create_project(engine: Engine, actor: ActorView, new: NewProject) -> int:
    """Create a project in its workflow's initial state; return its id."""
    loaded = engine.workflows.named(new.workflow)
    if loaded is None:
        raise InvalidInput([FieldProblem(["workflow"], f"no workflow named '{new.workflow}'")])
    if not actor.roles & loaded.definition.creators():
        raise Forbidden("your roles may not create projects on this workflow")
    now = engine.clock.now()
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        region_path = _region_in_area(sql, actor, new.region_id)  # access first, then the input
        values = coerce_fields(DETAILS, new.details, path=())
        _check_code(new.code)
        _check_period(values.get("planned_start"), values.get("planned_end"))
        _check_unit(sql, actor, values.get("lead_unit_id"))
        project_id = _insert(sql, new, values, region_path, loaded.id, loaded.definition.initial, now, actor.id)
        entry = audit.AuditEntry(project_id, 1, "create", "create", None, loaded.definition.initial, actor.id,
                                 actor.name, now, audit.canonical_json(jsonable_fields(values)), None, audit.GENESIS)
        digest = audit.append(sql, entry)
        sql.execute("UPDATE project SET audit_head = ? WHERE id = ?", (digest, project_id))
    return project_id


def _insert(sql: Sql, new: NewProject, values: dict[str, Any], region_path: str, workflow_id: int,
            state: str, now: dt.datetime, creator: int | None) -> int:
    code = new.code or f"P{now:%Y%m%d%H%M%S%f}"
    if sql.scalar("SELECT id FROM project WHERE code = ?", (code,)) is not None:
        raise InvalidInput([FieldProblem(["code"], f"a project with code '{code}' already exists")])
    columns = ["code", "region_id", "region_path", "workflow_id", "state", "version", "audit_seq", "audit_head",
               "created_at", "updated_at", "created_by", *values]
    params = [code, new.region_id, region_path, workflow_id, state, 1, 1, audit.GENESIS, now, now, creator,
              *values.values()]
    marks = ", ".join("?" for _ in columns)
    project_id = sql.insert(f"INSERT INTO project ({', '.join(columns)}) VALUES ({marks})", params)
    if new.code is None:
        sql.execute("UPDATE project SET code = ? WHERE id = ?", (f"{values['year']}-{project_id:05d}", project_id))
    return project_id


def _check_code(code: str | None) -> None:
    """A project code (e.g. ``PA-03``): one line of at most ``MAX_CODE`` printable characters."""
    if not code:  # none given: one is generated
        return
    problem = "must not be blank" if not code.strip() else text_problem(code, MAX_CODE)
    if problem is None and code != code.strip():
        problem = "must not start or end with spaces"
    if problem:
        raise InvalidInput([FieldProblem(["code"], f"项目编号 {problem}")])


def _check_period(start: dt.date | None, end: dt.date | None) -> None:
    """The planned completion is not before the planned start (either may be unknown)."""
    if start is not None and end is not None and end < start:
        raise InvalidInput([FieldProblem(["planned_end"], f"must not be before 计划开工 ({start.isoformat()}), "
                                                          f"got {end.isoformat()}")])


def _region_in_area(sql: Sql, actor: ActorView, region_id: int) -> str:
    path = sql.scalar("SELECT path FROM region WHERE id = ?", (region_id,))
    if path is None or not actor.covers(path):
        raise NotFound(f"region {region_id} does not exist", path=["regionId"])
    return path


def _check_unit(sql: Sql, actor: ActorView, unit_id: int | None) -> None:
    if unit_id is None:
        return
    row = sql.one("SELECT r.path FROM unit u JOIN region r ON r.id = u.region_id WHERE u.id = ?", (unit_id,))
    if row is None or not (actor.covers(row[0]) or (actor.region_path or "").startswith(row[0])):
        raise NotFound(f"unit {unit_id} does not exist", path=["leadUnitId"])


def update_project(engine: Engine, actor: ActorView, project_id: int, changes: Mapping[str, Any],
                   expected_version: int | None = None) -> int:
    """Edit a project's details in a state its workflow marks editable; return the new version."""
    unknown = [k for k in changes if k not in EDITABLE]
    if unknown:
        raise InvalidInput([FieldProblem([k], "this detail cannot be edited") for k in unknown])
    specs = [f for f in DETAILS if f.name in changes]
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        row = locate(engine, sql, actor, project_id, lock=True)  # access first, then the input
        _check_editable(engine, row, actor, expected_version)
        values = coerce_fields([FieldSpec(**{**f.__dict__, "required": False}) for f in specs], changes,
                               path=())
        if "planned_start" in values or "planned_end" in values:
            start, end = sql.one("SELECT planned_start, planned_end FROM project WHERE id = ?", (project_id,))
            _check_period(values.get("planned_start", to_date(start)), values.get("planned_end", to_date(end)))
        _check_unit(sql, actor, values.get("lead_unit_id"))
        return _apply_edit(engine, sql, row, actor, values)


def _check_editable(engine: Engine, row: Any, actor: ActorView, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != row.view.version:
        raise Conflict(f"the project is at version {row.view.version}, you saw version {expected_version}: "
                       "someone changed it; reload and try again", path=["expectedVersion"])
    definition = engine.workflows.get(row.workflow_id).definition
    state = definition.states[row.view.state]
    if not state.editable:
        raise Forbidden(f"a project cannot be edited while it is {state.label} ({state.name})")
    if not actor.roles & definition.roles_acting_in(state.name):
        raise Forbidden(f"your roles may not edit a project while it is {state.label}")


def _apply_edit(engine: Engine, sql: Sql, row: Any, actor: ActorView, values: dict[str, Any]) -> int:
    old = dict(zip(EDITABLE, sql.one(f"SELECT {', '.join(EDITABLE)} FROM project WHERE id = ?", (row.view.id,))))
    old["budget"] = to_decimal(old["budget"])  # SQLite gives a whole amount back as an int
    changed = {k: [_plain(old[k]), _plain(v)] for k, v in values.items() if _plain(old[k]) != _plain(v)}
    if not changed:
        return row.view.version
    now = engine.clock.now()
    entry = audit.AuditEntry(row.view.id, row.audit_seq + 1, "edit", "update", row.view.state, row.view.state,
                             actor.id, actor.name, now, audit.canonical_json(changed), None, row.audit_head)
    digest = audit.append(sql, entry)
    assignments = ", ".join(f"{k} = ?" for k in values)
    sql.execute(f"UPDATE project SET {assignments}, version = version + 1, audit_seq = ?, audit_head = ?,"
                f" updated_at = ? WHERE id = ? AND version = ?",
                (*values.values(), entry.seq, digest, now, row.view.id, row.view.version))
    return row.view.version + 1


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, float):
        return str(Decimal(str(value)).quantize(Decimal("0.01")))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
