"""Creating and editing projects. Both are audited like transitions: the first record of every project's log is
its creation, and every edit records what changed from what to what."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping

from pony import orm

from engine import audit
from engine.creation import BatchProblems, NewProject, create_one, create_projects
from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.geo.location import Location
from engine.project_rules import DETAILS, MAX_CODE, audit_value as _plain, check_period, unit_in_view
from engine.storage.sql import Sql, to_date, to_decimal
from engine.transition import locate
from engine.workflow.fields import coerce_fields
from engine.workflow.model import FieldSpec

if TYPE_CHECKING:
    from engine.core import Engine

__all__ = ["DETAILS", "EDITABLE", "MAX_CODE", "BatchProblems", "NewProject", "create_project", "create_projects",
           "update_project"]

EDITABLE = (*(f.name for f in DETAILS if f.name != "year"), "location")


def create_project(engine: Engine, actor: ActorView, new: NewProject) -> int:
    """Create a project in its workflow's initial state, with its ``create`` audit record and its cooperating
    units; return its id. The rules are ``engine.creation``'s, which also creates a whole list at once."""
    return create_one(engine, actor, new)


def _check_unit(sql: Sql, actor: ActorView, unit_id: int | None) -> None:
    if unit_id is not None and not unit_in_view(sql, actor, unit_id):
        raise NotFound(f"unit {unit_id} does not exist", path=["leadUnitId"])


def update_project(engine: Engine, actor: ActorView, project_id: int, changes: Mapping[str, Any],
                   expected_version: int | None = None) -> int:
    """Edit a project's details in a state its workflow marks editable; return the new version."""
    unknown = [k for k in changes if k not in EDITABLE]
    if unknown:
        raise InvalidInput([FieldProblem([k], "this detail cannot be edited") for k in unknown])
    specs = [f for f in DETAILS if f.name in changes]
    location = changes.get("location")
    if location is not None and not isinstance(location, Location):
        raise InvalidInput([FieldProblem(["location"], "must be a point or a line")])
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        row = locate(engine, sql, actor, project_id, lock=True)  # access first, then the input
        _check_editable(engine, row, actor, expected_version)
        values = coerce_fields([FieldSpec(**{**f.__dict__, "required": False}) for f in specs],
                               {k: v for k, v in changes.items() if k != "location"}, path=())
        if "planned_start" in values or "planned_end" in values:
            start, end = sql.one("SELECT planned_start, planned_end FROM project WHERE id = ?", (project_id,))
            check_period(values.get("planned_start", to_date(start)), values.get("planned_end", to_date(end)))
        _check_unit(sql, actor, values.get("lead_unit_id"))
        if "location" in changes:
            values["location"] = location
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
    if "location" in changed:  # the record keeps the datum it was given in; the row keeps WGS-84 only
        location = values.pop("location")
        changed["location"] = [json.loads(old["location"]) if old["location"] else None,
                               location.audit_value() if location else None]
        values["location"], values["location_datum"] = (location.stored(), "WGS-84") if location else (None, None)
    now = engine.clock.now()
    entry = audit.AuditEntry(row.view.id, row.audit_seq + 1, "edit", "update", row.view.state, row.view.state,
                             actor.id, actor.name, now, audit.canonical_json(changed), None, row.audit_head)
    digest = audit.append(sql, entry)
    assignments = ", ".join(f"{k} = ?" for k in values)
    sql.execute(f"UPDATE project SET {assignments}, version = version + 1, audit_seq = ?, audit_head = ?,"
                f" updated_at = ? WHERE id = ? AND version = ?",
                (*values.values(), entry.seq, digest, now, row.view.id, row.view.version))
    return row.view.version + 1
