"""The ``Project`` type and reading projects for it with one SQL query per page.

Plugins add fields to ``Project`` (see ``GraphQLExtension.project``); the schema builds the final class, which the
request context carries as ``ctx.project_type`` so every resolver returns instances of it.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

import strawberry
from pony import orm
from strawberry.types import Info

from engine.directory.access import can_read_fields, reach
from engine.api.batch import ProjectBatch, batch_of, batched
from engine.api.ids import to_global_id
from engine.api.locations import LocationType
from engine.api.types import FormField, HistoryEntry, Node, Region, State, TransitionOption, Unit
from engine.availability import available_transitions
from engine.storage.project_rows import cooperating_units
from engine.directory.regions import RegionView
from engine.storage.sql import by_project, first_rows_per_project, to_date, to_datetime, to_decimal

if TYPE_CHECKING:
    from engine.api.context import RequestContext

SELECT = """SELECT p.id, p.code, p.title, p.year, p.category, p.budget, p.description, p.target, p.planned_start,
 p.planned_end, p.state, p.version, p.workflow_id, p.region_path, p.created_at, p.updated_at,
 r.id, r.code, r.name, r.level, r.parent_id, r.path, u.id, u.code, u.name, u.region_id, p.created_by,
 p.location FROM project p JOIN region r ON r.id = p.region_id LEFT JOIN unit u ON u.id = p.lead_unit_id"""


@strawberry.type(description="Which workflow definition version a project runs on.")
class WorkflowRef:
    name: str
    version: int


@strawberry.type(name="Project", description="A livelihood project 民生实事项目.")
class ProjectBase(Node):
    database_id: int
    code: str
    title: str
    year: int
    category: str
    budget: Decimal = strawberry.field(description="Budget in yuan 元.")
    description: Optional[str]
    target: Optional[str] = strawberry.field(description="Target 目标任务, e.g. 新增学位15000个.")
    planned_start: Optional[dt.date]
    planned_end: Optional[dt.date]
    state: State
    version: int = strawberry.field(description="Row version; send it back as expectedVersion.")
    workflow: WorkflowRef
    region: Region
    lead_unit: Optional[Unit]
    created_at: dt.datetime
    updated_at: dt.datetime
    location: Optional[LocationType] = strawberry.field(description="Where it is: a point or a line (roads), "
                                                                    "WGS-84; null when not given.")
    region_path: strawberry.Private[str]
    state_name: strawberry.Private[str]
    workflow_id: strawberry.Private[int]

    batch: strawberry.Private[Optional[ProjectBatch]] = None  # the projects read together (engine.api.batch)

    @strawberry.field(description="The audit log, newest first (first ≤ 100), of the given record kinds if any "
                                  "(transition, edit, progress, notice, funding, inspection, rating, correction "
                                  "…). The public (and a public-scope role such as resident) sees state changes "
                                  "only, without who, comments or fields.")
    def history(self, info: Info, first: int = 20, before_seq: Optional[int] = None,
                kinds: Optional[list[str]] = None) -> list[HistoryEntry]:
        ctx: RequestContext = info.context
        first = max(1, min(first, 100))
        redacted = reach(ctx.engine, ctx.actor).redacted
        wanted = tuple(sorted(set(kinds[:20]))) if kinds is not None else None
        return batched(self, ("history", redacted, first, before_seq, wanted),
                       lambda ids: _history(ctx, ids, redacted, first, before_seq, wanted), [])

    @strawberry.field(description="Transitions from the current state, for the calling actor, each with whether "
                                  "it is allowed now and every reason it is blocked.")
    def available_transitions(self, info: Info) -> list[TransitionOption]:
        ctx: RequestContext = info.context
        if reach(ctx.engine, ctx.actor).redacted:  # the public and public-scope roles: what the public sees
            return []
        options = available_transitions(ctx.engine, ctx.actor, self.database_id, batch_of(self))
        return [TransitionOption(event=o.event, label=o.label, to=o.dest, allowed=o.allowed, reasons=list(o.reasons),
                                 fields=[FormField.of(f) for f in o.fields]) for o in options]


HISTORY = ("SELECT project_id, seq, kind, event, from_state, to_state, actor_id, actor_name, at, fields, comment,"
           " hash FROM audit_record WHERE project_id = ?")


def _history(ctx: RequestContext, ids: Sequence[int], redacted: bool, first: int, before_seq: int | None,
             kinds: tuple[str, ...] | None = None) -> dict[int, list[HistoryEntry]]:
    """Each project's newest ``first`` records (before ``before_seq``, of ``kinds`` if given), in one statement for
    the batch; the redacted view has creation and transition records only (no edits, no progress reports, no
    plugin records), without who, fields or comments."""
    query, params = HISTORY, []
    if redacted:
        query += " AND kind IN ('create', 'transition')"
    if kinds is not None:
        query += f" AND kind IN ({', '.join('?' for _ in kinds) or 'NULL'})"
        params.extend(kinds)
    if before_seq is not None:
        query += " AND seq < ?"
        params.append(before_seq)
    with orm.db_session:
        rows = first_rows_per_project(ctx.sql, query, "seq DESC", ids, params, first)
    return by_project(rows, _public_entry if redacted else _entry)


def _entry(row: Sequence[Any]) -> HistoryEntry:
    return HistoryEntry(seq=row[1], kind=row[2], event=row[3], from_state=row[4], to_state=row[5],
                        actor_name=row[7], at=to_datetime(row[8]), fields=json.loads(row[9]), comment=row[10],
                        hash=row[11])


def _public_entry(row: Sequence[Any]) -> HistoryEntry:
    return HistoryEntry(seq=row[1], kind=row[2], event=row[3], from_state=row[4], to_state=row[5],
                        actor_name=None, at=to_datetime(row[8]), fields=None, comment=None, hash=row[11])


def _shared(ctx: RequestContext, key: tuple, make: Callable[[], Any]) -> Any:
    """One object per request for what many projects of a page share (their region, unit, state)."""
    value = ctx.cache.get(key)
    if value is None:
        value = ctx.cache[key] = make()
    return value


def project_from_row(ctx: RequestContext, row: Sequence[Any], batch: ProjectBatch | None = None) -> ProjectBase:
    """The ``Project`` of a row of ``SELECT``; its region, lead unit, state and workflow are shared with the other
    projects of the request that have the same."""
    workflow_id, state_name = row[12], row[10]
    definition = ctx.engine.workflows.get(workflow_id).definition
    state = _shared(ctx, ("state", workflow_id, state_name), lambda: _state(definition.states[state_name]))
    workflow = _shared(ctx, ("workflow", workflow_id),
                       lambda: WorkflowRef(name=definition.name, version=definition.version))
    region = _shared(ctx, ("region", row[16]),
                     lambda: Region.of(RegionView(row[16], row[17], row[18], row[19], row[20], row[21])))
    unit = None if row[22] is None else _shared(ctx, ("unit", row[22]),
                                                lambda: Unit.of(row[22], row[23], row[24], row[25]))
    return ctx.project_type(
        id=strawberry.ID(to_global_id("Project", row[0])), database_id=row[0], code=row[1], title=row[2],
        year=row[3], category=row[4], budget=to_decimal(row[5]), description=row[6], target=row[7],
        planned_start=to_date(row[8]), planned_end=to_date(row[9]), state=state, version=row[11],
        workflow=workflow, region=region, lead_unit=unit, created_at=to_datetime(row[14]),
        updated_at=to_datetime(row[15]), location=LocationType.of(row[27]),
        region_path=row[13], state_name=state_name, workflow_id=workflow_id,
        batch=batch)


def _state(s: Any) -> State:
    return State(name=s.name, label=s.label, final=s.final, editable=s.editable, public=s.public)


def load_project(ctx: RequestContext, project_id: int) -> ProjectBase | None:
    """One project the actor may read, or None (missing and out-of-scope look the same)."""
    row = ctx.sql.one(SELECT + " WHERE p.id = ?", (project_id,))
    if row is None:
        return None
    scope = reach(ctx.engine, ctx.actor)
    cooperating = cooperating_units(ctx.sql, project_id) if scope.unit_bound and row[22] != scope.unit_id else None
    if not can_read_fields(ctx.engine, ctx.actor, row[12], row[10], row[13], row[22], row[26],
                           cooperating or frozenset()):
        return None
    return project_from_row(ctx, row)


def project_after_write(ctx: RequestContext, project_id: int) -> ProjectBase | None:
    with orm.db_session:
        return load_project(ctx, project_id)
