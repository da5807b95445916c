"""Root mutation fields of the core: create and edit projects, fire transitions."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from engine.api.context import RequestContext
from engine.api.errors import payload
from engine.api.ids import from_global_id
from engine.api.project_type import project_after_write
from engine.errors import FieldProblem, InvalidInput
from engine.projects import NewProject, create_project, update_project
from engine.transition import TransitionRequest, fire_transition


@strawberry.input
class CreateProjectInput:
    region_id: strawberry.ID
    title: str
    year: int
    category: str
    budget: Decimal = strawberry.field(description="Yuan 元, two decimal places at most.")
    description: Optional[str] = None
    target: Optional[str] = None
    planned_start: Optional[dt.date] = None
    planned_end: Optional[dt.date] = None
    lead_unit_id: Optional[strawberry.ID] = None
    code: Optional[str] = None
    workflow: str = "minsheng"


@strawberry.input(description="Only the fields given are changed.")
class UpdateProjectInput:
    project_id: strawberry.ID
    expected_version: Optional[int] = None
    title: Optional[str] = strawberry.UNSET
    category: Optional[str] = strawberry.UNSET
    budget: Optional[Decimal] = strawberry.UNSET
    description: Optional[str] = strawberry.UNSET
    target: Optional[str] = strawberry.UNSET
    planned_start: Optional[dt.date] = strawberry.UNSET
    planned_end: Optional[dt.date] = strawberry.UNSET
    lead_unit_id: Optional[strawberry.ID] = strawberry.UNSET


@strawberry.input
class FireTransitionInput:
    project_id: strawberry.ID
    event: str
    fields: Optional[strawberry.scalars.JSON] = strawberry.field(default=None, description="Form field values.")
    comment: Optional[str] = None
    expected_version: Optional[int] = strawberry.field(default=None, description="The version you saw.")
    idempotency_key: Optional[str] = strawberry.field(default=None, description="Repeat-safe key (≤ 100 chars).")


def _unit_id(value: Optional[str], path: list[str]) -> Optional[int]:
    return from_global_id(value, "Unit", path) if value else None


def create(ctx: RequestContext, data: CreateProjectInput, cls: type) -> Any:
    def run() -> dict[str, Any]:
        details = {k: getattr(data, k) for k in ("title", "year", "category", "budget", "description", "target",
                                                 "planned_start", "planned_end") if getattr(data, k) is not None}
        unit = _unit_id(data.lead_unit_id, ["input", "leadUnitId"])
        if unit is not None:
            details["lead_unit_id"] = unit
        region_id = from_global_id(data.region_id, "Region", ["input", "regionId"])
        new = NewProject(region_id, details, data.code, data.workflow)
        project_id = create_project(ctx.engine, ctx.actor, new)
        return {"project": project_after_write(ctx, project_id)}

    return payload(cls, run)


def update(ctx: RequestContext, data: UpdateProjectInput, cls: type) -> Any:
    def run() -> dict[str, Any]:
        project_id = from_global_id(data.project_id, "Project", ["input", "projectId"])
        changes = {k: v for k, v in vars(data).items()
                   if k not in ("project_id", "expected_version") and v is not strawberry.UNSET}
        if "lead_unit_id" in changes:
            changes["lead_unit_id"] = _unit_id(changes["lead_unit_id"], ["input", "leadUnitId"])
        update_project(ctx.engine, ctx.actor, project_id, changes, data.expected_version)
        return {"project": project_after_write(ctx, project_id)}

    return payload(cls, run)


def fire(ctx: RequestContext, data: FireTransitionInput, cls: type) -> Any:
    def run() -> dict[str, Any]:
        project_id = from_global_id(data.project_id, "Project", ["input", "projectId"])
        if data.fields is not None and not isinstance(data.fields, dict):
            raise InvalidInput([FieldProblem(["input", "fields"], "fields must be an object of name: value")])
        if data.idempotency_key is not None and not 1 <= len(data.idempotency_key) <= 100:
            raise InvalidInput([FieldProblem(["input", "idempotencyKey"], "must be 1 to 100 characters")])
        request = TransitionRequest(project_id, data.event, data.fields or {}, data.comment or "",
                                    data.expected_version, data.idempotency_key)
        record = fire_transition(ctx.engine, ctx.actor, request)
        return {"project": project_after_write(ctx, project_id), "from_state": record.source,
                "to_state": record.dest, "seq": record.seq, "replayed": record.replayed}

    return payload(cls, run)
