"""Reading suggestions: an office's list of its area's suggestions (the only read that decrypts personal data),
and anyone's view of one suggestion's fate by its receipt code (never personal data)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Sequence

from engine.directory.actors import ActorView
from engine.errors import NotFound
from engine.storage.sql import Sql, marks, to_datetime
from plugins.participation import offices, personal, receipts
from plugins.participation import vocabulary as v

if TYPE_CHECKING:
    from engine.core import Engine

COLUMNS = ("s.id, s.call_id, s.title, s.category, s.content, s.reason, s.location, s.estimate_fen, s.due_by,"
           " s.channel, s.hotline_ticket, s.submitter_kind, s.status, s.decline_reason, s.proposal_id, s.project_id,"
           " s.submitted_at, s.decided_at, s.erased_at, s.contact_name_enc, s.contact_phone_enc, s.region_path")
MAX_PAGE = 200


@dataclass(frozen=True)
class SuggestionView:
    """A suggestion as an office sees it (``contact_*`` decrypted; None once erased or never given)."""

    id: int
    call_id: int
    title: str
    category: str
    content: str
    reason: str
    location: str
    estimate: Decimal | None
    due_by: str
    channel: str
    hotline_ticket: str | None
    submitter_kind: str
    status: str
    decline_reason: str | None
    proposal_id: int | None
    project_id: int | None
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    erased_at: dt.datetime | None
    contact_name: str | None
    contact_phone: str | None


def _view(r: Sequence, box: object | None) -> SuggestionView:
    name = personal.unseal(box, r[19]) if box is not None else None  # type: ignore[arg-type]
    phone = personal.unseal(box, r[20]) if box is not None else None  # type: ignore[arg-type]
    estimate = None if r[7] is None else (Decimal(r[7]) / 100).quantize(Decimal("0.01"))
    return SuggestionView(r[0], r[1], r[2], r[3], r[4], r[5], r[6], estimate, r[8], r[9], r[10], r[11], r[12], r[13],
                          r[14], r[15], to_datetime(r[16]), r[17] and to_datetime(r[17]),
                          r[18] and to_datetime(r[18]), name, phone)


def office_page(engine: Engine, sql: Sql, actor: ActorView, call_id: int | None, status: str | None,
                after_id: int, first: int) -> list[SuggestionView]:
    """Up to ``first + 1`` suggestions of the office's area by id after ``after_id``; nothing for a non-office.
    A call out of the office's area answers NOT_FOUND, like a missing one."""
    area = offices.office_path(engine, actor)
    if area is None:
        return []
    conditions, params = ["s.region_path LIKE ?", "s.id > ?"], [area + "%", after_id]
    if call_id is not None:
        path = sql.scalar("SELECT region_path FROM participation_call WHERE id = ?", (call_id,))
        if path is None or not path.startswith(area):
            raise NotFound(f"call {call_id} does not exist", path=["callId"])
        conditions.append("s.call_id = ?")
        params.append(call_id)
    if status is not None:
        conditions.append("s.status = ?")
        params.append(status)
    rows = sql.all(f"SELECT {COLUMNS} FROM participation_suggestion s WHERE {' AND '.join(conditions)}"
                   " ORDER BY s.id LIMIT ?", (*params, min(first, MAX_PAGE) + 1))
    box = personal.cipher(sql) if any(r[19] or r[20] for r in rows) else None
    return [_view(r, box) for r in rows]


def in_office_reach(engine: Engine, sql: Sql, actor: ActorView, ids: Sequence[int],
                    path: list[str]) -> list[SuggestionView]:
    """The suggestions ``ids`` when every one is in the office's area (personal data left out); else NotFound
    naming the first that is not — missing and out of reach alike."""
    area = offices.office_path(engine, actor) or "\0"
    rows = {r[0]: r for r in sql.all(f"SELECT {COLUMNS} FROM participation_suggestion s WHERE s.id IN"
                                     f" ({marks(len(ids))})", list(ids))} if ids else {}
    for index, suggestion_id in enumerate(ids):
        row = rows.get(suggestion_id)
        if row is None or not row[21].startswith(area):
            raise NotFound(f"suggestion {suggestion_id} does not exist", path=[*path, str(index)])
    return [_view(rows[i], None) for i in ids]


@dataclass(frozen=True)
class Fate:
    """What the submitter sees by receipt code: no personal data, nothing about who screened it."""

    title: str
    category: str
    call_title: str
    status: str
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    decline_reason: str | None
    merged_with: int  # other suggestions screened together with this one
    project_id: int | None
    project_code: str | None
    project_title: str | None


def fate(sql: Sql, code: str) -> Fate | None:
    """The suggestion with this receipt code, or None (a wrong code and a missing one answer alike)."""
    row = sql.one("SELECT s.title, s.category, c.title, s.status, s.submitted_at, s.decided_at, s.decline_reason,"
                  " s.proposal_id, s.project_id, p.code, p.title FROM participation_suggestion s"
                  " JOIN participation_call c ON c.id = s.call_id LEFT JOIN project p ON p.id = s.project_id"
                  " WHERE s.receipt_hash = ?", (receipts.digest(code),))
    if row is None:
        return None
    merged = 0
    if row[7] is not None:
        merged = int(sql.scalar("SELECT COUNT(*) FROM participation_suggestion WHERE proposal_id = ?",
                                (row[7],))) - 1
    return Fate(row[0], row[1], row[2], row[3], to_datetime(row[4]), row[5] and to_datetime(row[5]), row[6],
                merged, row[8], row[9], row[10])


def sources_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[tuple[int, str, str, str]]]:
    """Each project's source suggestions (id, title, channel, submitted at) — no personal data."""
    rows = sql.all("SELECT project_id, id, title, channel, submitted_at FROM participation_suggestion"
                   f" WHERE project_id IN ({marks(len(project_ids))}) ORDER BY id", list(project_ids))
    found: dict[int, list[tuple[int, str, str, str]]] = {}
    for r in rows:
        found.setdefault(r[0], []).append((r[1], r[2], r[3], str(r[4])))
    return found


STATUS_LABELS = v.STATUSES
