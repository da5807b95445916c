"""Reading inspections and rectifications as plain snapshots, with plain SQL (one query per list)."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Sequence

from engine.storage.sql import Sql, by_project, marks, to_date, to_datetime

from plugins.inspection.vocabulary import VERIFIED


@dataclass(frozen=True)
class Inspection:
    """An inspection (视察/督查/验收) as recorded."""

    id: int
    project_id: int
    kind: str
    held_on: dt.date
    inspectors: list[str]
    result: str
    notes: str | None
    recorded_by: int | None
    recorded_at: dt.datetime
    reversed_reason: str | None = None  # reversed (冲正): why; it then no longer counts


@dataclass(frozen=True)
class Rectification:
    """A rectification (整改) with its project, responsible unit and the actors who closed it, by name."""

    id: int
    project_id: int
    project_code: str
    project_title: str
    inspection_id: int | None
    origin: str
    description: str
    unit_id: int | None
    unit_code: str | None
    unit_name: str | None
    unit_region_id: int | None
    deadline: dt.date
    status: str
    opened_by: int | None
    opened_at: dt.datetime
    done_by: int | None
    done_by_name: str | None
    done_at: dt.datetime | None
    done_note: str | None
    verified_by: int | None
    verified_by_name: str | None
    verified_at: dt.datetime | None
    verify_note: str | None

    @property
    def closed(self) -> bool:
        """Closed only once verified (核验销号); done but unverified still counts as open."""
        return self.status == VERIFIED

    def days_overdue(self, today: dt.date) -> int:
        """Whole days past the deadline while not closed; 0 when closed or not yet due."""
        return 0 if self.closed else max(0, (today - self.deadline).days)


INSPECTION_COLUMNS = ("SELECT id, project_id, kind, held_on, inspectors, result, notes, recorded_by, recorded_at,"
                      " (SELECT c.reason FROM inspection_correction c WHERE c.inspection_id = inspection_record.id)"
                      " FROM inspection_record")

RECTIFICATION_SELECT = (
    "SELECT r.id, r.project_id, p.code, p.title, r.inspection_id, r.origin, r.description, r.unit_id, u.code,"
    " u.name, u.region_id, r.deadline, r.status, r.opened_by, r.opened_at, r.done_by, da.name, r.done_at,"
    " r.done_note, r.verified_by, va.name, r.verified_at, r.verify_note"
    " FROM inspection_rectification r JOIN project p ON p.id = r.project_id"
    " LEFT JOIN unit u ON u.id = r.unit_id LEFT JOIN actor da ON da.id = r.done_by"
    " LEFT JOIN actor va ON va.id = r.verified_by")


def _optional_datetime(value: object) -> dt.datetime | None:
    return None if value is None else to_datetime(value)


def inspection_of(row: Sequence) -> Inspection:
    return Inspection(row[0], row[1], row[2], to_date(row[3]), list(json.loads(row[4])), row[5], row[6], row[7],
                      to_datetime(row[8]), row[9])


def rectification_of(row: Sequence) -> Rectification:
    values = list(row)
    values[11] = to_date(values[11])
    for index in (14, 17, 21):
        values[index] = _optional_datetime(values[index])
    return Rectification(*values)


def inspections_of_projects(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Inspection]]:
    """Each project's inspections, newest first, in one query."""
    rows = sql.all(INSPECTION_COLUMNS + f" WHERE project_id IN ({marks(len(project_ids))})"
                   " ORDER BY held_on DESC, id DESC", list(project_ids))
    return by_project(rows, inspection_of, 1)


def inspection_by_id(sql: Sql, inspection_id: int) -> Inspection | None:
    row = sql.one(INSPECTION_COLUMNS + " WHERE id = ?", (inspection_id,))
    return inspection_of(row) if row else None


def rectifications_of_project(sql: Sql, project_id: int, status: str | None = None) -> list[Rectification]:
    """A project's rectifications, oldest first, optionally only those in one status."""
    return rectifications_of_projects(sql, [project_id], status).get(project_id, [])


def rectifications_of_projects(sql: Sql, project_ids: Sequence[int], status: str | None = None
                               ) -> dict[int, list[Rectification]]:
    """``rectifications_of_project`` of each project, in one query."""
    where, params = f" WHERE r.project_id IN ({marks(len(project_ids))})", list(project_ids)
    if status is not None:
        where, params = where + " AND r.status = ?", params + [status]
    found: dict[int, list[Rectification]] = {}
    for row in sql.all(RECTIFICATION_SELECT + where + " ORDER BY r.id", params):
        record = rectification_of(row)
        found.setdefault(record.project_id, []).append(record)
    return found


def rectification_by_id(sql: Sql, rectification_id: int) -> Rectification | None:
    row = sql.one(RECTIFICATION_SELECT + " WHERE r.id = ?", (rectification_id,))
    return rectification_of(row) if row else None


def rectifications_by_ids(sql: Sql, ids: Sequence[int]) -> list[Rectification]:
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    rows = sql.all(RECTIFICATION_SELECT + f" WHERE r.id IN ({marks}) ORDER BY r.id", list(ids))
    return [rectification_of(row) for row in rows]


def overdue(sql: Sql, today: dt.date, condition: str, params: Sequence[object], limit: int) -> list[Rectification]:
    """Rectifications not verified whose deadline has passed, matching ``condition`` (on ``r``/``p``), most
    overdue first — one query."""
    rows = sql.all(RECTIFICATION_SELECT + " WHERE r.status <> ? AND r.deadline < ? AND " + condition
                   + " ORDER BY r.deadline, r.id LIMIT ?", [VERIFIED, today, *params, limit])
    return [rectification_of(row) for row in rows]
