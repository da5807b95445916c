"""The satisfaction plugin's GraphQL: ``Project.satisfaction``, ``satisfactionRollup``, ``rateProject`` (the
public with a device token, or a 监督员 / 人大代表 with their token) and ``recordDeputyVote`` (人大常委会)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Optional

import strawberry

from engine.api.batch import batched
from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.extension import GraphQLExtension
from engine.api.ids import from_global_id, to_global_id
from plugins.satisfaction import ratings, scoring, summary, votes
from plugins.satisfaction.graphql_enums import SatisfactionGradeLevel, SatisfactionRaterKind, SatisfactionVerdict
from plugins.satisfaction.graphql_rounds import RoundMutation, SatisfactionRound, current_round_field, rounds_field
from plugins.satisfaction.graphql_tokens import DeviceTokenMutation
from plugins.satisfaction.graphql_corrections import RatingCorrectionMutation
from plugins.satisfaction.scoring import Tally
from plugins.satisfaction.weighting import weighted_rate


@strawberry.type(description="Counted satisfaction answers and the figures officials report.")
class SatisfactionTally:
    responses: int = strawberry.field(description="Valid answers 有效答卷.")
    satisfied: int = strawberry.field(description="满意 answers (five-level 100 and 80 included).")
    basically_satisfied: int = strawberry.field(description="基本满意 answers (five-level 60 included).")
    dissatisfied: int = strawberry.field(description="不满意 answers (five-level 40 and 20 included).")
    scored_responses: int = strawberry.field(description="Answers given on the five-level scale.")
    rate: Optional[Decimal] = strawberry.field(description="满意率 in percent, two places: (满意 + 基本满意) / "
                                                           "valid answers; null without answers.")
    mean_score: Optional[Decimal] = strawberry.field(description="Mean of the five-level scores (100/80/60/40/20) "
                                                                 "only; null without such answers.")


def _tally_values(tally: Tally) -> dict[str, Any]:
    return {"responses": tally.responses, "satisfied": tally.satisfied,
            "basically_satisfied": tally.basically_satisfied, "dissatisfied": tally.dissatisfied,
            "scored_responses": tally.scored, "rate": tally.rate_percent(), "mean_score": tally.mean_score()}


@strawberry.type(description="Satisfaction answers of one kind of rater.")
class SatisfactionKindTally(SatisfactionTally):
    kind: SatisfactionRaterKind
    label: str = strawberry.field(description="群众, 监督员 or 人大代表.")


@strawberry.type(description="Weights of the rater kinds in a graded rate (whole numbers; their sum is the whole).")
class SatisfactionWeights:
    resident: int = strawberry.field(description="群众")
    supervisor: int = strawberry.field(description="监督员")
    deputy: int = strawberry.field(description="人大代表")


def _weights(weights: dict[str, int] | None) -> SatisfactionWeights | None:
    return None if weights is None else SatisfactionWeights(**weights)


@strawberry.type(description="The rate a grade would be given from now, under the project's workflow's weights.")
class SatisfactionGrading:
    weights: Optional[SatisfactionWeights] = strawberry.field(
        description="From the workflow's satisfaction.grade action; null: every answer counts alike.")
    rate: Optional[Decimal] = strawberry.field(
        description="The weighted rate in percent, two places (the pooled rate without weights); null without "
                    "answers, or while a weighted rater kind has none.")
    missing_kinds: list[SatisfactionRaterKind] = strawberry.field(
        description="Rater kinds with a positive weight and no answers yet (the grade needs them).")


@strawberry.type(description="A grade 评定等次 given when the project was reviewed, with the figures behind it.")
class SatisfactionGrade:
    grade: SatisfactionGradeLevel
    label: str = strawberry.field(description="优良, 良好 or 一般.")
    rate: Decimal = strawberry.field(description="The satisfaction rate graded, in percent (weighted when "
                                                 "weights were used).")
    weights: Optional[SatisfactionWeights] = strawberry.field(description="The weights used; null: every answer "
                                                                          "counted alike.")
    responses: int
    bands: list[Decimal] = strawberry.field(description="[top, middle] band limits in percent used.")
    reward_amount: Optional[Decimal] = strawberry.field(description="Reward 奖补 granted, yuan (top grade).")
    rectification_days: Optional[int] = strawberry.field(description="Days given to rectify (bottom grade).")
    graded_at: dt.datetime


@strawberry.type(description="A deputies' vote session 人大代表票决测评 on a project's results.")
class SatisfactionDeputyVote:
    body: str = strawberry.field(description="The voting body, e.g. 人大常委会.")
    voted_on: dt.date
    expected: int = strawberry.field(description="Members expected 应到.")
    present: int = strawberry.field(description="Members present 实到.")
    quorum_met: bool = strawberry.field(description="More than half of the members expected were present.")
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    verdict: SatisfactionVerdict = strawberry.field(description="满意 if 满意 votes exceed half of those present, "
                                                                "else 基本满意 if 满意 + 基本满意 do, else 不满意.")
    verdict_label: str


@strawberry.type(description="A project's satisfaction 满意度: all answers of every survey round, by rater kind; "
                             "the rounds; the grade and the votes.")
class ProjectSatisfaction(SatisfactionTally):
    by_kind: list[SatisfactionKindTally] = strawberry.field(description="Answers by 群众 / 监督员 / 人大代表.")
    latest_grade: Optional[SatisfactionGrade]
    deputy_votes: list[SatisfactionDeputyVote] = strawberry.field(description="Vote sessions, latest first.")
    project: strawberry.Private[Any]

    @strawberry.field(description="The rate the current survey round would be graded from now, and its weights.")
    def grading(self, info: strawberry.Info) -> SatisfactionGrading:
        sql = info.context.sql
        current = batched(self.project, "satisfaction.round_tally",
                          lambda ids: summary.current_round_tallies(sql, ids))
        return _grading(current, summary.workflow_weights(info.context.engine, self.project.workflow_id))

    @strawberry.field(description="The latest survey round 调查轮次 (open or closed): what the review reads.")
    def current_round(self, info: strawberry.Info) -> Optional[SatisfactionRound]:
        return current_round_field(info.context, self.project)

    @strawberry.field(description="Every survey round 调查轮次, first round first.")
    def rounds(self, info: strawberry.Info) -> list[SatisfactionRound]:
        return rounds_field(info.context, self.project)


@strawberry.type(description="Satisfaction over every valid answer on the projects of an area and year.")
class SatisfactionRollup(SatisfactionTally):
    projects: int = strawberry.field(description="Projects with at least one answer.")


@strawberry.type(description="One recorded answer (nothing about who gave it).")
class SatisfactionRating:
    id: strawberry.ID = strawberry.field(description="Send it as ratingId to reverseRating (冲正).")
    project_id: strawberry.ID
    kind: SatisfactionRaterKind
    score: Optional[int]
    verdict: SatisfactionVerdict
    verdict_label: str
    rated_at: dt.datetime


def _grade(view: summary.GradeView | None) -> SatisfactionGrade | None:
    if view is None:
        return None
    reward = None if view.reward_fen is None else (Decimal(view.reward_fen) / 100).quantize(Decimal("0.01"))
    return SatisfactionGrade(grade=SatisfactionGradeLevel(view.grade), label=scoring.GRADE_LABELS[view.grade],
                             rate=view.rate, weights=_weights(view.weights), responses=view.responses, bands=[view.band_top, view.band_middle],
                             reward_amount=reward, rectification_days=view.rectification_days,
                             graded_at=view.graded_at)


def _vote(view: votes.VoteView) -> SatisfactionDeputyVote:
    return SatisfactionDeputyVote(body=view.body, voted_on=view.voted_on, expected=view.expected,
                                  present=view.present, quorum_met=view.quorum_met, satisfied=view.satisfied,
                                  basically_satisfied=view.basically_satisfied, dissatisfied=view.dissatisfied,
                                  verdict=SatisfactionVerdict(view.verdict),
                                  verdict_label=scoring.VERDICT_LABELS[view.verdict])


def _rating(view: ratings.RatingView) -> SatisfactionRating:
    return SatisfactionRating(id=strawberry.ID(to_global_id("SatisfactionRating", view.id)),
                              project_id=strawberry.ID(to_global_id("Project", view.project_id)),
                              kind=SatisfactionRaterKind(view.rater_kind), score=view.score,
                              verdict=SatisfactionVerdict(view.verdict),
                              verdict_label=scoring.VERDICT_LABELS[view.verdict], rated_at=view.rated_at)


def _grading(tally: summary.RoundTally, weights: dict[str, int] | None) -> SatisfactionGrading:
    if weights is None:
        return SatisfactionGrading(weights=None, rate=tally.overall.rate_percent(), missing_kinds=[])
    weighted = weighted_rate(tally.weighting_by_kind(), weights)
    return SatisfactionGrading(weights=_weights(weights), rate=scoring.percent(weighted.rate),
                               missing_kinds=[SatisfactionRaterKind(k) for k in weighted.missing])


def project_satisfaction(context: RequestContext, project: Any) -> ProjectSatisfaction:
    """Everything about a project's satisfaction, loaded for the project's whole batch (``engine.api.batch``);
    aggregates only, so the public may see it all."""
    sql = context.sql
    tally = batched(project, "satisfaction.tally", lambda ids: summary.project_tallies(sql, ids))
    by_kind = [SatisfactionKindTally(kind=SatisfactionRaterKind(kind), label=ratings.KIND_LABELS[kind],
                                     **_tally_values(t)) for kind, t in tally.by_kind.items()]
    grade = batched(project, "satisfaction.grade", lambda ids: summary.latest_grades(sql, ids))
    deputy_votes = batched(project, "satisfaction.votes", lambda ids: votes.votes_of_projects(sql, ids), [])
    return ProjectSatisfaction(**_tally_values(tally.overall), by_kind=by_kind, latest_grade=_grade(grade),
                               deputy_votes=[_vote(v) for v in deputy_votes], project=project)


@strawberry.type
class SatisfactionProjectFields:
    @strawberry.field(description="满意度: the satisfaction rate, mean score, answers by rater kind, the weighted "
                                  "rate a grade would use, the latest grade and the deputies' vote sessions.")
    def satisfaction(self, info: strawberry.Info) -> ProjectSatisfaction:
        return project_satisfaction(info.context, self)


@strawberry.type
class SatisfactionQuery:
    @strawberry.field(description="Satisfaction over all valid answers on the projects of a region (default: "
                                  "your own; the public: all published projects) and year (default: all years).")
    def satisfaction_rollup(self, info: strawberry.Info, region: Optional[strawberry.ID] = None,
                            year: Optional[int] = None) -> SatisfactionRollup:
        context: RequestContext = info.context
        region_id = None if region is None else from_global_id(region, "Region", ["region"])
        result = summary.rollup(context.engine, context.sql, context.actor, region_id, year)
        return SatisfactionRollup(**_tally_values(result.tally), projects=result.projects)


@strawberry.input(description="One satisfaction answer: a five-level score or a verdict, not both.")
class RateProjectInput:
    project_id: strawberry.ID
    score: Optional[int] = strawberry.field(default=None, description="100, 80, 60, 40 or 20.")
    verdict: Optional[SatisfactionVerdict] = None
    device_token: Optional[str] = strawberry.field(
        default=None, description="Required from residents: a token from issueDeviceToken, kept on the device (at "
                                  "least a few seconds old, not expired). Stored only as a keyed hash; one answer "
                                  "per project per device.")
    idempotency_key: Optional[str] = strawberry.field(default=None, description=(
        "监督员 and 人大代表: a repeat-safe key (≤ 100 chars); a retried request answers the first result."))


@strawberry.type
class RateProjectPayload:
    rating: Optional[SatisfactionRating] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="A deputies' vote session on a project's results (recorded by 人大常委会).")
class RecordDeputyVoteInput:
    project_id: strawberry.ID
    present: int = strawberry.field(description="Members present 实到.")
    expected: int = strawberry.field(description="Members expected 应到.")
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    body: Optional[str] = strawberry.field(default=None, description="Voting body; default 人大常委会.")
    voted_on: Optional[dt.date] = strawberry.field(default=None, description="Default: today.")
    idempotency_key: Optional[str] = strawberry.field(default=None, description=(
        "Repeat-safe key (≤ 100 chars): a retried request answers the first session and writes nothing."))


@strawberry.type
class RecordDeputyVotePayload:
    vote: Optional[SatisfactionDeputyVote] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _rate(context: RequestContext, data: RateProjectInput) -> dict[str, Any]:
    project_id = from_global_id(data.project_id, "Project", ["input", "projectId"])
    verdict = None if data.verdict is None else data.verdict.value
    request = ratings.RatingRequest(project_id, data.score, verdict, data.device_token, data.idempotency_key)
    return {"rating": _rating(ratings.rate_project(context.engine, context.actor, request, context.client))}


def _record_vote(context: RequestContext, data: RecordDeputyVoteInput) -> dict[str, Any]:
    project_id = from_global_id(data.project_id, "Project", ["input", "projectId"])
    request = votes.VoteRequest(project_id, data.present, data.expected, data.satisfied, data.basically_satisfied,
                                data.dissatisfied, data.body, data.voted_on, data.idempotency_key)
    return {"vote": _vote(votes.record_deputy_vote(context.engine, context.actor, request))}


@strawberry.type
class SatisfactionMutation(DeviceTokenMutation, RoundMutation, RatingCorrectionMutation):
    @strawberry.mutation(description="Rate a project's satisfaction: anyone without a token on a published "
                                     "project (with an issued device token; a few per address per minute and a "
                                     "bounded number per project per hour: THROTTLED beyond), or a 监督员 / "
                                     "人大代表 with theirs.")
    def rate_project(self, info: strawberry.Info, input: RateProjectInput) -> RateProjectPayload:
        return payload(RateProjectPayload, lambda: _rate(info.context, input))

    @strawberry.mutation(description="Record a deputies' vote session 人大代表票决测评 on a project (人大常委会).")
    def record_deputy_vote(self, info: strawberry.Info, input: RecordDeputyVoteInput) -> RecordDeputyVotePayload:
        return payload(RecordDeputyVotePayload, lambda: _record_vote(info.context, input))


EXTENSION = GraphQLExtension(query=SatisfactionQuery, mutation=SatisfactionMutation,
                             project=SatisfactionProjectFields)
