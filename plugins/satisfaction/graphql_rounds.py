"""Survey rounds 调查轮次 in GraphQL: ``Project.satisfaction.rounds`` / ``currentRound`` (public figures only:
dates, status, counts, rates, grade — never a device hash or a rater), ``openSurveyRound`` and
``closeSurveyRound`` (政府办 / 人大常委会 of the project's area, through the one access rule)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Optional

import strawberry
from pony import orm

from engine.api.batch import batched
from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.ids import from_global_id
from engine.storage.sql import Sql
from plugins.satisfaction import rounds, scoring, summary
from plugins.satisfaction.graphql_enums import (SatisfactionGradeLevel, SatisfactionRoundOrigin,
                                                SatisfactionRoundStatus)
from plugins.satisfaction.weighting import weighted_rate


@strawberry.type(description="A survey round 调查轮次: answers are taken between its opening and closing dates, once "
                             "per device and per signed-in rater; each round has its own grade.")
class SatisfactionRound:
    number: int = strawberry.field(description="1 for the project's first round, then 2, 3 …")
    opens_on: dt.date
    closes_on: dt.date = strawberry.field(description="The last day answers are taken (earlier when closed early).")
    status: SatisfactionRoundStatus
    origin: SatisfactionRoundOrigin
    origin_label: str
    responses: int = strawberry.field(description="Valid answers 有效答卷 in the round.")
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    rate: Optional[Decimal] = strawberry.field(description="满意率 of the round's answers, percent; null without.")
    deputy_vote_sessions: int = strawberry.field(description="Deputies' vote sessions counted toward the round.")
    deputy_votes: int = strawberry.field(description="Votes cast in those sessions (the deputies' share of a "
                                                     "weighted grade counts them).")
    grading_rate: Optional[Decimal] = strawberry.field(
        description="The rate the round is graded from: weighted by rater kind under the workflow's weights "
                    "(deputies' share with their vote sessions), else the pooled rate; null while a weighted kind "
                    "has no answers.")
    grade: Optional[SatisfactionGradeLevel] = strawberry.field(
        description="The grade the review gave the round, else the grade its grading rate reaches now.")
    grade_label: Optional[str] = strawberry.field(description="优良, 良好 or 一般.")
    graded: bool = strawberry.field(description="True when the grade is the review's (stored), false while "
                                                "it is only what the figures reach now.")


def round_of(context: RequestContext, workflow_id: int, item: summary.RoundSummary) -> SatisfactionRound:
    today = context.engine.clock.now().date()
    view, tally = item.round, item.tally
    weights = summary.workflow_weights(context.engine, workflow_id)
    if weights is None:
        rate = tally.overall.rate_fraction()
    else:
        rate = weighted_rate(tally.weighting_by_kind(), weights).rate
    if item.grade is not None:
        level: str | None = item.grade.grade
    else:
        level = None if rate is None else scoring.grade_of(rate, summary.workflow_bands(context.engine, workflow_id))
    return SatisfactionRound(
        number=view.number, opens_on=view.opens_on, closes_on=view.closed_on(),
        status=SatisfactionRoundStatus(view.status(today)), origin=SatisfactionRoundOrigin(view.origin),
        origin_label=rounds.ORIGIN_LABELS[view.origin], responses=tally.overall.responses,
        satisfied=tally.overall.satisfied, basically_satisfied=tally.overall.basically_satisfied,
        dissatisfied=tally.overall.dissatisfied, rate=tally.overall.rate_percent(),
        deputy_vote_sessions=item.sessions, deputy_votes=tally.votes.responses,
        grading_rate=item.grade.rate if item.grade is not None else scoring.percent(rate),
        grade=None if level is None else SatisfactionGradeLevel(level),
        grade_label=None if level is None else scoring.GRADE_LABELS[level], graded=item.grade is not None)


def _rounds(context: RequestContext, project: Any) -> list[SatisfactionRound]:
    sql = context.sql
    items = batched(project, "satisfaction.rounds", lambda ids: summary.round_summaries(sql, ids), [])
    return [round_of(context, project.workflow_id, item) for item in items]


def rounds_field(context: RequestContext, project: Any) -> list[SatisfactionRound]:
    return _rounds(context, project)


def current_round_field(context: RequestContext, project: Any) -> SatisfactionRound | None:
    found = _rounds(context, project)
    return found[-1] if found else None


@strawberry.input(description="Open a project's next survey round (政府办 / 人大常委会), when none is open.")
class OpenSurveyRoundInput:
    project_id: strawberry.ID
    opens_on: Optional[dt.date] = strawberry.field(default=None, description="Default: today; not in the past.")
    closes_on: Optional[dt.date] = strawberry.field(default=None, description="The last day answers are taken; "
                                                                              "default: 30 days after it opens.")


@strawberry.input(description="Close a project's open survey round now.")
class CloseSurveyRoundInput:
    project_id: strawberry.ID


@strawberry.type
class SurveyRoundPayload:
    round: Optional[SatisfactionRound] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _figures(context: RequestContext, project_id: int, number: int) -> SatisfactionRound:
    """The round's figures after the write (read in a session of their own, as mutations run outside one)."""
    with orm.db_session:
        sql = Sql(context.engine.db)
        workflow_id = sql.scalar("SELECT workflow_id FROM project WHERE id = ?", (project_id,))
        items = summary.round_summaries(sql, [project_id]).get(project_id, [])
    return round_of(context, workflow_id, next(item for item in items if item.round.number == number))


def _open(context: RequestContext, data: OpenSurveyRoundInput) -> dict[str, Any]:
    project_id = from_global_id(data.project_id, "Project", ["input", "projectId"])
    opened = rounds.open_survey_round(context.engine, context.actor,
                                      rounds.OpenRoundRequest(project_id, data.opens_on, data.closes_on))
    return {"round": _figures(context, project_id, opened.number)}


def _close(context: RequestContext, data: CloseSurveyRoundInput) -> dict[str, Any]:
    project_id = from_global_id(data.project_id, "Project", ["input", "projectId"])
    closed = rounds.close_survey_round(context.engine, context.actor, project_id)
    return {"round": _figures(context, project_id, closed.number)}


@strawberry.type
class RoundMutation:
    @strawberry.mutation(description="Open a project's next survey round 调查轮次 (政府办 / 人大常委会 of its area); "
                                     "CONFLICT while one is open or scheduled.")
    def open_survey_round(self, info: strawberry.Info, input: OpenSurveyRoundInput) -> SurveyRoundPayload:
        return payload(SurveyRoundPayload, lambda: _open(info.context, input))

    @strawberry.mutation(description="Close a project's open survey round now (政府办 / 人大常委会 of its area); "
                                     "CONFLICT when none is open.")
    def close_survey_round(self, info: strawberry.Info, input: CloseSurveyRoundInput) -> SurveyRoundPayload:
        return payload(SurveyRoundPayload, lambda: _close(info.context, input))
