"""``reverseFundingEntry``: a correction 冲正 of a funding receipt, payment or plan line through GraphQL."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from engine.api.batch import ProjectBatch
from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.ids import from_global_id, parse_global_id, to_global_id
from engine.directory.access import reach
from engine.errors import FieldProblem, InvalidInput
from plugins.funding import corrections
from plugins.funding.graphql_types import ProjectFunding
from plugins.funding.rollup import project_funding

TABLES = {"FundsReceipt": "funding_receipt", "FundsPayment": "funding_payment", "FundingPlanLine": "funding_plan"}
TYPES = {table: name for name, table in TABLES.items()}


@strawberry.input(description="Reverse (冲正) a mistaken funding receipt, payment or plan line of a project: a "
                              "correcting entry names it, the reason, who and when; the figures count the net.")
class ReverseFundingEntryInput:
    project_id: strawberry.ID
    entry_id: strawberry.ID = strawberry.field(description="The id of a FundsReceipt, FundsPayment or "
                                                           "FundingPlanLine of the project.")
    reason: str = strawberry.field(description="Why the entry was wrong (≤ 500 chars).")
    idempotency_key: Optional[str] = strawberry.field(default=None, description=(
        "Repeat-safe key (≤ 100 chars): a retried request answers the first result and writes nothing."))


@strawberry.type(description="A correcting entry 冲正 of the funding records.")
class FundingCorrection:
    id: strawberry.ID
    reverses: strawberry.ID = strawberry.field(description="The entry it reverses.")
    amount: Decimal = strawberry.field(description="Yuan 元: the negated amount of a receipt or payment; for a plan "
                                                   "line, the amount in force again.")
    reason: str
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, c: corrections.Correction) -> FundingCorrection:
        type_name = TYPES[c.table]
        return cls(id=strawberry.ID(to_global_id(type_name, c.id)),
                   reverses=strawberry.ID(to_global_id(type_name, c.reverses_id)), amount=c.amount, reason=c.reason,
                   recorded_by=c.recorded_by, recorded_at=c.recorded_at)


@strawberry.type
class ReverseFundingEntryPayload:
    correction: Optional[FundingCorrection] = None
    funding: Optional[ProjectFunding] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _entry(value: str) -> tuple[str, int]:
    path = ["input", "entryId"]
    type_name, database_id = parse_global_id(value, path)
    if type_name not in TABLES:
        raise InvalidInput([FieldProblem(path, "is not the id of a funds receipt, payment or plan line")])
    return TABLES[type_name], database_id


@strawberry.type
class FundingCorrectionMutation:
    @strawberry.mutation(description="Reverse (冲正) a funding receipt, payment or plan line of a project (who may "
                                     "record that kind of entry may reverse it); a correction is never reversed.")
    def reverse_funding_entry(self, info: Info, input: ReverseFundingEntryInput) -> ReverseFundingEntryPayload:
        def body() -> dict[str, Any]:
            ctx: RequestContext = info.context
            project_id = from_global_id(input.project_id, "Project", ["input", "projectId"])
            table, entry_id = _entry(input.entry_id)
            done = corrections.reverse_entry(ctx.engine, ctx.actor, project_id, table, entry_id, input.reason,
                                             input.idempotency_key)
            figures = project_funding(ctx.engine, ctx.actor, project_id)
            detailed = not reach(ctx.engine, ctx.actor).redacted
            return {"correction": FundingCorrection.of(done),
                    "funding": ProjectFunding.of(project_id, figures, detailed, ProjectBatch((project_id,)))}
        return payload(ReverseFundingEntryPayload, body)
