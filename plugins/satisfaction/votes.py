"""Deputies' vote sessions 人大代表票决测评: the standing committee records how the members present voted on a
project's results (满意 / 基本满意 / 不满意), and the verdict follows the majority rule in ``scoring``."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pony import orm

from engine import chain
from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql, by_project, marks, to_date, to_datetime
from engine.transition import locate
from plugins.satisfaction.rounds import SCHEDULED, RoundView, current_round
from plugins.satisfaction.scoring import deputies_verdict, quorum_met

if TYPE_CHECKING:
    from engine.core import Engine

RECORDER_ROLES = frozenset({"committee"})  # 人大常委会
DEFAULT_BODY = "人大常委会"
MAX_BODY = 100


@dataclass(frozen=True)
class VoteRequest:
    """What the committee enters after a vote: members expected 应到 and present 实到, and the votes cast."""

    project_id: int
    present: int
    expected: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    body: str | None = None
    voted_on: dt.date | None = None
    idempotency_key: str | None = None  # a retried request with the same key answers the first session


@dataclass(frozen=True)
class VoteView:
    id: int
    project_id: int
    body: str
    voted_on: dt.date
    expected: int
    present: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    verdict: str
    recorded_at: dt.datetime

    @property
    def quorum_met(self) -> bool:
        return quorum_met(self.present, self.expected)


def vote_problems(request: VoteRequest, today: dt.date) -> list[FieldProblem]:
    """Everything wrong with the figures, each naming its input field."""
    problems = [FieldProblem(["input", name], f"{label} cannot be negative, got {value}")
                for name, label, value in (("satisfied", "满意 votes", request.satisfied),
                                           ("basicallySatisfied", "基本满意 votes", request.basically_satisfied),
                                           ("dissatisfied", "不满意 votes", request.dissatisfied))
                if value < 0]
    if request.present < 1:
        problems.append(FieldProblem(["input", "present"], f"at least one member must be present, got "
                                                           f"{request.present}"))
    elif request.expected < request.present:
        problems.append(FieldProblem(["input", "expected"], f"members expected ({request.expected}) cannot be "
                                                            f"fewer than members present ({request.present})"))
    cast = request.satisfied + request.basically_satisfied + request.dissatisfied
    if cast > request.present:
        problems.append(FieldProblem(["input", "dissatisfied"], f"{cast} votes were cast but only "
                                                                f"{request.present} members were present"))
    if request.voted_on is not None and request.voted_on > today:
        problems.append(FieldProblem(["input", "votedOn"], f"the vote date {request.voted_on} is in the future"))
    if request.body is not None and not 1 <= len(request.body.strip()) <= MAX_BODY:
        problems.append(FieldProblem(["input", "body"], f"the voting body must be 1 to {MAX_BODY} characters"))
    return problems


def record_deputy_vote(engine: Engine, actor: ActorView, request: VoteRequest) -> VoteView:
    """Record a vote session on a project in the committee's area, counted toward its current survey round
    (CONFLICT without one), and return it with its verdict."""
    if not actor.roles & RECORDER_ROLES:
        raise Forbidden("only 人大常委会 (committee) may record a deputies' vote session", path=["input", "projectId"])
    now = engine.clock.now()
    problems = vote_problems(request, now.date())
    if problems:
        raise InvalidInput(problems)
    verdict = deputies_verdict(request.present, request.satisfied, request.basically_satisfied)
    body, voted_on = (request.body or DEFAULT_BODY).strip(), request.voted_on or now.date()
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        try:
            locate(engine, sql, actor, request.project_id, lock=True)
        except NotFound as exc:
            raise NotFound(exc.message, path=["input", "projectId"]) from None
        key = chain.check_key(request.idempotency_key)
        earlier = chain.replayed(sql, actor, key, request.project_id, "record_deputy_vote")
        if earlier is not None:
            return next(v for v in votes_of(sql, request.project_id) if v.id == earlier)
        round_ = round_for_vote(sql, request.project_id, now.date())
        vote_id = sql.insert(
            "INSERT INTO satisfaction_vote (project_id, body, voted_on, expected, present, satisfied,"
            " basically_satisfied, dissatisfied, verdict, actor_id, recorded_at, round_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (request.project_id, body, voted_on, request.expected, request.present, request.satisfied,
             request.basically_satisfied, request.dissatisfied, verdict, actor.id, now, round_.id))
        chain.remember(sql, actor, key, request.project_id, "record_deputy_vote", vote_id, now)
    return VoteView(vote_id, request.project_id, body, voted_on, request.expected, request.present,
                    request.satisfied, request.basically_satisfied, request.dissatisfied, verdict, now)


def round_for_vote(sql: Sql, project_id: int, today: dt.date) -> RoundView:
    """The survey round a vote session counts toward: the project's latest round that has opened (open, or closed
    and not yet followed by another: the committee often votes after the residents' survey ends)."""
    current = current_round(sql, project_id)
    if current is None or current.status(today) == SCHEDULED:
        raise Conflict(f"project {project_id} has no survey round (调查轮次) for the vote session to count toward: "
                       "a round opens when the project reaches the stage surveyed, or when an office opens one",
                       path=["input", "projectId"])
    return current


def votes_of(sql: Sql, project_id: int) -> list[VoteView]:
    """The project's vote sessions, latest first."""
    return votes_of_projects(sql, [project_id]).get(project_id, [])


def votes_of_projects(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[VoteView]]:
    """``votes_of`` each project, in one query."""
    rows = sql.all("SELECT id, project_id, body, voted_on, expected, present, satisfied, basically_satisfied,"
                   " dissatisfied, verdict, recorded_at FROM satisfaction_vote"
                   f" WHERE project_id IN ({marks(len(project_ids))}) ORDER BY voted_on DESC, id DESC",
                   list(project_ids))
    return by_project(rows, lambda r: VoteView(r[0], r[1], r[2], to_date(r[3]), *r[4:10], to_datetime(r[10])), 1)