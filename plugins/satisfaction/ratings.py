"""Rating a project 满意度测评: residents anonymously (once per survey round per device), 监督员 and 人大代表
with their token (once per round each); only while a survey round (``rounds``) is open.

A resident's answer stores the project, the answer, the time and the device token's keyed hash — nothing else:
no actor, no name, no address. Officials' answers keep their actor id (their rating is part of their duty). Each
answer is a ``rating`` record in the project's hash chain, written in the same transaction, without the device hash
(``plugins.satisfaction.chained``); an official's retried request with the same idempotency key answers the first
result; a project in a final state takes none unless its workflow state lists ``rating`` in its ``records``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pony import orm

from engine.directory.actors import ActorView
from engine.api.access import is_public_state, readable_project
from engine.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql, to_datetime
from engine.transition import locate
from engine import chain
from plugins.satisfaction import chained, device, rounds, throttling, tokens
from plugins.satisfaction.scoring import SCORES, VERDICTS, verdict_of_score

if TYPE_CHECKING:
    from engine.core import Engine

RESIDENT, SUPERVISOR, DEPUTY = "resident", "supervisor", "deputy"  # rater kinds 群众 / 监督员 / 人大代表
KIND_LABELS = {RESIDENT: "群众", SUPERVISOR: "监督员", DEPUTY: "人大代表"}
RATER_KINDS = (RESIDENT, SUPERVISOR, DEPUTY)
TOKEN_PATH = ["input", "deviceToken"]


@dataclass(frozen=True)
class RatingRequest:
    """One answer: a five-level ``score`` (100/80/60/40/20) or a ``verdict`` code, never both."""

    project_id: int
    score: int | None = None
    verdict: str | None = None
    device_token: str | None = None  # residents only
    idempotency_key: str | None = None  # officials only (a resident's device rates once anyway)


@dataclass(frozen=True)
class RatingView:
    id: int
    project_id: int
    rater_kind: str
    score: int | None
    verdict: str
    rated_at: dt.datetime


def rater_kind(actor: ActorView) -> str:
    """Whose answer this is: the public and actors with the role ``resident`` answer as residents; a deputy or a
    supervisor as such; anyone else may not rate."""
    if actor.is_public:
        return RESIDENT
    for kind in (DEPUTY, SUPERVISOR, RESIDENT):
        if kind in actor.roles:
            return kind
    raise Forbidden("only residents (群众, without signing in), 监督员 (supervisors) and 人大代表 (deputies) may "
                    "rate a project's satisfaction", path=["input", "projectId"])


def check_answer(score: int | None, verdict: str | None) -> tuple[int | None, str]:
    """(score, verdict) of a valid answer; a five-level score also gives its mapped verdict."""
    if score is None and verdict is None:
        raise InvalidInput([FieldProblem(["input", "score"], "give a score (100, 80, 60, 40 or 20) or a verdict "
                                                             "(满意, 基本满意 or 不满意)")])
    if score is not None and verdict is not None:
        raise InvalidInput([FieldProblem(["input", "verdict"], "give either a score or a verdict, not both")])
    if score is not None:
        if score not in SCORES:
            raise InvalidInput([FieldProblem(["input", "score"], f"a score is one of 100, 80, 60, 40 or 20 "
                                                                 f"(five levels), got {score}")])
        return score, verdict_of_score(score)
    if verdict not in VERDICTS:
        raise InvalidInput([FieldProblem(["input", "verdict"], f"unknown verdict '{verdict}'; one of "
                                                               f"{', '.join(VERDICTS)}")])
    return None, verdict


def rate_project(engine: Engine, actor: ActorView, request: RatingRequest, client: str | None = None) -> RatingView:
    """Record one answer in the project's open survey round; NOT_FOUND for a project the rater may not see (the
    public: unpublished), CONFLICT when no round is open, or for a second answer in the round from the same device
    (residents) or the same person (监督员, 人大代表).

    A resident's answer is first counted against the budgets of the caller's address ``client`` and of the
    project (THROTTLED when spent, before any database work); then access is checked (NOT_FOUND), then the answer
    and the device token, which this server must have signed and which is neither too new nor expired
    (INVALID_INPUT at ``["input", "deviceToken"]``). A refused answer writes nothing."""
    kind = rater_kind(actor)
    if kind == RESIDENT:
        throttling.take_rating(engine, client, request.project_id)
    now = engine.clock.now()
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        workflow_id, state = _find_project(engine, sql, actor, kind, request.project_id)  # access first
        # then the idempotency key, whether the state takes ratings, the round, the answer, the token
        key = chain.check_key(request.idempotency_key) if kind != RESIDENT else None
        earlier = chain.replayed(sql, actor, key, request.project_id, "rate_project")
        if earlier is not None:
            return rating_by_id(sql, earlier)
        chain.check_open(engine, workflow_id, state, chained.KIND, "ratings (满意度测评)")
        round_ = rounds.open_round_for_rating(sql, request.project_id, now.date())
        score, verdict = check_answer(request.score, request.verdict)
        if kind == RESIDENT:
            token = device.check_token(request.device_token, TOKEN_PATH)
            tokens.check_signed(sql, token, now, throttling.limits_of(engine).settings, TOKEN_PATH)
            owner: tuple[str, object] = ("device_hash", device.device_hash(sql, request.project_id, token,
                                                                           round_.number))
        else:
            owner = ("actor_id", actor.id)
        _refuse_second_answer(sql, request.project_id, round_, kind, owner)
        rating_id = sql.insert(f"INSERT INTO satisfaction_rating (project_id, rater_kind, score, verdict, {owner[0]},"
                               " rated_at, round_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (request.project_id, kind, score, verdict, owner[1], now, round_.id))
        rater = actor.id if kind != RESIDENT else None
        chained.append_rating(sql, request.project_id, rating_id, (kind, score, verdict, rater), rater,
                              actor.name if rater is not None else chained.RESIDENT_NAME, now)
        chain.remember(sql, actor, key, request.project_id, "rate_project", rating_id, now)
    return RatingView(rating_id, request.project_id, kind, score, verdict, now)


def rating_by_id(sql: Sql, rating_id: int) -> RatingView:
    r = sql.one("SELECT id, project_id, rater_kind, score, verdict, rated_at FROM satisfaction_rating WHERE id = ?",
                (rating_id,))
    assert r is not None
    return RatingView(r[0], r[1], r[2], r[3], r[4], to_datetime(r[5]))


def _find_project(engine: Engine, sql: Sql, actor: ActorView, kind: str, project_id: int) -> tuple[int, str]:
    """Residents see only published projects; officials only their area. Either way the row is locked so two
    answers from one device cannot both pass the once-only check. Return the project's workflow id and state."""
    path = ["input", "projectId"]
    if kind == RESIDENT:
        row = readable_project(engine, sql, actor, project_id, path)
        if not is_public_state(engine, row.workflow_id, row.view.state):
            raise NotFound(f"project {project_id} does not exist", path=path)
        sql.execute("SELECT id FROM project WHERE id = ?" + sql.for_update(), (project_id,))
        return row.workflow_id, row.view.state
    try:
        row = locate(engine, sql, actor, project_id, lock=True)
    except NotFound as exc:
        raise NotFound(exc.message, path=path) from None
    return row.workflow_id, row.view.state


def _refuse_second_answer(sql: Sql, project_id: int, round_: rounds.RoundView, kind: str,
                          owner: tuple[str, object]) -> None:
    column, value = owner
    if sql.scalar(f"SELECT id FROM satisfaction_rating WHERE round_id = ? AND {column} = ?",
                  (round_.id, value)) is None:
        return
    if kind == RESIDENT:
        raise Conflict(f"this device has already rated project {project_id} in survey round {round_.number}: each "
                       "device may rate a project once per round", path=["input", "deviceToken"])
    raise Conflict(f"you have already rated project {project_id} as {KIND_LABELS[kind]} in survey round "
                   f"{round_.number}: each {KIND_LABELS[kind]} rates a project once per round",
                   path=["input", "projectId"])


def ratings_of(sql: Sql, project_id: int) -> list[RatingView]:
    """The project's answers, oldest first (no device hash, no actor)."""
    rows = sql.all("SELECT id, project_id, rater_kind, score, verdict, rated_at FROM satisfaction_rating"
                   " WHERE project_id = ? ORDER BY id", (project_id,))
    return [RatingView(r[0], r[1], r[2], r[3], r[4], to_datetime(r[5])) for r in rows]
