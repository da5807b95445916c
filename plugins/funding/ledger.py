"""Funds received 资金到位 and funds paid out 资金拨付 for a project.

A payment may never take the cumulative amount paid out above the cumulative amount received: the project row
is locked while the totals are compared, so two payments at once cannot both slip through. Each row is also a
``funding`` record in the project's hash chain, written in the same transaction (``plugins.funding.chained``).
A mistaken row is never edited or deleted: it is reversed (``plugins.funding.corrections``) by a row of the
negated amount that names it, so every total counts the net. The same receipt twice (same source, amount and
document number 文号) is refused unless marked as intended.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

from pony import orm

from engine import chain
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, InvalidInput
from engine.storage.sql import Sql, by_project, marks, to_date, to_datetime
from plugins.funding import chained, inputs
from plugins.funding.money import parse_amount, show, yuan
from plugins.funding.permissions import PAYMENT, RECEIPT, replayed_or_open
from plugins.funding.sources import SocialKind, Source

if TYPE_CHECKING:
    from engine.core import Engine

DOCUMENT_LIMIT = 100
PAYEE_LIMIT = 200
PURPOSE_LIMIT = 500


@dataclass(frozen=True)
class Receipt:
    """Funds received 资金到位: amount (yuan), source, date and the allocation document number 文号."""

    id: int
    project_id: int
    source: Source
    kind: SocialKind | None
    amount: Decimal
    received_on: dt.date
    document_no: str
    recorded_by: str
    recorded_at: dt.datetime
    reverses_id: int | None = None  # a correction 冲正: the receipt it reverses
    reason: str = ""
    reversed_by_id: int | None = None  # the correction that reversed this receipt
    duplicate_intended: bool = False


@dataclass(frozen=True)
class Payment:
    """Funds paid out 资金拨付: amount (yuan), date, payee 收款单位 and purpose 用途."""

    id: int
    project_id: int
    amount: Decimal
    paid_on: dt.date
    payee: str
    purpose: str
    recorded_by: str
    recorded_at: dt.datetime
    reverses_id: int | None = None  # a correction 冲正: the payment it reverses
    reason: str = ""
    reversed_by_id: int | None = None  # the correction that reversed this payment


def record_receipt(engine: Engine, actor: ActorView, project_id: int, amount: Any, source: Any, kind: Any = None,
                   received_on: Any = None, document_no: Any = None, duplicate_intended: bool = False,
                   idempotency_key: Any = None) -> Receipt:
    """Record funds received from a source (the date defaults to today); refused when a receipt in force already
    has the same source, amount and document number, unless ``duplicate_intended``. With an ``idempotency_key``
    used before, the receipt then recorded is answered and nothing is written."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        earlier = replayed_or_open(engine, sql, actor, project_id, RECEIPT, idempotency_key, chained.RECEIPT.event)
        if earlier is not None:
            return receipt_by_id(sql, earlier)
        src, knd = inputs.source_of(source, kind, ["input"])
        fen = parse_amount(amount, ["input", "amount"])
        on = inputs.day(received_on, ["input", "receivedOn"], engine.clock.today())
        document = inputs.text(document_no, ["input", "documentNo"], DOCUMENT_LIMIT)
        kind_code = knd.value if knd else ""
        if not duplicate_intended:
            _refuse_duplicate(sql, project_id, src.value, kind_code, fen, document)
        now = engine.clock.now()
        values = (src.value, kind_code, fen, on, document, actor.id, None, "", bool(duplicate_intended))
        receipt_id = insert_receipt(sql, project_id, values, actor, now)
        chain.remember(sql, actor, idempotency_key, project_id, chained.RECEIPT.event, receipt_id, now)
    return Receipt(receipt_id, project_id, src, knd, yuan(fen), on, document, actor.name, now,
                   duplicate_intended=bool(duplicate_intended))


