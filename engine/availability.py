"""Which transitions an actor may fire on a project now, and for each one that is blocked, why."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pony import orm

from engine.directory import access
from engine.directory.actors import ActorView
from engine.storage.batch import ProjectBatch
from engine.storage.project_rows import ProjectRow, read_many
from engine.storage.sql import Sql
from engine.transition import evaluate_guards, guard_context, locate, reachable, role_reason
from engine.workflow.model import FieldSpec

if TYPE_CHECKING:
    from engine.core import Engine

LEAD_ONLY = "only the lead unit (牵头单位) acts on this project; a cooperating unit (配合单位) reads it"


@dataclass(frozen=True)
class Availability:
    event: str
    label: str
    dest: str
    allowed: bool
    reasons: tuple[str, ...]  # every reason it is blocked, in words a clerk understands
    fields: tuple[FieldSpec, ...]


def available_transitions(engine: Engine, actor: ActorView, project_id: int,
                          batch: ProjectBatch | None = None) -> list[Availability]:
    """Every transition from the project's current state, for this actor (guards evaluated read-only). With
    ``batch`` (the projects of a page), the project rows and every figure the guards read through
    ``GuardContext.load`` are read for the whole batch at once."""
    with orm.db_session:
        sql = Sql(engine.db)
        row = _row(engine, sql, actor, project_id, batch)
        lead_only = None if access.can_act(engine, actor, row) else LEAD_ONLY
        loaded = engine.workflows.get(row.workflow_id)
        result = []
        for transition in loaded.definition.transitions_from(row.view.state):
            reasons = [lead_only] if lead_only else []
            role = role_reason(engine, row, transition, actor)
            if role:
                reasons.append(role)
            ctx = guard_context(engine, sql, row, transition, actor, {})
            ctx.preview, ctx.batch = True, batch
            reasons.extend(evaluate_guards(engine, transition, ctx))
            dest = ctx.dest
            result.append(Availability(transition.event, transition.label, dest, not reasons, tuple(reasons),
                                       transition.fields))
        orm.rollback()  # guards only read; make sure nothing they touched is kept
    return result


def _row(engine: Engine, sql: Sql, actor: ActorView, project_id: int, batch: ProjectBatch | None) -> ProjectRow:
    """The project if the actor may read it (a cooperating unit reads, cannot act), else ``NotFound``."""
    if batch is None:
        return locate(engine, sql, actor, project_id, cooperating=True)
    row = batch.load("availability.rows", lambda ids: read_many(sql, ids, engine.workflow_names), project_id)
    return reachable(engine, actor, project_id, row, cooperating=True)
