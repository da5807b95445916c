"""The voting plugin's GraphQL API: ``candidateList``, ``candidateLists`` and the mutations of the list, the vote
and the public notice. Mutations call the service functions (each opens its own transaction) and answer domain
errors as ``userErrors``; queries run inside the request's ``db_session``."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable, Optional

import strawberry
from pony import orm
from strawberry.types import Info

from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.extension import GraphQLExtension
from engine.api.ids import from_global_id, to_global_id
from engine.errors import FieldProblem, InvalidInput, NotFound
from engine.storage.sql import Sql

from plugins.participation.voting import closing, lists, notice, sessions, store
from plugins.participation.voting.graphql_types import CandidateList, VoteObjection
from plugins.participation.voting.rules import Count, Rules

LIST_PATH = ["input", "listId"]
MAX_FIRST = 100


@strawberry.input(description="Assemble a candidate list from pool projects (政府办).")
class CreateCandidateListInput:
    region_id: strawberry.ID
    year: int
    title: str
    project_ids: list[strawberry.ID] = strawberry.field(description="Pool projects, in the list's order.")


@strawberry.input(description="The vote rules (主席团).")
class SetVoteRulesInput:
    list_id: strawberry.ID
    places: int = strawberry.field(description="应选数.")
    margin: int = strawberry.field(description="差额数: candidates must exceed places by at least this.")
    abstain_allowed: bool = True
    majority_of: str = strawberry.field(default="present", description="present (default) or expected.")


@strawberry.input(description="Open the list's vote session (票决会议).")
class OpenVoteSessionInput:
    list_id: strawberry.ID
    method: str = strawberry.field(description="tally or electronic.")
    body: str = strawberry.field(description="The voting body, e.g. 平安县第十八届人民代表大会第四次会议.")
    held_on: dt.date
    expected: int
    present: int
    tellers: list[str] = strawberry.field(description="监票人.")
    ballots_issued: Optional[int] = strawberry.field(default=None, description="Tally: ballots issued.")
    deputies: list[str] = strawberry.field(default_factory=list, description="Electronic: usernames of the "
                                                                             "deputies present.")


@strawberry.input
class CandidateCountInput:
    project_id: strawberry.ID
    votes_for: int
    votes_against: int
    votes_abstain: int = 0


@strawberry.input(description="The tellers' counted votes (计票).")
class EnterVoteTallyInput:
    list_id: strawberry.ID
    ballots_returned: int
    counts: list[CandidateCountInput]


@strawberry.input
class BallotChoiceInput:
    project_id: strawberry.ID
    choice: str = strawberry.field(description="yes, no or abstain.")


@strawberry.input(description="A present deputy's secret ballot: one choice per candidate.")
class CastBallotInput:
    list_id: strawberry.ID
    choices: list[BallotChoiceInput]


@strawberry.input
class ListInput:
    list_id: strawberry.ID


@strawberry.input(description="The committee's decision on a tie at the last place.")
class DecideVoteTieInput:
    list_id: strawberry.ID
    project_ids: list[strawberry.ID]


@strawberry.input(description="Publish the chosen list (公示) with an objection window.")
class PublishVoteResultInput:
    list_id: strawberry.ID
    objection_days: int = notice.DEFAULT_WINDOW_DAYS


@strawberry.input(description="An objection to a chosen item, within the objection window; anyone may file.")
class FileObjectionInput:
    list_id: strawberry.ID
    project_id: strawberry.ID
    text: str


@strawberry.input
class AnswerObjectionInput:
    objection_id: strawberry.ID
    answer: str


@strawberry.type
class CandidateListPayload:
    candidate_list: Optional[CandidateList] = None
    approved_project_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CastBallotPayload:
    recorded: bool = strawberry.field(default=False, description="True once your ballot is counted. Nothing "
                                                                 "about what you chose is kept with your name.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ObjectionPayload:
    objection: Optional[VoteObjection] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _list_id(value: Any, path: list[str] = LIST_PATH) -> int:
    return from_global_id(value, "CandidateList", path)


def _project_ids(values: list[Any], path: list[str]) -> list[int]:
    return [from_global_id(v, "Project", [*path, str(n)]) for n, v in enumerate(values)]


def _answer(ctx: RequestContext, found: store.CandidateList, approved: tuple[int, ...] = ()) -> dict[str, Any]:
    with orm.db_session:
        node = CandidateList.of(Sql(ctx.engine.db), found)
    return {"candidate_list": node,
            "approved_project_ids": [strawberry.ID(to_global_id("Project", p)) for p in approved]}


def _run(info: Info, write: Callable[[RequestContext], Any]) -> Callable[[], dict[str, Any]]:
    def body() -> dict[str, Any]:
        ctx: RequestContext = info.context
        result = write(ctx)
        if isinstance(result, closing.Closed):
            return _answer(ctx, result.list, result.approved)
        return _answer(ctx, result)
    return body


def _counts(i: EnterVoteTallyInput) -> list[Count]:
    return [Count(from_global_id(c.project_id, "Project", ["input", "counts", str(n), "projectId"]), c.votes_for,
                  c.votes_against, c.votes_abstain) for n, c in enumerate(i.counts)]


def _open(ctx: RequestContext, i: OpenVoteSessionInput) -> store.CandidateList:
    sessions.open_session(ctx.engine, ctx.actor, _list_id(i.list_id), sessions.SessionRequest(
        i.method, i.body, i.held_on, i.expected, i.present, i.tellers, i.ballots_issued, i.deputies))
    return _reread(ctx, _list_id(i.list_id))


def _reread(ctx: RequestContext, list_id: int) -> store.CandidateList:
    with orm.db_session:
        return store.read_list(ctx.engine, Sql(ctx.engine.db), ctx.actor, list_id, LIST_PATH)


def _tally(ctx: RequestContext, i: EnterVoteTallyInput) -> store.CandidateList:
    sessions.enter_tally(ctx.engine, ctx.actor, _list_id(i.list_id), i.ballots_returned, _counts(i))
    return _reread(ctx, _list_id(i.list_id))


@strawberry.type
class VotingMutation:
    @strawberry.mutation(description="Assemble a year's candidate list for a region from pool projects (政府办).")
    def create_candidate_list(self, info: Info, input: CreateCandidateListInput) -> CandidateListPayload:
        return payload(CandidateListPayload, _run(info, lambda ctx: lists.create_list(
            ctx.engine, ctx.actor, lists.NewList(from_global_id(input.region_id, "Region", ["input", "regionId"]),
                                                 input.year, input.title,
                                                 _project_ids(input.project_ids, ["input", "projectIds"])))))

    @strawberry.mutation(description="Fix the vote rules: 应选数, 差额数, abstentions, the majority (主席团).")
    def set_vote_rules(self, info: Info, input: SetVoteRulesInput) -> CandidateListPayload:
        return payload(CandidateListPayload, _run(info, lambda ctx: lists.set_rules(
            ctx.engine, ctx.actor, _list_id(input.list_id),
            Rules(input.places, input.margin, input.abstain_allowed, input.majority_of))))

    @strawberry.mutation(description="Open the list's vote session (人大常委会/主席团).")
    def open_vote_session(self, info: Info, input: OpenVoteSessionInput) -> CandidateListPayload:
        return payload(CandidateListPayload, _run(info, lambda ctx: _open(ctx, input)))

    @strawberry.mutation(description="Enter the tellers' counted votes per candidate (tally sessions).")
    def enter_vote_tally(self, info: Info, input: EnterVoteTallyInput) -> CandidateListPayload:
        return payload(CandidateListPayload, _run(info, lambda ctx: _tally(ctx, input)))

    @strawberry.mutation(description="Cast your secret ballot (a deputy present at an electronic session), once.")
    def cast_ballot(self, info: Info, input: CastBallotInput) -> CastBallotPayload:
        def body() -> dict[str, Any]:
            ctx: RequestContext = info.context
            choices = [(from_global_id(c.project_id, "Project", ["input", "choices", str(n), "projectId"]), c.choice)
                       for n, c in enumerate(input.choices)]
            sessions.cast_ballot(ctx.engine, ctx.actor, _list_id(input.list_id), choices)
            return {"recorded": True}
        return payload(CastBallotPayload, body)

    @strawberry.mutation(description="Close the session: the result, and every chosen project approved through the "
                                     "workflow in one transaction (all or none).")
    def close_vote_session(self, info: Info, input: ListInput) -> CandidateListPayload:
        return payload(CandidateListPayload, _run(info, lambda ctx: closing.close_session(
            ctx.engine, ctx.actor, _list_id(input.list_id))))

    @strawberry.mutation(description="Decide a tie at the last place: the named tied candidates take the places left.")
    def decide_vote_tie(self, info: Info, input: DecideVoteTieInput) -> CandidateListPayload:
        return payload(CandidateListPayload, _run(info, lambda ctx: closing.decide_tie(
            ctx.engine, ctx.actor, _list_id(input.list_id), _project_ids(input.project_ids, ["input", "projectIds"]))))

    @strawberry.mutation(description="Publish the chosen list (公示): it becomes public and objections open.")
    def publish_vote_result(self, info: Info, input: PublishVoteResultInput) -> CandidateListPayload:
        return payload(CandidateListPayload, _run(info, lambda ctx: notice.publish(
            ctx.engine, ctx.actor, _list_id(input.list_id), input.objection_days)))

    @strawberry.mutation(description="Object to an item of a published chosen list within its window (anyone).")
    def file_objection(self, info: Info, input: FileObjectionInput) -> ObjectionPayload:
        def body() -> dict[str, Any]:
            ctx: RequestContext = info.context
            return {"objection": VoteObjection.of(notice.file_objection(
                ctx.engine, ctx.actor, ctx.client, _list_id(input.list_id),
                from_global_id(input.project_id, "Project", ["input", "projectId"]), input.text))}
        return payload(ObjectionPayload, body)

    @strawberry.mutation(description="Answer an objection (政府办); the answer is public.")
    def answer_objection(self, info: Info, input: AnswerObjectionInput) -> ObjectionPayload:
        def body() -> dict[str, Any]:
            ctx: RequestContext = info.context
            return {"objection": VoteObjection.of(notice.answer_objection(
                ctx.engine, ctx.actor, from_global_id(input.objection_id, "VoteObjection", ["input", "objectionId"]),
                input.answer))}
        return payload(ObjectionPayload, body)


@strawberry.type
class VotingQuery:
    @strawberry.field(description="A candidate list: the public reads it once its result is published (公示); "
                                  "offices and the committee of its region before. Null when missing or out of reach.")
    def candidate_list(self, info: Info, id: strawberry.ID) -> Optional[CandidateList]:
        ctx: RequestContext = info.context
        try:
            found = store.read_list(ctx.engine, ctx.sql, ctx.actor, _list_id(id, ["id"]), ["id"])
        except NotFound:
            return None
        return CandidateList.of(ctx.sql, found)

    @strawberry.field(description="Candidate lists you may read, in a region and below it and a year, newest first.")
    def candidate_lists(self, info: Info, region: Optional[strawberry.ID] = None, year: Optional[int] = None,
                        first: int = 20) -> list[CandidateList]:
        ctx: RequestContext = info.context
        if not 1 <= first <= MAX_FIRST:
            raise InvalidInput([FieldProblem(["first"], f"must be between 1 and {MAX_FIRST}, got {first}")])
        path = None
        if region is not None:
            region_id = from_global_id(region, "Region", ["region"])
            path = ctx.sql.scalar("SELECT path FROM region WHERE id = ?", (region_id,))
            if path is None:
                raise NotFound(f"region {region} does not exist", path=["region"])
        return [CandidateList.of(ctx.sql, found) for found in store.lists_in(ctx.engine, ctx.sql, ctx.actor, path,
                                                                             year, first)]


def extension() -> GraphQLExtension:
    return GraphQLExtension(query=VotingQuery, mutation=VotingMutation)