def insert_receipt(sql: Sql, project_id: int, values: tuple, actor: ActorView, now: dt.datetime) -> int:
    """Write a receipt row (``values`` in ``chained.RECEIPT.names`` order) and its chain record."""
    receipt_id = sql.insert(
        "INSERT INTO funding_receipt (project_id, source, kind, amount_fen, received_on, document_no,"
        " recorded_by_id, reverses_id, reason, duplicate_intended, recorded_by_name, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (project_id, *values, actor.name, now))
    chained.append(sql, chained.RECEIPT, project_id, receipt_id, values, actor.id, actor.name, now,
                   reverses=values[6] is not None)
    return receipt_id


def _refuse_duplicate(sql: Sql, project_id: int, source: str, kind: str, fen: int, document: str) -> None:
    """A receipt in force (not reversed, not itself a correction) with the same source, amount and 文号."""
    if not document:
        return
    row = sql.one("SELECT r.id, r.received_on FROM funding_receipt r WHERE r.project_id = ? AND r.source = ?"
                  " AND r.kind = ? AND r.amount_fen = ? AND r.document_no = ? AND r.reverses_id IS NULL"
                  " AND NOT EXISTS (SELECT 1 FROM funding_receipt c WHERE c.reverses_id = r.id)"
                  " ORDER BY r.id LIMIT 1", (project_id, source, kind, fen, document))
    if row is not None:
        raise InvalidInput([FieldProblem(["input", "documentNo"], (
            f"receipt {row[0]} of {to_date(row[1]).isoformat()} already records {show(fen)} yuan from this source "
            f"under document {document}: reverse that receipt if it was a mistake, or set duplicateIntended: "
            "true if this is a second receipt on purpose"))])


def record_payment(engine: Engine, actor: ActorView, project_id: int, amount: Any, payee: Any,
                   purpose: Any = None, paid_on: Any = None, idempotency_key: Any = None) -> Payment:
    """Record funds paid out; refused when more would be paid out than has been received. With an
    ``idempotency_key`` used before, the payment then recorded is answered and nothing is written."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        earlier = replayed_or_open(engine, sql, actor, project_id, PAYMENT, idempotency_key, chained.PAYMENT.event)
        if earlier is not None:
            return payment_by_id(sql, earlier)
        fen = parse_amount(amount, ["input", "amount"])
        to_whom = inputs.text(payee, ["input", "payee"], PAYEE_LIMIT, required=True)
        what_for = inputs.text(purpose, ["input", "purpose"], PURPOSE_LIMIT)
        on = inputs.day(paid_on, ["input", "paidOn"], engine.clock.today())
        _check_available(sql, project_id, fen)
        now = engine.clock.now()
        payment_id = insert_payment(sql, project_id, (fen, on, to_whom, what_for, actor.id, None, ""), actor, now)
        chain.remember(sql, actor, idempotency_key, project_id, chained.PAYMENT.event, payment_id, now)
    return Payment(payment_id, project_id, yuan(fen), on, to_whom, what_for, actor.name, now)


def insert_payment(sql: Sql, project_id: int, values: tuple, actor: ActorView, now: dt.datetime) -> int:
    """Write a payment row (``values`` in ``chained.PAYMENT.names`` order) and its chain record."""
    payment_id = sql.insert(
        "INSERT INTO funding_payment (project_id, amount_fen, paid_on, payee, purpose, recorded_by_id, reverses_id,"
        " reason, recorded_by_name, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (project_id, *values, actor.name, now))
    chained.append(sql, chained.PAYMENT, project_id, payment_id, values, actor.id, actor.name, now,
                   reverses=values[5] is not None)
    return payment_id


def _check_available(sql: Sql, project_id: int, fen: int) -> None:
    received = int(sql.scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM funding_receipt WHERE project_id = ?",
                              (project_id,)))
    paid = int(sql.scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM funding_payment WHERE project_id = ?",
                          (project_id,)))
    if paid + fen > received:
        raise InvalidInput([FieldProblem(["input", "amount"], (
            f"paying out {show(fen)} yuan would exceed the funds received: {show(received)} yuan received, "
            f"{show(paid)} already paid out, {show(received - paid)} available"))])


RECEIPT_SELECT = ("SELECT r.id, r.project_id, r.source, r.kind, r.amount_fen, r.received_on, r.document_no,"
                  " r.recorded_by_name, r.recorded_at, r.reverses_id, r.reason,"
                  " (SELECT MIN(c.id) FROM funding_receipt c WHERE c.reverses_id = r.id), r.duplicate_intended"
                  " FROM funding_receipt r")
PAYMENT_SELECT = ("SELECT r.id, r.project_id, r.amount_fen, r.paid_on, r.payee, r.purpose, r.recorded_by_name,"
                  " r.recorded_at, r.reverses_id, r.reason,"
                  " (SELECT MIN(c.id) FROM funding_payment c WHERE c.reverses_id = r.id) FROM funding_payment r")


def _receipt(r: tuple) -> Receipt:
    return Receipt(r[0], r[1], Source(r[2]), SocialKind(r[3]) if r[3] else None, yuan(r[4]), to_date(r[5]), r[6],
                   r[7], to_datetime(r[8]), r[9], r[10] or "", r[11], bool(r[12]))


def _payment(r: tuple) -> Payment:
    return Payment(r[0], r[1], yuan(r[2]), to_date(r[3]), r[4], r[5], r[6], to_datetime(r[7]), r[8], r[9] or "",
                   r[10])


def receipt_by_id(sql: Sql, receipt_id: int) -> Receipt:
    return _receipt(sql.all(RECEIPT_SELECT + " WHERE r.id = ?", (receipt_id,))[0])


def payment_by_id(sql: Sql, payment_id: int) -> Payment:
    return _payment(sql.all(PAYMENT_SELECT + " WHERE r.id = ?", (payment_id,))[0])


def receipts(sql: Sql, project_id: int) -> list[Receipt]:
    """A project's receipts, newest first."""
    return receipts_of(sql, [project_id]).get(project_id, [])


def receipts_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Receipt]]:
    """``receipts`` of each project, in one query."""
    rows = sql.all(RECEIPT_SELECT + f" WHERE r.project_id IN ({marks(len(project_ids))})"
                   " ORDER BY r.received_on DESC, r.id DESC", list(project_ids))
    return by_project(rows, _receipt, 1)


def payments_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Payment]]:
    """Each project's payments, newest first, in one query."""
    rows = sql.all(PAYMENT_SELECT + f" WHERE r.project_id IN ({marks(len(project_ids))})"
                   " ORDER BY r.paid_on DESC, r.id DESC", list(project_ids))
    return by_project(rows, _payment, 1)
