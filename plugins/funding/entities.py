"""The funding records of a project: its funding plan 资金筹措计划 by source, funds received 资金到位, funds paid
out 资金拨付 and reward subsidies 奖补. Amounts are integer fen 分.

The plan keeps its history: setting a source's amount supersedes the line in force (``superseded_at`` is set)
and adds a new one, so who planned what, when, stays on record.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pony import orm

from engine.storage.migrations import Migration
from plugins.funding.chained import chain_existing


def declare(db: orm.Database) -> None:
    """Declare the funding entities on ``db`` (tables created by ``MIGRATIONS``)."""

    class FundingPlanLine(db.Entity):
        """One source's planned amount 计划资金 (``kind`` only for social capital); current while not superseded."""
        _table_ = "funding_plan"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        source = orm.Required(str)
        kind = orm.Optional(str)
        amount_fen = orm.Required(int, size=64)
        note = orm.Optional(str)
        set_by_id = orm.Optional(int, nullable=True)
        set_by_name = orm.Required(str)
        set_at = orm.Required(dt.datetime)
        superseded_at = orm.Optional(dt.datetime, nullable=True)
        reverses_id = orm.Optional(int, nullable=True)  # a correction 冲正: the line it reverses
        reason = orm.Optional(str)  # why it reverses that line

    class FundsReceipt(db.Entity):
        """Funds received 资金到位: from a source, on a date, under a document number 文号."""
        _table_ = "funding_receipt"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        source = orm.Required(str)
        kind = orm.Optional(str)
        amount_fen = orm.Required(int, size=64)
        received_on = orm.Required(dt.date)
        document_no = orm.Optional(str)
        recorded_by_id = orm.Optional(int, nullable=True)
        recorded_by_name = orm.Required(str)
        recorded_at = orm.Required(dt.datetime)
        reverses_id = orm.Optional(int, nullable=True)  # a correction 冲正: the receipt it reverses (amount negated)
        reason = orm.Optional(str)  # why it reverses that receipt
        duplicate_intended = orm.Required(bool, default=False)  # same source, amount and 文号 as another, on purpose

    class FundsPayment(db.Entity):
        """Funds paid out 资金拨付 to a payee for a purpose."""
        _table_ = "funding_payment"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        amount_fen = orm.Required(int, size=64)
        paid_on = orm.Required(dt.date)
        payee = orm.Required(str)
        purpose = orm.Optional(str)
        recorded_by_id = orm.Optional(int, nullable=True)
        recorded_by_name = orm.Required(str)
        recorded_at = orm.Required(dt.datetime)
        reverses_id = orm.Optional(int, nullable=True)  # a correction 冲正: the payment it reverses (amount negated)
        reason = orm.Optional(str)  # why it reverses that payment

    class FundingReward(db.Entity):
        """A reward subsidy 奖补 granted to a project, e.g. for a top grade."""
        _table_ = "funding_reward"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        amount_fen = orm.Required(int, size=64)
        reason = orm.Optional(str)
        granted_on = orm.Required(dt.date)
        granted_by = orm.Required(str)
        recorded_by_id = orm.Optional(int, nullable=True)
        recorded_by_name = orm.Required(str)
        recorded_at = orm.Required(dt.datetime)


MIGRATIONS = [
    Migration("funding", 1, "funding plan by source, funds received and paid out, reward subsidies", """
CREATE TABLE funding_plan (id {pk}, project_id INTEGER NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,
    amount_fen {bigint} NOT NULL, note TEXT NOT NULL, set_by_id INTEGER, set_by_name TEXT NOT NULL,
    set_at {ts} NOT NULL, superseded_at {ts});
CREATE INDEX idx_funding_plan_project ON funding_plan (project_id);
CREATE UNIQUE INDEX uq_funding_plan_current ON funding_plan (project_id, source, kind) WHERE superseded_at IS NULL;
CREATE TABLE funding_receipt (id {pk}, project_id INTEGER NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,
    amount_fen {bigint} NOT NULL, received_on DATE NOT NULL, document_no TEXT NOT NULL, recorded_by_id INTEGER,
    recorded_by_name TEXT NOT NULL, recorded_at {ts} NOT NULL);
CREATE INDEX idx_funding_receipt_project ON funding_receipt (project_id);
CREATE TABLE funding_payment (id {pk}, project_id INTEGER NOT NULL, amount_fen {bigint} NOT NULL,
    paid_on DATE NOT NULL, payee TEXT NOT NULL, purpose TEXT NOT NULL, recorded_by_id INTEGER,
    recorded_by_name TEXT NOT NULL, recorded_at {ts} NOT NULL);
CREATE INDEX idx_funding_payment_project ON funding_payment (project_id);
CREATE TABLE funding_reward (id {pk}, project_id INTEGER NOT NULL, amount_fen {bigint} NOT NULL,
    reason TEXT NOT NULL, granted_on DATE NOT NULL, granted_by TEXT NOT NULL, recorded_by_id INTEGER,
    recorded_by_name TEXT NOT NULL, recorded_at {ts} NOT NULL);
CREATE INDEX idx_funding_reward_project ON funding_reward (project_id)
"""),
    Migration("funding", 3, "corrections 冲正 (a reversing entry names the one it reverses and why), receipts marked "
              "as intended duplicates", """
ALTER TABLE funding_receipt ADD COLUMN reverses_id INTEGER;
ALTER TABLE funding_receipt ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE funding_receipt ADD COLUMN duplicate_intended {bool} NOT NULL DEFAULT FALSE;
ALTER TABLE funding_payment ADD COLUMN reverses_id INTEGER;
ALTER TABLE funding_payment ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE funding_plan ADD COLUMN reverses_id INTEGER;
ALTER TABLE funding_plan ADD COLUMN reason TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX uq_funding_receipt_reverses ON funding_receipt (reverses_id);
CREATE UNIQUE INDEX uq_funding_payment_reverses ON funding_payment (reverses_id);
CREATE UNIQUE INDEX uq_funding_plan_reverses ON funding_plan (reverses_id)
"""),
    Migration("funding", 4, "funding records written before join their projects' hash chains, in order",
              chain_existing),
]


def _tally() -> Any:
    from engine.storage.tally import Feed, Tally

    def feed(source: str, figure: str, by_source: bool, where: str = "1 = 1") -> Feed:
        return Feed(source, keys=(f"'{figure}'", "r.source" if by_source else "''"), sums=("r.amount_fen",),
                    where=where, columns=("amount_fen", *(("source",) if by_source else ()),
                                          *(("superseded_at",) if "superseded_at" in where else ())))

    return Tally("funding_tally", keys=(("figure", "TEXT"), ("source", "TEXT")), sums=("amount_fen",), feeds=(
        feed("funding_plan", "planned", True, "r.superseded_at IS NULL"), feed("funding_receipt", "received", True),
        feed("funding_payment", "paid", False), feed("funding_reward", "rewarded", False)))


TALLY = _tally()
"""Funds planned (the plan lines in force), received, paid and rewarded, in fen, per region (subtree or own),
year, figure and source (payments and rewards are not by source: ``''``) — the same sums as
``figures.AMOUNTS``, maintained by the database in the transaction of each funding write."""


def _tally_migration() -> Migration:
    from engine.storage.tally import tally_migration

    return tally_migration("funding", 2, "maintained funding figures per region, year and source", TALLY)


MIGRATIONS.insert(1, _tally_migration())  # funding 2, before the corrections (3) and the chaining (4)
