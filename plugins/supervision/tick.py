"""The tick: evaluate every deadline and escalation ladder once for a date, issuing each due notice exactly once.

Exactly once, across threads and processes: the notices' UNIQUE key (project, deadline, step) refuses a second
copy (``ON CONFLICT DO NOTHING``), each issue re-checks in its own write transaction that the deadline still
stands, and on PostgreSQL the whole tick holds an advisory lock (a second tick at the same moment does nothing
and says so); on SQLite every issuing transaction takes the write lock (``BEGIN IMMEDIATE``). Notices are
committed a few projects at a time, each notice with its audit record: a tick killed half-way leaves no
half-issued notice, and the next tick issues the rest.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from itertools import groupby
from typing import TYPE_CHECKING, Any

from pony import orm

from engine import audit
from engine.storage.sql import Sql, to_date

from plugins.supervision import due, notices
from plugins.supervision.tables import ISSUED
from plugins.supervision.time import calendar_of, working_days

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger("minsheng.supervision")

# pg_try_advisory_lock(ADVISORY_KEY, hashtext(current_schema())): one tick per database schema (a deployment)
ADVISORY_KEY = 7402
PROJECTS_PER_TRANSACTION = 50

INSERT = ("INSERT INTO supervision_notice (project_id, deadline_key, source_id, due_on, step, step_label, addressee,"
          " unit_id, reason, status, issued_on, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
          " ON CONFLICT DO NOTHING RETURNING id")


@dataclass
class TickResult:
    """What one tick did: the date evaluated, the notices issued (ids), and whether another tick held the lock."""

    on: dt.date
    issued: list[int] = field(default_factory=list)
    busy: bool = False
    problems: list[str] = field(default_factory=list)  # steps skipped (e.g. a year the calendar does not know)


def run_tick(engine: Engine, on: dt.date | None = None) -> TickResult:
    """Issue every notice due on ``on`` (default: the engine clock's today) that does not exist yet."""
    result = TickResult(on or engine.clock.today())
    with _tick_lock(engine) as held:
        if not held:
            result.busy = True
            return result
        calendar = calendar_of(engine)
        with orm.db_session:
            found = sorted(due.candidates(engine, Sql(engine.db), result.on, calendar, result.problems),
                           key=lambda c: c.project_id)
        by_project = [list(group) for _, group in groupby(found, key=lambda c: c.project_id)]
        for start in range(0, len(by_project), PROJECTS_PER_TRANSACTION):
            batch = [c for group in by_project[start:start + PROJECTS_PER_TRANSACTION] for c in group]
            for notice in _issue(engine, batch, result.on, calendar):
                result.issued.append(notice.id)
                notices.announce(engine, notice)
    return result


def _issue(engine: Engine, batch: list[due.Candidate], on: dt.date, calendar: Any) -> list[notices.Notice]:
    """Issue ``batch`` in one write transaction; return the notices that were new (with their audit seq)."""
    issued = []
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        for candidate in batch:
            if not _still_due(sql, candidate):
                continue
            notice_id = _insert(engine, sql, candidate, on, calendar)
            if notice_id is None:
                continue  # another tick issued it first
            notice = notices.get(sql, notice_id)
            seq = audit.append_record(sql, candidate.project_id, "notice", "notice_issued", None, audit.SYSTEM_ACTOR,
                                      engine.clock.now(), _fields(notice), notice.reason).seq
            issued.append(replace(notice, audit_seq=seq))
    return issued


def _still_due(sql: Sql, candidate: due.Candidate) -> bool:
    query, params, expected = candidate.check
    row = sql.one(query + sql.for_update(), params)
    if row is None:
        return False
    return tuple(to_date(v) if isinstance(e, dt.date) else v for v, e in zip(row, expected)) == expected


def _insert(engine: Engine, sql: Sql, c: due.Candidate, on: dt.date, calendar: Any) -> int | None:
    row = sql.one(INSERT, (c.project_id, c.deadline_key, c.source_id, c.due_on, c.step.step, c.step.label,
                           c.step.to, c.unit_id, reason(c, on, calendar), ISSUED, on, engine.clock.now()))
    return None if row is None else row[0]


def reason(c: due.Candidate, on: dt.date, calendar: Any) -> str:
    """The notice's reason with figures, e.g. "planned end 2024-06-30 passed 12 working days ago"."""
    return f"{c.what} {c.due_on.isoformat()} {distance(c.due_on, on, calendar)}"


def distance(due_on: dt.date, on: dt.date, calendar: Any) -> str:
    """How far ``on`` is from ``due_on``, in working days ("is in 5 working days", "is today", "passed …")."""
    if due_on == on:
        return "is today"
    days = working_days(calendar, on, due_on) if due_on > on else working_days(calendar, due_on, on)
    unit = "working day" if days == 1 else "working days"
    if days == 0:
        days, unit = abs((due_on - on).days), "day" if abs((due_on - on).days) == 1 else "days"
    return f"is in {days} {unit}" if due_on > on else f"passed {days} {unit} ago"


def _fields(notice: notices.Notice) -> dict[str, Any]:
    return {"notice": notice.id, "step": notice.step, "deadline": notice.deadline_key, "due_on": notice.due_on,
            "addressee": notice.addressee, "unit": notice.unit_id, "status": notice.status}


LOCK = "SELECT pg_try_advisory_lock(?, hashtext(current_schema()))"
UNLOCK = "SELECT pg_advisory_unlock(?, hashtext(current_schema()))"


class _tick_lock:
    """PostgreSQL: ``pg_try_advisory_lock`` held by this thread's connection for the whole tick (``False`` when
    another tick holds it). SQLite: always ``True`` (each issuing transaction takes the write lock)."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.held = engine, False

    def __enter__(self) -> bool:
        if self.engine.target.is_sqlite:
            return True
        with orm.db_session:
            self.held = bool(Sql(self.engine.db).scalar(LOCK, (ADVISORY_KEY,)))
        return self.held

    def __exit__(self, *exc: object) -> None:
        if self.held:
            with orm.db_session:
                Sql(self.engine.db).scalar(UNLOCK, (ADVISORY_KEY,))

