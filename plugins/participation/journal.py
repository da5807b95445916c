"""The screening journal 工作记录: one append-only row per step (a call opened, a suggestion received, merged,
declined, accepted, its personal data erased), with who and when. It never holds personal data: ``detail`` carries
ids, statuses, channels and reasons only."""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.audit import canonical_json
from engine.directory.actors import ActorView
from engine.storage.sql import Sql

INSERT = ("INSERT INTO participation_journal (call_id, suggestion_id, action, actor_id, actor_name, at, detail)"
          " VALUES (?, ?, ?, ?, ?, ?, ?)")


def write(sql: Sql, call_id: int, suggestion_id: int | None, action: str, actor: ActorView | None, at: dt.datetime,
          **detail: Any) -> None:
    """Append one step; an anonymous submitter is recorded as 公众 without any id."""
    actor_id = None if actor is None or actor.is_public else actor.id
    name = "公众" if actor is None or actor.is_public else actor.name
    sql.execute(INSERT, (call_id, suggestion_id, action, actor_id, name, at, canonical_json(detail)))


def write_many(sql: Sql, call_id: int, suggestion_ids: list[int], action: str, actor: ActorView, at: dt.datetime,
               **detail: Any) -> None:
    text = canonical_json(detail)
    sql.execute_many(INSERT, [(call_id, sid, action, actor.id, actor.name, at, text) for sid in suggestion_ids])
