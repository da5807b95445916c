"""The funding plugin's GraphQL API: ``Project.funding``, the root query ``fundingRollup`` and the mutations
``setFundingPlan``, ``recordFundsReceived``, ``recordFundsPaid``, ``recordReward`` and ``reverseFundingEntry``
(``plugins.funding.graphql_corrections``), each with an ``idempotencyKey``.

Mutations call the service functions (each opens its own transaction) and answer domain errors as userErrors.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable, Optional

import strawberry
from strawberry.types import Info

from engine.directory.access import reach
from engine.api.batch import ProjectBatch, batch_of, batched
from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.extension import GraphQLExtension
from engine.api.ids import from_global_id
from plugins.funding import ledger, plan, rewards
from plugins.funding.figures import figures_of
from plugins.funding.graphql_corrections import FundingCorrectionMutation
from plugins.funding.graphql_types import (FundingPlanLine, FundingReward, FundingRollup, FundsPayment, FundsReceipt,
                                           ProjectFunding)
from plugins.funding.rollup import project_funding, rollup
from plugins.funding.sources import SocialKind, Source

PROJECT_ID = ["input", "projectId"]
KEY_HELP = "Repeat-safe key (≤ 100 chars): a retried request answers the first result and writes nothing."


@strawberry.input(description="Set one source's planned amount; it replaces that source's amount in force.")
class SetFundingPlanInput:
    project_id: strawberry.ID
    source: Source
    amount: Decimal = strawberry.field(description="Yuan 元, zero or more, at most two decimal places.")
    kind: Optional[SocialKind] = strawberry.field(default=None, description="Required for social capital only.")
    note: Optional[str] = None
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="Record funds received 资金到位.")
class RecordFundsReceivedInput:
    project_id: strawberry.ID
    source: Source
    amount: Decimal = strawberry.field(description="Yuan 元, more than zero, at most two decimal places.")
    kind: Optional[SocialKind] = strawberry.field(default=None, description="Required for social capital only.")
    received_on: Optional[dt.date] = strawberry.field(default=None, description="Default: today.")
    document_no: Optional[str] = strawberry.field(default=None, description="Allocation document number 文号.")
    duplicate_intended: bool = strawberry.field(default=False, description=(
        "A second receipt with the same source, amount and 文号 as one in force is refused unless this is true."))
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="Record funds paid out 资金拨付; never more in total than has been received.")
class RecordFundsPaidInput:
    project_id: strawberry.ID
    amount: Decimal = strawberry.field(description="Yuan 元, more than zero, at most two decimal places.")
    payee: str
    purpose: Optional[str] = None
    paid_on: Optional[dt.date] = strawberry.field(default=None, description="Default: today.")
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="Record a reward subsidy 奖补 by hand.")
class RecordRewardInput:
    project_id: strawberry.ID
    amount: Decimal = strawberry.field(description="Yuan 元, more than zero, at most two decimal places.")
    reason: Optional[str] = None
    granted_on: Optional[dt.date] = strawberry.field(default=None, description="Default: today.")
    granted_by: Optional[str] = strawberry.field(default=None, description="Default: your name.")
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.type
class SetFundingPlanPayload:
    line: Optional[FundingPlanLine] = None
    funding: Optional[ProjectFunding] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecordFundsReceivedPayload:
    receipt: Optional[FundsReceipt] = None
    funding: Optional[ProjectFunding] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecordFundsPaidPayload:
    payment: Optional[FundsPayment] = None
    funding: Optional[ProjectFunding] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RecordRewardPayload:
    reward: Optional[FundingReward] = None
    funding: Optional[ProjectFunding] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


Run = Callable[[RequestContext, int, Any], Any]


def _write(info: Info, input: Any, field: str, wrap: Callable[[Any], Any], run: Run) -> Callable[[], dict[str, Any]]:
    """The body of a funding mutation: parse the project id, write, answer the record and the new figures."""
    def body() -> dict[str, Any]:
        ctx: RequestContext = info.context
        project_id = from_global_id(input.project_id, "Project", PROJECT_ID)
        record = run(ctx, project_id, input)
        figures = project_funding(ctx.engine, ctx.actor, project_id)
        detailed = not reach(ctx.engine, ctx.actor).redacted
        return {field: wrap(record), "funding": ProjectFunding.of(project_id, figures, detailed,
                                                                  ProjectBatch((project_id,)))}
    return body


def _set_plan(c: RequestContext, project_id: int, i: SetFundingPlanInput) -> plan.PlanLine:
    return plan.set_plan(c.engine, c.actor, project_id, i.source, i.amount, i.kind, i.note, i.idempotency_key)


def _receive(c: RequestContext, project_id: int, i: RecordFundsReceivedInput) -> ledger.Receipt:
    return ledger.record_receipt(c.engine, c.actor, project_id, i.amount, i.source, i.kind, i.received_on,
                                 i.document_no, i.duplicate_intended, i.idempotency_key)


def _pay(c: RequestContext, project_id: int, i: RecordFundsPaidInput) -> ledger.Payment:
    return ledger.record_payment(c.engine, c.actor, project_id, i.amount, i.payee, i.purpose, i.paid_on,
                                 i.idempotency_key)


def _reward(c: RequestContext, project_id: int, i: RecordRewardInput) -> rewards.Reward:
    return rewards.record_reward(c.engine, c.actor, project_id, i.amount, i.reason, i.granted_on, i.granted_by,
                                 i.idempotency_key)


@strawberry.type
class FundingMutation(FundingCorrectionMutation):
    @strawberry.mutation(description="Set a source's planned amount in a project's funding plan (财政, 政府办).")
    def set_funding_plan(self, info: Info, input: SetFundingPlanInput) -> SetFundingPlanPayload:
        return payload(SetFundingPlanPayload, _write(info, input, "line", FundingPlanLine.of, _set_plan))

    @strawberry.mutation(description="Record funds received 资金到位 (财政; a lead unit for its own projects).")
    def record_funds_received(self, info: Info, input: RecordFundsReceivedInput) -> RecordFundsReceivedPayload:
        return payload(RecordFundsReceivedPayload, _write(info, input, "receipt", FundsReceipt.of, _receive))

    @strawberry.mutation(description="Record funds paid out 资金拨付 (财政; a lead unit for its own projects); "
                                     "refused when more would be paid out than has been received.")
    def record_funds_paid(self, info: Info, input: RecordFundsPaidInput) -> RecordFundsPaidPayload:
        return payload(RecordFundsPaidPayload, _write(info, input, "payment", FundsPayment.of, _pay))

    @strawberry.mutation(description="Record a reward subsidy 奖补 for a project (财政, 人大常委会).")
    def record_reward(self, info: Info, input: RecordRewardInput) -> RecordRewardPayload:
        return payload(RecordRewardPayload, _write(info, input, "reward", FundingReward.of, _reward))


@strawberry.type
class FundingQuery:
    @strawberry.field(description="Funding figures of a region and every region below it, in a year if given. "
                                  "Default region: your home region; the public must name one and sees published "
                                  "projects only.")
    def funding_rollup(self, info: Info, region: Optional[strawberry.ID] = None,
                       year: Optional[int] = None) -> FundingRollup:
        ctx: RequestContext = info.context
        region_id = from_global_id(region, "Region", ["region"]) if region else None
        return FundingRollup.of(rollup(ctx.engine, ctx.actor, region_id, year))


@strawberry.type
class FundingProjectFields:
    @strawberry.field(description="The project's funding 资金: plan, received, paid, rates, by source.")
    def funding(self, info: Info) -> ProjectFunding:
        ctx: RequestContext = info.context
        project_id: int = self.database_id  # type: ignore[attr-defined]  # self is the Project
        figures = batched(self, "funding", lambda ids: figures_of(ctx.sql, ids))
        return ProjectFunding.of(project_id, figures, not reach(ctx.engine, ctx.actor).redacted, batch_of(self))


def extension() -> GraphQLExtension:
    return GraphQLExtension(query=FundingQuery, mutation=FundingMutation, project=FundingProjectFields)
