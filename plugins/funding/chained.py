"""The funding records in the projects' hash chains (record kind ``funding``; reversals are ``correction``).

Each table's chained content is the columns below, as plain values: the same for the record written with the row
and for ``minsheng audit verify`` reading the row back, so an amount changed in the table shows. A plan line's
``superseded_at`` is left out: replacing a line sets it, legitimately, after its record was written.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Sequence

from engine import chain
from engine.storage.sql import Sql, to_date

KIND = "funding"


@dataclass(frozen=True)
class Columns:
    """A chained funding table: its columns in the chain, which of them are dates or flags, and its record events."""

    table: str
    label: str
    names: tuple[str, ...]
    event: str  # the event of a record written by hand
    reverse_event: str
    dates: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()

    def content(self, values: Sequence[Any]) -> chain.Content:
        """The chained content of a row from its values in ``names`` order (as written or as read back)."""
        out: chain.Content = {}
        for name, value in zip(self.names, values):
            if name in self.dates:
                value = to_date(value)
            elif name in self.flags:
                value = bool(value)
            elif name == "amount_fen":
                value = int(value)
            out[name] = chain.plain(value)
        return out

    def read(self, sql: Sql, project_id: int) -> dict[int, chain.Content]:
        rows = sql.all(f"SELECT id, {', '.join(self.names)} FROM {self.table} WHERE project_id = ?", (project_id,))
        return {row[0]: self.content(row[1:]) for row in rows}

    def chained_table(self) -> chain.ChainedTable:
        return chain.ChainedTable(KIND, self.table, self.label, self.read)


RECEIPT = Columns("funding_receipt", "funds received 资金到位", (
    "source", "kind", "amount_fen", "received_on", "document_no", "recorded_by_id", "reverses_id", "reason",
    "duplicate_intended"), "record_receipt", "reverse_receipt", dates=frozenset({"received_on"}),
    flags=frozenset({"duplicate_intended"}))
PAYMENT = Columns("funding_payment", "funds paid out 资金拨付", (
    "amount_fen", "paid_on", "payee", "purpose", "recorded_by_id", "reverses_id", "reason"),
    "record_payment", "reverse_payment", dates=frozenset({"paid_on"}))
PLAN = Columns("funding_plan", "funding plan line 资金筹措计划", (
    "source", "kind", "amount_fen", "note", "set_by_id", "reverses_id", "reason"), "set_plan", "reverse_plan_line")
REWARD = Columns("funding_reward", "reward subsidy 奖补", (
    "amount_fen", "reason", "granted_on", "granted_by", "recorded_by_id"), "record_reward", "reverse_reward",
    dates=frozenset({"granted_on"}))
TABLES = (PLAN, RECEIPT, PAYMENT, REWARD)


def append(sql: Sql, columns: Columns, project_id: int, record_id: int, values: Sequence[Any], actor_id: int | None,
           actor_name: str, at: dt.datetime, reverses: bool = False, event: str | None = None) -> None:
    """Append the record of a funding row just written (a reversal: kind ``correction``)."""
    kind, name = (chain.CORRECTION, columns.reverse_event) if reverses else (KIND, event or columns.event)
    chain.append_row(sql, project_id, kind, name, actor_id, actor_name, at, columns.table, record_id,
                     columns.content(values))


# -- the migration that chains the records written before funding joined the chain -----------------------------

WHO_WHEN = {"funding_receipt": ("recorded_by_id", "recorded_by_name", "recorded_at"),
            "funding_payment": ("recorded_by_id", "recorded_by_name", "recorded_at"),
            "funding_plan": ("set_by_id", "set_by_name", "set_at"),
            "funding_reward": ("recorded_by_id", "recorded_by_name", "recorded_at")}


def chain_existing(db: Any, provider: str) -> None:
    """Append a record for every funding row not yet in its project's chain, per project in the order the rows
    were written (by time, then table, then id). Rows already named by a record are left alone, so a second run
    adds nothing."""
    sql = Sql(db)
    rows = []
    for order, columns in enumerate(TABLES):
        who, name, when = WHO_WHEN[columns.table]
        for row in sql.all(f"SELECT project_id, {when}, id, {who}, {name}, {', '.join(columns.names)}"
                           f" FROM {columns.table}"):
            rows.append((row[0], _instant(row[1]), order, row[2], row[3], row[4], row[5:]))
    rows.sort(key=lambda r: (r[0], r[1], r[2], r[3]))
    named = _already_chained(sql)
    for project_id, at, order, record_id, actor_id, actor_name, values in rows:
        columns = TABLES[order]
        if (columns.table, record_id) in named:
            continue
        reverses = "reverses_id" in columns.names and values[columns.names.index("reverses_id")] is not None
        append(sql, columns, project_id, record_id, values, actor_id, actor_name, at, reverses)


def _instant(value: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _already_chained(sql: Sql) -> set[tuple[str, int]]:
    found = set()
    for (fields,) in sql.all("SELECT fields FROM audit_record WHERE kind IN (?, ?)", (KIND, chain.CORRECTION)):
        values = json.loads(fields)
        if isinstance(values, dict) and "table" in values:
            found.add((values["table"], values["record"]))
    return found
