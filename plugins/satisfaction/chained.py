"""Ratings 满意度测评 and their corrections 冲正 in the projects' hash chains (record kind ``rating``; a reversal is
``correction``).

A rating's record carries the rater kind, the score and the verdict, and the actor id only for a 监督员 or 人大代表
(whose answer is part of their duty): never a resident's device hash. A resident's record names no one (群众).
A reversed rating stays on record but no longer counts (``IN_FORCE``, in every tally).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Sequence

from engine import chain
from engine.storage.sql import Sql

KIND = "rating"
RATING_TABLE, CORRECTION_TABLE = "satisfaction_rating", "satisfaction_rating_correction"
RATING_COLUMNS = ("rater_kind", "score", "verdict", "actor_id")
CORRECTION_COLUMNS = ("rating_id", "reason", "actor_id")
RESIDENT_NAME = "群众"
# A rating counts unless a correction reversed it (a condition on ``satisfaction_rating r``).
IN_FORCE = f"NOT EXISTS (SELECT 1 FROM {CORRECTION_TABLE} c WHERE c.rating_id = r.id)"


def rating_content(values: Sequence[Any]) -> chain.Content:
    content = dict(zip(RATING_COLUMNS, values))
    content["score"] = None if content["score"] is None else int(content["score"])
    return content


def correction_content(values: Sequence[Any]) -> chain.Content:
    return dict(zip(CORRECTION_COLUMNS, values))


def _reader(table: str, columns: Sequence[str], make: Any) -> Any:
    def read(sql: Sql, project_id: int) -> dict[int, chain.Content]:
        rows = sql.all(f"SELECT id, {', '.join(columns)} FROM {table} WHERE project_id = ?", (project_id,))
        return {row[0]: make(row[1:]) for row in rows}
    return read


TABLES = (
    chain.ChainedTable(KIND, RATING_TABLE, "rating 满意度测评", _reader(RATING_TABLE, RATING_COLUMNS, rating_content)),
    chain.ChainedTable(KIND, CORRECTION_TABLE, "rating correction 测评冲正",
                       _reader(CORRECTION_TABLE, CORRECTION_COLUMNS, correction_content)),
)


def append_rating(sql: Sql, project_id: int, rating_id: int, values: Sequence[Any], actor_id: int | None,
                  actor_name: str, at: dt.datetime) -> None:
    """The record of a rating just written (``values`` in ``RATING_COLUMNS`` order); a resident: no actor."""
    chain.append_row(sql, project_id, KIND, "rate_project", actor_id, actor_name, at, RATING_TABLE, rating_id,
                     rating_content(values))


def chain_existing(db: Any, provider: str) -> None:
    """Append a record for every rating not yet in its project's chain, per project by time then id; a second run
    adds nothing."""
    sql = Sql(db)
    named = set()
    for (fields,) in sql.all("SELECT fields FROM audit_record WHERE kind = ?", (KIND,)):
        values = json.loads(fields)
        if isinstance(values, dict) and "table" in values:
            named.add((values["table"], values["record"]))
    rows = sql.all(f"SELECT project_id, rated_at, id, {', '.join(RATING_COLUMNS)} FROM {RATING_TABLE}")
    for project_id, at, rating_id, *values in sorted(rows, key=lambda r: (r[0], _instant(r[1]), r[2])):
        if (RATING_TABLE, rating_id) in named:
            continue
        actor_id = values[3]
        name = RESIDENT_NAME if actor_id is None else (
            sql.scalar("SELECT name FROM actor WHERE id = ?", (actor_id,)) or chain.audit.SYSTEM_ACTOR)
        append_rating(sql, project_id, rating_id, values, actor_id, name, _instant(at))


def _instant(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value
