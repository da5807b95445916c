"""Reading custody records (管护) and 回头看 reviews as plain values, per project and across a region."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from engine.storage.sql import Sql, by_project, marks, to_date, to_datetime

from plugins.funding.money import yuan

RECORD_COLUMNS = ("c.id, c.project_id, c.custodian, c.responsible_unit, c.duties, c.yearly_funds_fen, c.starts_on,"
                  " c.ends_on, c.opened_at, p.code, p.title")


@dataclass(frozen=True)
class Review:
    """One 回头看 review: the checklist as answered and the findings."""

    id: int
    event: str
    still_in_use: bool
    maintained: bool
    signage: bool
    satisfaction: str
    findings: str | None
    reviewed_at: dt.datetime


@dataclass(frozen=True)
class Custody:
    """A project's custody (管护): who maintains it, what for, with which yearly funds (yuan), from when to when."""

    id: int
    project_id: int
    custodian: str
    responsible_unit: str | None
    duties: str | None
    yearly_funds: Decimal
    starts_on: dt.date
    ends_on: dt.date
    opened_at: dt.datetime
    project_code: str
    project_title: str


def _custody(row: tuple) -> Custody:
    return Custody(row[0], row[1], row[2], row[3] or None, row[4] or None, yuan(row[5]), to_date(row[6]),
                   to_date(row[7]), to_datetime(row[8]), row[9], row[10])  # type: ignore[arg-type]


def of_projects(sql: Sql, project_ids: Sequence[int]) -> dict[int, Custody]:
    """The custody record of each project that has one (none before its hand-over), in one query."""
    rows = sql.all(f"SELECT {RECORD_COLUMNS} FROM custody_record c JOIN project p ON p.id = c.project_id"
                   f" WHERE c.project_id IN ({marks(len(project_ids))})", list(project_ids))
    return {row[1]: _custody(row) for row in rows}


def period(sql: Sql, project_id: int) -> tuple[dt.date, dt.date] | None:
    """The custody period (管护期) of a project, first and last day, or None when it has no custody record."""
    row = sql.one("SELECT starts_on, ends_on FROM custody_record WHERE project_id = ?", (project_id,))
    return None if row is None else (to_date(row[0]), to_date(row[1]))  # type: ignore[return-value]


def reviews_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Review]]:
    """Each project's 回头看 reviews, oldest first, in one query."""
    rows = sql.all("SELECT id, event, still_in_use, maintained, signage, satisfaction, findings, reviewed_at,"
                   f" project_id FROM custody_review WHERE project_id IN ({marks(len(project_ids))})"
                   " ORDER BY reviewed_at, id", list(project_ids))
    return by_project(rows, lambda r: Review(r[0], r[1], bool(r[2]), bool(r[3]), bool(r[4]), r[5], r[6],
                                             to_datetime(r[7])), 8)


def ending_between(sql: Sql, first_day: dt.date, last_day: dt.date, conditions: Sequence[str],
                   params: Sequence[object], limit: int) -> list[Custody]:
    """Custody records whose period ends in [first_day, last_day] on projects (alias ``p``) matching
    ``conditions``, soonest first."""
    where = " AND ".join(["c.ends_on >= ?", "c.ends_on <= ?", *conditions])
    rows = sql.all(f"SELECT {RECORD_COLUMNS} FROM custody_record c JOIN project p ON p.id = c.project_id"
                   f" WHERE {where} ORDER BY c.ends_on, c.id LIMIT ?", (first_day, last_day, *params, limit))
    return [_custody(row) for row in rows]
