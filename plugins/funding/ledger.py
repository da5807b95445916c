"""Funds received 资金到位 and funds paid out 资金拨付 for a project.

A payment may never take the cumulative amount paid out above the cumulative amount received: the project row
is locked while the totals are compared, so two payments at once cannot both slip through.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

from pony import orm

from engine.directory.actors import ActorView
from engine.errors import FieldProblem, InvalidInput
from engine.storage.sql import Sql, by_project, marks, to_date, to_datetime
from plugins.funding import inputs
from plugins.funding.money import parse_amount, show, yuan
from plugins.funding.permissions import PAYMENT, RECEIPT, locked_for_write
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


def record_receipt(engine: Engine, actor: ActorView, project_id: int, amount: Any, source: Any, kind: Any = None,
                   received_on: Any = None, document_no: Any = None) -> Receipt:
    """Record funds received from a source (the date defaults to today)."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        locked_for_write(engine, sql, actor, project_id, RECEIPT)  # access first, then the input
        src, knd = inputs.source_of(source, kind, ["input"])
        fen = parse_amount(amount, ["input", "amount"])
        on = inputs.day(received_on, ["input", "receivedOn"], engine.clock.today())
        document = inputs.text(document_no, ["input", "documentNo"], DOCUMENT_LIMIT)
        now = engine.clock.now()
        receipt_id = sql.insert(
            "INSERT INTO funding_receipt (project_id, source, kind, amount_fen, received_on, document_no,"
            " recorded_by_id, recorded_by_name, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, src.value, knd.value if knd else "", fen, on, document, actor.id, actor.name, now))
    return Receipt(receipt_id, project_id, src, knd, yuan(fen), on, document, actor.name, now)


def record_payment(engine: Engine, actor: ActorView, project_id: int, amount: Any, payee: Any,
                   purpose: Any = None, paid_on: Any = None) -> Payment:
    """Record funds paid out; refused when more would be paid out than has been received."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        locked_for_write(engine, sql, actor, project_id, PAYMENT)  # access first, then the input
        fen = parse_amount(amount, ["input", "amount"])
        to_whom = inputs.text(payee, ["input", "payee"], PAYEE_LIMIT, required=True)
        what_for = inputs.text(purpose, ["input", "purpose"], PURPOSE_LIMIT)
        on = inputs.day(paid_on, ["input", "paidOn"], engine.clock.today())
        _check_available(sql, project_id, fen)
        now = engine.clock.now()
        payment_id = sql.insert(
            "INSERT INTO funding_payment (project_id, amount_fen, paid_on, payee, purpose, recorded_by_id,"
            " recorded_by_name, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, fen, on, to_whom, what_for, actor.id, actor.name, now))
    return Payment(payment_id, project_id, yuan(fen), on, to_whom, what_for, actor.name, now)


def _check_available(sql: Sql, project_id: int, fen: int) -> None:
    received = int(sql.scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM funding_receipt WHERE project_id = ?",
                              (project_id,)))
    paid = int(sql.scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM funding_payment WHERE project_id = ?",
                          (project_id,)))
    if paid + fen > received:
        raise InvalidInput([FieldProblem(["input", "amount"], (
            f"paying out {show(fen)} yuan would exceed the funds received: {show(received)} yuan received, "
            f"{show(paid)} already paid out, {show(received - paid)} available"))])


def receipts(sql: Sql, project_id: int) -> list[Receipt]:
    """A project's receipts, newest first."""
    return receipts_of(sql, [project_id]).get(project_id, [])


def receipts_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Receipt]]:
    """``receipts`` of each project, in one query."""
    rows = sql.all("SELECT id, project_id, source, kind, amount_fen, received_on, document_no, recorded_by_name,"
                   f" recorded_at FROM funding_receipt WHERE project_id IN ({marks(len(project_ids))})"
                   " ORDER BY received_on DESC, id DESC", list(project_ids))
    return by_project(rows, lambda r: Receipt(r[0], r[1], Source(r[2]), SocialKind(r[3]) if r[3] else None,
                                              yuan(r[4]), to_date(r[5]), r[6], r[7], to_datetime(r[8])), 1)


def payments_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Payment]]:
    """Each project's payments, newest first, in one query."""
    rows = sql.all("SELECT id, project_id, amount_fen, paid_on, payee, purpose, recorded_by_name, recorded_at"
                   f" FROM funding_payment WHERE project_id IN ({marks(len(project_ids))})"
                   " ORDER BY paid_on DESC, id DESC", list(project_ids))
    return by_project(rows, lambda r: Payment(r[0], r[1], yuan(r[2]), to_date(r[3]), r[4], r[5], r[6],
                                              to_datetime(r[7])), 1)
