"""Corrections 冲正 of funding records: a mistaken receipt, payment or plan line is never edited or deleted.

A correcting entry in the same table names the original (``reverses_id``), the reason, who and when, and reverses
it: a receipt or payment by the negated amount, a plan line by restoring the amount in force before it. Every
total and rate (资金到位率, 拨付率, the dashboards) sums the rows, so it counts the net. The correction is a
``correction`` record in the project's hash chain, written in the same transaction.

Refused with the reason: a correction of a correction, a record already reversed, a record of another project,
a plan line no longer in force, and a receipt whose reversal would leave more paid out than received.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pony import orm

from engine import chain
from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, InvalidInput
from engine.storage.sql import Sql
from plugins.funding import chained, inputs, ledger, plan
from plugins.funding.money import show, yuan
from plugins.funding.permissions import PAYMENT, PLAN, RECEIPT, WriteRule, replayed_or_open
from plugins.funding.sources import SocialKind, Source

if TYPE_CHECKING:
    from engine.core import Engine

REASON_LIMIT = 500
ENTRY_PATH = ["input", "entryId"]
REASON_PATH = ["input", "reason"]
RULES: dict[str, WriteRule] = {"funding_receipt": RECEIPT, "funding_payment": PAYMENT, "funding_plan": PLAN}
NOUNS = {"funding_receipt": "receipt", "funding_payment": "payment", "funding_plan": "plan line"}
COLUMNS = {"funding_receipt": chained.RECEIPT, "funding_payment": chained.PAYMENT, "funding_plan": chained.PLAN}


@dataclass(frozen=True)
class Correction:
    """A correcting entry: which table, its id, the entry it reverses, its amount (yuan: negated for a receipt or
    payment, the restored plan amount for a plan line), the reason, who and when."""

    table: str
    id: int
    project_id: int
    reverses_id: int
    amount: Decimal
    reason: str
    recorded_by: str
    recorded_at: dt.datetime


def reverse_entry(engine: Engine, actor: ActorView, project_id: int, table: str, entry_id: int, reason: Any,
                  idempotency_key: Any = None) -> Correction:
    """Reverse the funding entry ``entry_id`` of ``table`` (``funding_receipt``, ``funding_payment`` or
    ``funding_plan``) of the project, for ``reason``; return the correcting entry."""
    event = COLUMNS[table].reverse_event
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        earlier = replayed_or_open(engine, sql, actor, project_id, RULES[table], idempotency_key, event)
        if earlier is not None:
            return _correction(sql, table, earlier)
        why = inputs.text(reason, REASON_PATH, REASON_LIMIT, required=True)
        original = _original(sql, project_id, table, entry_id)
        now = engine.clock.now()
        correction_id = _reverse(sql, actor, project_id, table, original, why, now)
        chain.remember(sql, actor, idempotency_key, project_id, event, correction_id, now)
        return _correction(sql, table, correction_id)


def _original(sql: Sql, project_id: int, table: str, entry_id: int) -> dict[str, Any]:
    noun = NOUNS[table]
    names = COLUMNS[table].names
    row = sql.one(f"SELECT project_id, {', '.join(names)}, (SELECT MIN(c.id) FROM {table} c WHERE c.reverses_id ="
                  f" t.id){', t.superseded_at' if table == 'funding_plan' else ''} FROM {table} t WHERE t.id = ?",
                  (entry_id,))
    if row is None or row[0] != project_id:
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"{noun} {entry_id} is not a record of project {project_id}: "
                                                     "a correction reverses a record of its own project")])
    values = dict(zip(names, row[1:]), id=entry_id, reversed_by=row[len(names) + 1])
    if values["reverses_id"] is not None:
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"{noun} {entry_id} is itself a correction (of {noun} "
                                                     f"{values['reverses_id']}); a correction is never reversed: "
                                                     "record the right entry instead")])
    if values["reversed_by"] is not None:
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"{noun} {entry_id} was already reversed by {noun} "
                                                     f"{values['reversed_by']}")])
    if table == "funding_plan" and row[-1] is not None:
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"plan line {entry_id} is no longer in force (a later line "
                                                     "replaced it); set the plan again instead")])
    return values


def _reverse(sql: Sql, actor: ActorView, project_id: int, table: str, original: dict[str, Any], reason: str,
             now: dt.datetime) -> int:
    fen = int(original["amount_fen"])
    if table == "funding_receipt":
        _check_receipt_reversal(sql, project_id, fen)
        values = (original["source"], original["kind"], -fen, now.date(), original["document_no"], actor.id,
                  original["id"], reason, False)
        return ledger.insert_receipt(sql, project_id, values, actor, now)
    if table == "funding_payment":
        values = (-fen, now.date(), original["payee"], original["purpose"], actor.id, original["id"], reason)
        return ledger.insert_payment(sql, project_id, values, actor, now)
    source, kind = Source(original["source"]), SocialKind(original["kind"]) if original["kind"] else None
    restored = sql.scalar("SELECT amount_fen FROM funding_plan WHERE project_id = ? AND source = ? AND kind = ?"
                          " AND id < ? ORDER BY id DESC LIMIT 1",
                          (project_id, original["source"], original["kind"], original["id"]))
    line = plan.put_plan_line(sql, actor, project_id, source, int(restored or 0), f"冲正: {reason}"[:500], now, kind,
                              reverses_id=original["id"], reason=reason)
    return line.id


def _check_receipt_reversal(sql: Sql, project_id: int, fen: int) -> None:
    received = int(sql.scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM funding_receipt WHERE project_id = ?",
                              (project_id,)))
    paid = int(sql.scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM funding_payment WHERE project_id = ?",
                          (project_id,)))
    if received - fen < paid:
        raise Conflict(f"reversing this receipt would leave more paid out ({show(paid)} yuan) than received "
                       f"({show(received - fen)} yuan): reverse the payments first", path=ENTRY_PATH)


def _correction(sql: Sql, table: str, correction_id: int) -> Correction:
    row = sql.one(f"SELECT id, project_id, reverses_id, amount_fen, reason, "
                  f"{'set_by_name, set_at' if table == 'funding_plan' else 'recorded_by_name, recorded_at'}"
                  f" FROM {table} WHERE id = ?", (correction_id,))
    assert row is not None
    at = row[6] if isinstance(row[6], dt.datetime) else dt.datetime.fromisoformat(row[6])
    return Correction(table, row[0], row[1], row[2], yuan(row[3]), row[4], row[5], at)
