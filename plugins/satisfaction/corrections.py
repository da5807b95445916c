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
from engine.errors import Forbidden, NotFound
from engine.storage.sql import Sql, to_datetime
from engine.transition import locate
from plugins.satisfaction import chained

if TYPE_CHECKING:
    from engine.core import Engine

EVENT = "reverse_rating"
REVERSING_ROLES = frozenset({"office", "committee"})
REVERSIBLE = chain.Reversible("rating", "satisfaction_rating", "satisfaction_rating_correction", "rating_id",
                              chained.KIND, "ratings (满意度测评)", EVENT, ("input", "ratingId"), 1000,
                              chained.correction_content)


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
        correction_id = chain.reverse(engine, sql, actor, row, REVERSIBLE, rating_id, reason, idempotency_key)
        return _correction(sql, correction_id)


def _correction(sql: Sql, correction_id: int) -> RatingCorrection:
    row = sql.one("SELECT id, project_id, rating_id, reason, actor_name, at FROM satisfaction_rating_correction"
                  " WHERE id = ?", (correction_id,))
    assert row is not None
    return RatingCorrection(*row[:5], to_datetime(row[5]))
