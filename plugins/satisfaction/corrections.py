"""Corrections 冲正 of mistaken ratings: never edited or deleted, a rating is reversed by a correction that names it,
the reason, who and when (``satisfaction_rating_correction``); it then no longer counts in any tally, rate or grade
(``chained.IN_FORCE``). The correction is a ``correction`` record in the project's hash chain, written in the same
transaction. Reversed by the government office (政府办/督查室) or the standing committee (人大常委会), who run the
evaluation 测评.

Refused with the reason: a rating already reversed, one of another project; a correction itself is never reversed
(``reverseRating`` refuses a correction's id).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pony import orm

from engine import chain
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql, to_datetime
from engine.texts import normalize_newlines, text_problem
from engine.transition import locate
from plugins.satisfaction import chained

if TYPE_CHECKING:
    from engine.core import Engine

EVENT = "reverse_rating"
ENTRY_PATH = ["input", "ratingId"]
REVERSING_ROLES = frozenset({"office", "committee"})
REASON_LIMIT = 1000


@dataclass(frozen=True)
class RatingCorrection:
    id: int
    project_id: int
    rating_id: int
    reason: str
    actor_name: str
    at: dt.datetime


def reverse_rating(engine: Engine, actor: ActorView, project_id: int, rating_id: int, reason: Any,
                   idempotency_key: Any = None) -> RatingCorrection:
    """Reverse a rating of the project for ``reason``; return the correction."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        try:
            row = locate(engine, sql, actor, project_id, lock=True)
        except NotFound as exc:
            raise NotFound(exc.message, path=["input", "projectId"]) from None
        if not actor.roles & REVERSING_ROLES:
            raise Forbidden("only the government office (政府办/督查室) or the standing committee (人大常委会) may "
                            "reverse a rating")
        key = chain.check_key(idempotency_key)
        earlier = chain.replayed(sql, actor, key, project_id, EVENT)
        if earlier is not None:
            return _correction(sql, earlier)
        chain.check_open_for(engine, row, chained.KIND, "ratings (满意度测评)")
        why = _reason(reason)
        _check_reversible(sql, project_id, rating_id)
        now = engine.clock.now()
        values = (rating_id, why, actor.id)
        correction_id = sql.insert("INSERT INTO satisfaction_rating_correction (project_id, rating_id, reason,"
                                   " actor_id, actor_name, at) VALUES (?, ?, ?, ?, ?, ?)",
                                   (project_id, *values, actor.name, now))
        chain.append_row(sql, project_id, chain.CORRECTION, EVENT, actor.id, actor.name, now,
                         chained.CORRECTION_TABLE, correction_id, chained.correction_content(values))
        chain.remember(sql, actor, key, project_id, EVENT, correction_id, now)
        return _correction(sql, correction_id)


def _reason(value: Any) -> str:
    text = normalize_newlines(value if isinstance(value, str) else "").strip()
    problem = "is required" if not text else text_problem(text, REASON_LIMIT, multiline=True)
    if problem:
        raise InvalidInput([FieldProblem(["input", "reason"], problem)])
    return text


def _check_reversible(sql: Sql, project_id: int, rating_id: int) -> None:
    owner = sql.scalar("SELECT project_id FROM satisfaction_rating WHERE id = ?", (rating_id,))
    if owner != project_id:
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"rating {rating_id} is not a record of project {project_id}: "
                                                     "a correction reverses a record of its own project")])
    done = sql.scalar("SELECT id FROM satisfaction_rating_correction WHERE rating_id = ?", (rating_id,))
    if done is not None:
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"rating {rating_id} was already reversed (correction {done})")])


def _correction(sql: Sql, correction_id: int) -> RatingCorrection:
    row = sql.one("SELECT id, project_id, rating_id, reason, actor_name, at FROM satisfaction_rating_correction"
                  " WHERE id = ?", (correction_id,))
    assert row is not None
    return RatingCorrection(*row[:5], to_datetime(row[5]))
