"""Erasing a suggestion's personal data 删除个人信息 on request: the sealed name and phone are set to NULL, the
content stays (it may be a project's source). The journal records that an erasure happened, by whom, never what
was erased. Erasing twice is harmless: the second time there is nothing left and it says so."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pony import orm

from engine.directory.actors import ActorView
from engine.errors import NotFound
from engine.storage.sql import Sql
from plugins.participation import journal, receipts

if TYPE_CHECKING:
    from engine.core import Engine


@dataclass(frozen=True)
class Erasure:
    suggestion_id: int
    erased: bool  # False: there was nothing left to erase


def erase(engine: Engine, receipt: str, by: ActorView | None = None, by_name: str = "命令行") -> Erasure:
    """Erase the personal data of the suggestion with this receipt code; ``NotFound`` for an unknown code."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        row = sql.one("SELECT id, call_id, contact_name_enc, contact_phone_enc FROM participation_suggestion WHERE"
                      " receipt_hash = ?" + sql.for_update(), (receipts.digest(receipt),))
        if row is None:
            raise NotFound("no suggestion has this receipt code", path=["receipt"])
        had = row[2] is not None or row[3] is not None
        now = engine.clock.now()
        sql.execute("UPDATE participation_suggestion SET contact_name_enc = NULL, contact_phone_enc = NULL,"
                    " erased_at = COALESCE(erased_at, ?), version = version + 1 WHERE id = ?", (now, row[0]))
        actor = by or ActorView(None, "cli", by_name, frozenset(), None, None)
        sql.execute(journal.INSERT, (row[1], row[0], "personal_data_erased", actor.id, actor.name, now,
                                     '{"had_personal_data":' + ("true" if had else "false") + "}"))
    return Erasure(row[0], had)
