"""``reverseRating``: a correction 冲正 of a mistaken rating through GraphQL (the rating ids are in the rating's
payload and in the project's ``history(kinds: ["rating"])``)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import strawberry

from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.ids import from_global_id, parse_global_id, to_global_id
from engine.errors import FieldProblem, InvalidInput
from plugins.satisfaction import corrections

ENTRY_PATH = ["input", "ratingId"]


@strawberry.input(description="Reverse (冲正) a mistaken rating: a correction names it, the reason, who and when; "
                              "the rating then no longer counts in the tallies, rates and grades.")
class ReverseRatingInput:
    project_id: strawberry.ID
    rating_id: strawberry.ID
    reason: str
    idempotency_key: Optional[str] = strawberry.field(default=None, description=(
        "Repeat-safe key (≤ 100 chars): a retried request answers the first result and writes nothing."))


@strawberry.type(description="A correction 冲正 of a rating.")
class SatisfactionRatingCorrection:
    id: strawberry.ID
    reverses: strawberry.ID = strawberry.field(description="The rating it reverses.")
    reason: str
    recorded_by: str
    recorded_at: dt.datetime


@strawberry.type
class ReverseRatingPayload:
    correction: Optional[SatisfactionRatingCorrection] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _rating_id(value: str) -> int:
    type_name, database_id = parse_global_id(value, ENTRY_PATH)
    if type_name == "SatisfactionRatingCorrection":
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"correction {database_id} is itself a correction; a "
                                                     "correction is never reversed")])
    return from_global_id(value, "SatisfactionRating", ENTRY_PATH)


@strawberry.type
class RatingCorrectionMutation:
    @strawberry.mutation(description="Reverse (冲正) a rating of a project (政府办/督查室, 人大常委会).")
    def reverse_rating(self, info: strawberry.Info, input: ReverseRatingInput) -> ReverseRatingPayload:
        ctx: RequestContext = info.context

        def run() -> dict[str, Any]:
            project_id = from_global_id(input.project_id, "Project", ["input", "projectId"])
            done = corrections.reverse_rating(ctx.engine, ctx.actor, project_id, _rating_id(input.rating_id),
                                              input.reason, input.idempotency_key)
            return {"correction": SatisfactionRatingCorrection(
                id=strawberry.ID(to_global_id("SatisfactionRatingCorrection", done.id)),
                reverses=strawberry.ID(to_global_id("SatisfactionRating", done.rating_id)), reason=done.reason,
                recorded_by=done.actor_name, recorded_at=done.at)}

        return payload(ReverseRatingPayload, run)
