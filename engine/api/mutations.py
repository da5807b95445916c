"""Root mutation fields of the core: create and edit projects, fire transitions.

Every refusal is a ``userErrors`` entry whose path is the GraphQL input path (``["input", "plannedStart"]``,
``["input", "fields", "decision_no"]``) and whose message names the field by its label ("文号 is required").
The public (no token) may not change anything here: every core mutation answers FORBIDDEN, whatever the id, so
nothing about a project's existence is revealed. A project outside the caller's area, or — for a lead unit's
clerk — one its unit does not lead, answers exactly like a missing one (NOT_FOUND).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable, Optional

import strawberry
from pony import orm

from engine.api.context import RequestContext
from engine.api.errors import payload
from engine.api.ids import from_global_id
from engine.api.locations import LocationInput, location_of
from engine.api.project_type import project_after_write
from engine.errors import Conflict, DomainError, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.projects import DETAILS, NewProject, create_project, update_project
from engine.storage.sql import Sql
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
    workflow: Optional[str] = strawberry.field(default=None, description=(
        "The workflow's name; by default the one the region names (inherited from the regions above it), else "
        "minsheng."))
    location: Optional[LocationInput] = strawberry.field(default=None, description="A point or a line.")


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
    location: Optional[LocationInput] = strawberry.field(default=strawberry.UNSET,
                                                         description="A point or a line; null removes it.")


@strawberry.input
class FireTransitionInput:
    project_id: strawberry.ID
    event: str
    fields: Optional[strawberry.scalars.JSON] = strawberry.field(default=None, description="Form field values.")
    comment: Optional[str] = None
    expected_version: Optional[int] = strawberry.field(default=None, description="The version you saw.")
    idempotency_key: Optional[str] = strawberry.field(default=None, description="Repeat-safe key (≤ 100 chars).")


PUBLIC_REFUSAL = "sign in to make changes: without a token you can only read what is published"
DETAIL_LABELS = {spec.name: spec.label for spec in DETAILS}
REQUIRED_DETAILS = {spec.name for spec in DETAILS if spec.required}
ID_KINDS = {"projectId": "project", "regionId": "region", "leadUnitId": "unit"}
RACE_ERRORS = (orm.TransactionError, orm.IntegrityError)  # a concurrent writer won (engine.storage.sql maps driver errors)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _unit_id(value: Optional[str], path: list[str]) -> Optional[int]:
    return from_global_id(value, "Unit", path) if value else None


def _refuse_public(ctx: RequestContext) -> None:
    if ctx.actor.is_public:
        raise Forbidden(PUBLIC_REFUSAL)


def _relabel(exc: DomainError, ids: dict[str, Any], labels: dict[str, str], detail_paths: bool) -> DomainError:
    """The error as a client should read it: ids as the client sent them, fields by label, GraphQL paths."""
    if isinstance(exc, NotFound) and exc.path and exc.path[-1] in ID_KINDS:
        key = exc.path[-1]
        return NotFound(f"{ID_KINDS[key]} {ids.get(key, '')} does not exist", path=["input", key])
    if isinstance(exc, InvalidInput):
        return InvalidInput([_labelled(p, labels, detail_paths) for p in exc.problems()])
    return exc


def _labelled(problem: FieldProblem, labels: dict[str, str], detail_paths: bool) -> FieldProblem:
    """A project detail (``["title"]``) or a transition form field (``[..., "fields", name]``) named by its label."""
    path = [str(part) for part in problem.path]
    if detail_paths and len(path) == 1 and path[0] in DETAIL_LABELS:
        name, path = path[0], ["input", camel(path[0])]
    elif len(path) >= 2 and path[-2] == "fields":
        name = path[-1]
    else:
        return FieldProblem(path, problem.message)
    if problem.message == "unknown field":
        return FieldProblem(path, f"unknown field '{name}'")
    label = labels.get(name)
    return FieldProblem(path, f"{label} {problem.message}" if label else problem.message)


def _run(cls: type, work: Callable[[], dict[str, Any]], ids: dict[str, Any], labels: Callable[[], dict[str, str]],
         detail_paths: bool = False) -> Any:
    def run() -> dict[str, Any]:
        try:
            return work()
        except DomainError as exc:
            raise _relabel(exc, ids, labels() if isinstance(exc, InvalidInput) else {}, detail_paths) from exc
        except RACE_ERRORS as exc:
            raise Conflict("someone else changed this at the same moment; reload and try again") from exc

    return payload(cls, run)


def create(ctx: RequestContext, data: CreateProjectInput, cls: type) -> Any:
    def work() -> dict[str, Any]:
        _refuse_public(ctx)
        details = {k: getattr(data, k) for k in ("title", "year", "category", "budget", "description", "target",
                                                 "planned_start", "planned_end") if getattr(data, k) is not None}
        unit = _unit_id(data.lead_unit_id, ["input", "leadUnitId"])
        if unit is not None:
            details["lead_unit_id"] = unit
        region_id = from_global_id(data.region_id, "Region", ["input", "regionId"])
        place = location_of(data.location, ["input", "location"]) if data.location is not None else None
        new = NewProject(region_id, details, data.code, data.workflow, place)
        project_id = create_project(ctx.engine, ctx.actor, new)
        return {"project": project_after_write(ctx, project_id)}

    ids = {"regionId": data.region_id, "leadUnitId": data.lead_unit_id}
    return _run(cls, work, ids, lambda: DETAIL_LABELS, detail_paths=True)


def _changes(data: UpdateProjectInput) -> dict[str, Any]:
    """The details the input sets; a required detail cannot be emptied and no detail can be cleared yet."""
    changes = {k: v for k, v in vars(data).items()
               if k not in ("project_id", "expected_version") and v is not strawberry.UNSET}
    problems = []
    for name, value in changes.items():
        if name == "location":
            continue  # null removes the location
        if name in REQUIRED_DETAILS and (value is None or (isinstance(value, str) and not value.strip())):
            problems.append(FieldProblem([name], "is required"))
        elif value is None:
            problems.append(FieldProblem([name], "cannot be cleared: leave it out to keep the current value"))
    if problems:
        raise InvalidInput(problems)
    return changes


def update(ctx: RequestContext, data: UpdateProjectInput, cls: type) -> Any:
    def work() -> dict[str, Any]:
        _refuse_public(ctx)
        project_id = from_global_id(data.project_id, "Project", ["input", "projectId"])
        changes = _changes(data)
        if "lead_unit_id" in changes:
            changes["lead_unit_id"] = _unit_id(changes["lead_unit_id"], ["input", "leadUnitId"])
        if changes.get("location") is not None:
            changes["location"] = location_of(changes["location"], ["input", "location"])
        update_project(ctx.engine, ctx.actor, project_id, changes, data.expected_version)
        return {"project": project_after_write(ctx, project_id)}

    ids = {"projectId": data.project_id, "leadUnitId": data.lead_unit_id}
    return _run(cls, work, ids, lambda: DETAIL_LABELS, detail_paths=True)


def _transition_labels(ctx: RequestContext, data: FireTransitionInput) -> dict[str, str]:
    """The labels of the fields of the transition ``data.event`` from the project's state (error path only)."""
    try:
        project_id = from_global_id(data.project_id, "Project", ["input", "projectId"])
    except InvalidInput:
        return {}
    with orm.db_session:
        row = Sql(ctx.engine.db).one("SELECT workflow_id, state FROM project WHERE id = ?", (project_id,))
    if row is None:
        return {}
    transition = ctx.engine.workflows.get(row[0]).definition.find(row[1], data.event)
    return {f.name: f.label or f.name for f in transition.fields} if transition else {}


def fire(ctx: RequestContext, data: FireTransitionInput, cls: type) -> Any:
    def work() -> dict[str, Any]:
        _refuse_public(ctx)
        project_id = from_global_id(data.project_id, "Project", ["input", "projectId"])
        if data.fields is not None and not isinstance(data.fields, dict):
            raise InvalidInput([FieldProblem(["input", "fields"], "must be an object of field values")])
        if data.idempotency_key is not None and not 1 <= len(data.idempotency_key) <= 100:
            raise InvalidInput([FieldProblem(["input", "idempotencyKey"], "must be 1 to 100 characters")])
        request = TransitionRequest(project_id, data.event, data.fields or {}, data.comment or "",
                                    data.expected_version, data.idempotency_key)
        record = fire_transition(ctx.engine, ctx.actor, request)
        return {"project": project_after_write(ctx, project_id), "from_state": record.source,
                "to_state": record.dest, "seq": record.seq, "replayed": record.replayed}

    return _run(cls, work, {"projectId": data.project_id}, lambda: _transition_labels(ctx, data))
