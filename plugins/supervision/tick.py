"""The tick: evaluate every deadline and escalation ladder once for a date, issuing each due notice exactly once —
per deadline the highest step due (``highest``): a late tick catches up with one notice, not one per step passed.

Exactly once, across threads and processes: the notices' UNIQUE key (project, deadline, step) refuses a second
copy (``ON CONFLICT DO NOTHING``), each issue re-checks in its own write transaction that the deadline still
stands, and on PostgreSQL the whole tick holds an advisory lock (a second tick at the same moment does nothing
and says so); on SQLite every issuing transaction takes the write lock (``BEGIN IMMEDIATE``). Notices are
committed about a thousand at a time (whole projects), in a few statements per batch, each notice with its audit
record: a tick killed half-way leaves no half-issued notice, and the next tick issues the rest.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from collections import defaultdict
from itertools import groupby
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from pony import orm

from engine import audit
from engine.storage.sql import Sql, marks, to_date

from plugins.supervision import due, notices
from plugins.supervision.tables import ISSUED
from plugins.supervision.time import calendar_of, working_days

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger("minsheng.supervision")

# pg_try_advisory_lock(ADVISORY_KEY, hashtext(current_schema())): one tick per database schema (a deployment)
ADVISORY_KEY = 7402
# short write transactions (a clerk's write waits for one batch at most), each of whole projects, about this many
# notices (each with its audit record: a few milliseconds of writing); fewer commits, each an fsync on SQLite
NOTICES_PER_TRANSACTION = 1000

INSERT = ("INSERT INTO supervision_notice (project_id, deadline_key, source_id, due_on, step, step_label, addressee,"
          " unit_id, reason, status, issued_on, issued_at) VALUES {values} ON CONFLICT DO NOTHING"
          " RETURNING id, project_id, deadline_key, source_id, due_on, step")
ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
INSERT_ROWS = 400  # notices per INSERT (12 parameters each: within SQLite's and PostgreSQL's limits)
CHUNK = 500  # ids per IN (...) list


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
            sql = Sql(engine.db)
            # by project (batches of whole projects), then the oldest deadline first
            found = sorted(highest(sql, due.candidates(engine, sql, result.on, calendar, result.problems)),
                           key=lambda c: (c.project_id, c.due_on, c.deadline_key, c.source_id))
        for batch in _batches(found):
            for notice in _issue(engine, batch, result.on, calendar):
                result.issued.append(notice.id)
                notices.announce(engine, notice)
    return result


def _batches(found: list[due.Candidate]) -> Iterator[list[due.Candidate]]:
    """``found`` (sorted by project) in batches of whole projects of about ``NOTICES_PER_TRANSACTION``."""
    batch: list[due.Candidate] = []
    for _, group in groupby(found, key=lambda c: c.project_id):
        batch.extend(group)
        if len(batch) >= NOTICES_PER_TRANSACTION:
            yield batch
            batch = []
    if batch:
        yield batch


def highest(sql: Sql, found: Iterable[due.Candidate]) -> list[due.Candidate]:
    """Of the steps due for one deadline, the highest alone: a tick that runs late (the server was down, a year's
    list imported in December) brings the deadline to where its ladder stands with one notice, not one per step
    passed — the unit signs for one 督办单 — and names the steps passed over in its reason. A tick each day issues
    every step on its own day, as before. (The due queries already leave out a lower step when the next one is
    due; this keeps one per deadline whatever the ladder.) A lower step is passed over when its window holds the
    deadline today and no notice exists at it or above it below the step issued."""
    best: dict[tuple, due.Candidate] = {}
    for candidate in found:
        key = (candidate.project_id, candidate.deadline_key, candidate.source_id, candidate.due_on)
        kept = best.get(key)
        if kept is None or candidate.rank > kept.rank:
            best[key] = candidate
    climbed = [c for c in best.values() if c.rank > 0]
    issued = _issued_steps(sql, climbed)
    for c in climbed:
        rung, steps = c.rung, issued.get((c.project_id, c.deadline_key, c.source_id, c.due_on), set())
        assert rung is not None
        c.passed_over = tuple(
            s.label or s.step for k, s in enumerate(rung.ladder[:rung.rank])
            if rung.windows[k] is not None and due.within(c.due_on, rung.windows[k])  # type: ignore[arg-type]
            and not steps.intersection(t.step for t in rung.ladder[k:rung.rank]))
    return list(best.values())


def _issued_steps(sql: Sql, found: list[due.Candidate]) -> dict[tuple, set[str]]:
    """The steps already issued for the candidates' deadlines, by (project, deadline, source, due date)."""
    steps: dict[tuple, set[str]] = defaultdict(set)
    for chunk in _chunks(sorted({c.project_id for c in found})):
        for project_id, key, source_id, due_on, step in sql.all(
                "SELECT project_id, deadline_key, source_id, due_on, step FROM supervision_notice"
                f" WHERE project_id IN ({marks(len(chunk))})", chunk):
            steps[(project_id, key, source_id, to_date(due_on))].add(step)
    return steps


