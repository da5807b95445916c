"""``reverseInspection``: a correction 冲正 of a mistaken inspection through GraphQL."""
from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.ids import from_global_id, parse_global_id, to_global_id
from engine.errors import FieldProblem, InvalidInput
from plugins.inspection import corrections

ENTRY_PATH = ["input", "inspectionId"]


@strawberry.input(description="Reverse (冲正) a mistaken inspection: a correction names it, the reason, who and "
                              "when; the inspection then no longer counts (acceptance 验收).")
class ReverseInspectionInput:
    project_id: strawberry.ID
    inspection_id: strawberry.ID
    reason: str
    idempotency_key: str | None = strawberry.field(default=None, description=(
        "Repeat-safe key (≤ 100 chars): a retried request answers the first result and writes nothing."))


@strawberry.type(description="A correction 冲正 of an inspection.")
class InspectionCorrection:
    id: strawberry.ID
    reverses: strawberry.ID = strawberry.field(description="The inspection it reverses.")
    reason: str
    recorded_by: str
    recorded_at: dt.datetime


@strawberry.type
class ReverseInspectionPayload:
    correction: InspectionCorrection | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _inspection_id(value: str) -> int:
    type_name, database_id = parse_global_id(value, ENTRY_PATH)
    if type_name == "InspectionCorrection":
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"correction {database_id} is itself a correction; a "
                                                     "correction is never reversed: record the inspection again")])
    return from_global_id(value, "Inspection", ENTRY_PATH)


@strawberry.type
class InspectionCorrectionMutation:
    @strawberry.mutation(description="Reverse (冲正) an inspection of a project (those who may record inspections).")
    def reverse_inspection(self, info: strawberry.Info, input: ReverseInspectionInput) -> ReverseInspectionPayload:
        ctx: RequestContext = info.context

        def run() -> dict[str, Any]:
            project_id = from_global_id(input.project_id, "Project", ["input", "projectId"])
            done = corrections.reverse_inspection(ctx.engine, ctx.actor, project_id, _inspection_id(
                input.inspection_id), input.reason, input.idempotency_key)
            return {"correction": InspectionCorrection(
                id=strawberry.ID(to_global_id("InspectionCorrection", done.id)),
                reverses=strawberry.ID(to_global_id("Inspection", done.inspection_id)), reason=done.reason,
                recorded_by=done.actor_name, recorded_at=done.at)}

        return payload(ReverseInspectionPayload, run)
