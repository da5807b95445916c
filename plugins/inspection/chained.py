"""Inspections 视察, rectifications 整改 and their corrections 冲正 in the projects' hash chains (record kind
``inspection``; a reversal is ``correction``).

An inspection's inspectors and notes may name people: the chain carries their SHA-256 (``engine.chain.digest``)
rather than the text, so ``minsheng audit verify`` still sees a change. A rectification's record is written when it
opens and again at each status move (done, verified), each with the row's whole chained content.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Sequence

from engine import chain
from engine.directory.actors import ActorView
from engine.storage.sql import Sql, to_date

KIND = "inspection"
INSPECTION_TABLE, RECTIFICATION_TABLE, CORRECTION_TABLE = ("inspection_record", "inspection_rectification",
                                                           "inspection_correction")
INSPECTION_COLUMNS = ("kind", "held_on", "result", "inspectors", "notes", "recorded_by")
RECTIFICATION_COLUMNS = ("inspection_id", "origin", "description", "unit_id", "deadline", "status", "opened_by",
                         "done_by", "done_note", "verified_by", "verify_note")
CORRECTION_COLUMNS = ("inspection_id", "reason", "actor_id")


def inspection_content(values: Sequence[Any]) -> chain.Content:
    kind, held_on, result, inspectors, notes, recorded_by = values
    names = json.loads(inspectors) if isinstance(inspectors, str) else list(inspectors)
    return {"kind": kind, "held_on": chain.plain(to_date(held_on)), "result": result,
            "inspectors_sha256": chain.digest(names), "notes_sha256": chain.digest(notes or None),
            "recorded_by": recorded_by}


def rectification_content(values: Sequence[Any]) -> chain.Content:
    content = dict(zip(RECTIFICATION_COLUMNS, values))
    content["deadline"] = chain.plain(to_date(content["deadline"]))
    return content


def correction_content(values: Sequence[Any]) -> chain.Content:
    return dict(zip(CORRECTION_COLUMNS, values))


def _reader(table: str, columns: Sequence[str], make: Any) -> Any:
    def read(sql: Sql, project_id: int) -> dict[int, chain.Content]:
        rows = sql.all(f"SELECT id, {', '.join(columns)} FROM {table} WHERE project_id = ?", (project_id,))
        return {row[0]: make(row[1:]) for row in rows}
    return read


TABLES = (
    chain.ChainedTable(KIND, INSPECTION_TABLE, "inspection 视察", _reader(INSPECTION_TABLE, INSPECTION_COLUMNS,
                                                                         inspection_content)),
    chain.ChainedTable(KIND, RECTIFICATION_TABLE, "rectification 整改",
                       _reader(RECTIFICATION_TABLE, RECTIFICATION_COLUMNS, rectification_content)),
    chain.ChainedTable(KIND, CORRECTION_TABLE, "inspection correction 视察冲正",
                       _reader(CORRECTION_TABLE, CORRECTION_COLUMNS, correction_content)),
)


def actor_name(sql: Sql, actor_id: int | None) -> str:
    if actor_id is None:
        return chain.audit.SYSTEM_ACTOR
    return sql.scalar("SELECT name FROM actor WHERE id = ?", (actor_id,)) or chain.audit.SYSTEM_ACTOR


def append_inspection(sql: Sql, project_id: int, inspection_id: int, values: Sequence[Any], actor: ActorView,
                      at: dt.datetime) -> None:
    chain.append_row(sql, project_id, KIND, "record_inspection", actor.id, actor.name, at, INSPECTION_TABLE,
                     inspection_id, inspection_content(values))


def append_rectification(sql: Sql, rectification_id: int, event: str, actor_id: int | None, name: str | None,
                         at: dt.datetime) -> None:
    """The record of a rectification's current row (just opened or moved), read back in this transaction."""
    row = sql.one(f"SELECT project_id, {', '.join(RECTIFICATION_COLUMNS)} FROM {RECTIFICATION_TABLE} WHERE id = ?",
                  (rectification_id,))
    assert row is not None
    chain.append_row(sql, row[0], KIND, event, actor_id, name if name is not None else actor_name(sql, actor_id), at,
                     RECTIFICATION_TABLE, rectification_id, rectification_content(row[1:]))


# -- the migration that chains the records written before inspections joined the chain ----------------------


def chain_existing(db: Any, provider: str) -> None:
    """Append a record for every inspection and rectification not yet in its project's chain, per project by time
    (an inspection's ``recorded_at``, a rectification's ``opened_at``), then id; a second run adds nothing."""
    sql = Sql(db)
    named = set()
    for (fields,) in sql.all("SELECT fields FROM audit_record WHERE kind = ?", (KIND,)):
        values = json.loads(fields)
        if isinstance(values, dict) and "table" in values:
            named.add((values["table"], values["record"]))
    rows = [(r[0], _instant(r[1]), 0, r[2], r[3]) for r in sql.all(
        f"SELECT project_id, recorded_at, id, recorded_by FROM {INSPECTION_TABLE}")]
    rows += [(r[0], _instant(r[1]), 1, r[2], r[3]) for r in sql.all(
        f"SELECT project_id, opened_at, id, opened_by FROM {RECTIFICATION_TABLE}")]
    for project_id, at, order, record_id, actor_id in sorted(rows):
        if order == 0 and (INSPECTION_TABLE, record_id) not in named:
            values = sql.one(f"SELECT {', '.join(INSPECTION_COLUMNS)} FROM {INSPECTION_TABLE} WHERE id = ?",
                             (record_id,))
            chain.append_row(sql, project_id, KIND, "record_inspection", actor_id, actor_name(sql, actor_id), at,
                             INSPECTION_TABLE, record_id, inspection_content(values))
        elif order == 1 and (RECTIFICATION_TABLE, record_id) not in named:
            append_rectification(sql, record_id, "open_rectification", actor_id, None, at)


def _instant(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value