def _issue(engine: Engine, batch: list[due.Candidate], on: dt.date, calendar: Any) -> list[notices.Notice]:
    """Issue ``batch`` in one write transaction, in a few statements whatever its size (the projects locked, each
    kind of deadline re-checked, the notices inserted, their audit records appended); return the notices that
    were new (with their audit seq)."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        projects: dict[int, tuple] = {}  # id → (lead unit, version, workflow), read as the rows are locked
        for chunk in _chunks(sorted({c.project_id for c in batch})):  # PostgreSQL: in id order, as a transition does
            projects.update((r[0], tuple(r[1:])) for r in sql.all(
                f"SELECT id, lead_unit_id, version, workflow_id FROM project WHERE id IN ({marks(len(chunk))})"
                " ORDER BY id" + sql.for_update(), chunk))
        rows = _insert(engine, sql, _still_due(sql, batch), on, calendar, projects)
        if not rows:
            return []
        now = engine.clock.now()
        entries = audit.append_records(sql, [audit.NewRecord(r[1], "notice", "notice_issued", None,
                                                             audit.SYSTEM_ACTOR, now, _row_fields(r), r[18])
                                             for r in rows])
    return [notices.Notice.of(r, e.seq) for r, e in zip(rows, entries)]


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _still_due(sql: Sql, batch: list[due.Candidate]) -> list[due.Candidate]:
    """The candidates whose deadline still stands (one query per kind of deadline): the project is still in the
    state, the date unchanged, the rectification still open, the measure still open …"""
    by_query: dict[str, list[due.Candidate]] = defaultdict(list)
    for candidate in batch:
        by_query[candidate.check[0]].append(candidate)
    standing: set[int] = set()
    for query, group in by_query.items():
        found: dict[Any, tuple] = {}
        for chunk in _chunks(sorted({c.check[1] for c in group})):
            found.update((row[0], tuple(row[1:])) for row in sql.all(query.format(ids=marks(len(chunk))), chunk))
        for candidate in group:
            row, expected = found.get(candidate.check[1]), candidate.check[2]
            if row is not None and tuple(to_date(v) if isinstance(e, dt.date) else v
                                         for v, e in zip(row, expected)) == expected:
                standing.add(id(candidate))
    return [c for c in batch if id(c) in standing]


def _insert(engine: Engine, sql: Sql, found: list[due.Candidate], on: dt.date, calendar: Any,
            projects: dict[int, tuple]) -> list[tuple]:
    """Insert the notices, a few hundred per statement; the rows (``notices.COLUMNS``, in id order) of those that
    were new (another tick may have issued some first: the UNIQUE key keeps its copy), built from what the
    candidates and the locked project rows hold rather than read back."""
    rows: list[tuple] = []
    now = engine.clock.now()
    units = _unit_names(sql, {c.unit_id for c in found if c.unit_id is not None})
    distances: dict[dt.date, str] = {}  # many deadlines share a date (month ends)
    for chunk in _chunks(found, INSERT_ROWS):
        values = []
        for c in chunk:
            if c.due_on not in distances:
                distances[c.due_on] = distance(c.due_on, on, calendar)
            values.extend((c.project_id, c.deadline_key, c.source_id, c.due_on, c.step.step, c.step.label,
                           c.step.to, c.unit_id, _reason(c, distances), ISSUED, on, now))
        by_key = {(c.project_id, c.deadline_key, c.source_id, c.due_on, c.step.step): c for c in chunk}
        for notice_id, project_id, key, source_id, due_on, step in sql.all(
                INSERT.format(values=", ".join([ROW] * len(chunk))), values):
            c = by_key[(project_id, key, source_id, to_date(due_on), step)]
            lead_unit_id, version, workflow_id = projects[c.project_id]
            rows.append((notice_id, c.project_id, c.code, c.title, c.region_id, c.region_path, lead_unit_id, c.state,
                         version, workflow_id, c.deadline_key, c.source_id, c.due_on, c.step.step, c.step.label,
                         c.step.to, c.unit_id, units.get(c.unit_id), _reason(c, distances), ISSUED, on, now, None,
                         None, None, None, None))
    return sorted(rows)


def _unit_names(sql: Sql, ids: set[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in _chunks(sorted(ids)):
        names.update(sql.all(f"SELECT id, name FROM unit WHERE id IN ({marks(len(chunk))})", chunk))
    return names


def _reason(c: due.Candidate, distances: dict[dt.date, str]) -> str:
    passed = f" (steps passed over: {', '.join(c.passed_over)})" if c.passed_over else ""
    return f"{c.what} {c.due_on.isoformat()} {distances[c.due_on]}{passed}"


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


def _row_fields(row: tuple) -> dict[str, Any]:
    """The audit record's fields of a new notice, from its stored row (``notices.COLUMNS``)."""
    return {"notice": row[0], "step": row[13], "deadline": row[10], "due_on": to_date(row[12]),
            "addressee": row[15], "unit": row[16], "status": row[19]}


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

