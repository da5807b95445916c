"""Progress reports 进度报告 filed by the lead unit: the percent complete on a date (0–100, never lower than the
previous report unless a reason is given), what was done, the problems, the next steps, and who reported.

Each report is a row of ``schedule_progress_report`` and a ``progress`` record in the project's audit chain,
written in one transaction. The project row is locked first, so two reports at once are compared one after the
other: both cannot pass the "not lower than the previous" check. The current progress is the latest report (by
report date, then as filed).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from engine import audit, chain
from engine.directory.actors import ActorView
from engine.storage.sql import Sql, by_project, first_rows_per_project, to_date, to_datetime
from plugins.schedule import inputs
from plugins.schedule.maintained import refresh
from plugins.schedule.permissions import PROGRESS, locked_for_write, write_session

if TYPE_CHECKING:
    from engine.core import Engine

TEXT_LIMIT = 5000
REASON_LIMIT = 1000
COLUMNS = ("id, project_id, reported_on, percent, narrative, problems, next_steps, reason, reporter_name,"
           " created_at")
NEWEST_FIRST = " ORDER BY reported_on DESC, id DESC"


@dataclass(frozen=True)
class ProgressInput:
    percent: Any
    reported_on: Any = None
    narrative: Any = None
    problems: Any = None
    next_steps: Any = None
    reason: Any = None
    idempotency_key: Any = None  # a retried request with the same key answers the first report, writes nothing


@dataclass(frozen=True)
class Report:
    id: int
    project_id: int
    reported_on: dt.date
    percent: int
    narrative: str | None
    problems: str | None
    next_steps: str | None
    reason: str | None
    reporter_name: str | None
    created_at: dt.datetime | None


def _report(r: tuple) -> Report:
    return Report(r[0], r[1], to_date(r[2]), int(r[3]), r[4], r[5], r[6], r[7], r[8],
                  None if r[9] is None else to_datetime(r[9]))


def latest(sql: Sql, project_id: int) -> Report | None:
    """The project's current progress: its latest report, or None before the first."""
    return latest_of(sql, [project_id]).get(project_id)


def latest_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, Report]:
    """``latest`` of each project that has reported, in one statement."""
    rows = first_rows_per_project(sql, f"SELECT {COLUMNS} FROM schedule_progress_report WHERE project_id = ?",
                                  NEWEST_FIRST[len(" ORDER BY "):], project_ids, (), 1)
    return {row[1]: _report(row) for row in rows}


def pages(sql: Sql, project_ids: Sequence[int], first: int, before_id: int | None = None
          ) -> dict[int, tuple[list[Report], bool]]:
    """Each project's page of reports, in one statement: up to ``first`` reports newest first, after the report
    ``before_id`` if given, and whether more follow (projects without reports are left out). Report dates never go
    back (``report_progress`` refuses it), so newest first is also by id."""
    query = f"SELECT {COLUMNS} FROM schedule_progress_report WHERE project_id = ?"
    params: list[Any] = []
    if before_id is not None:
        query += " AND id < ?"
        params.append(before_id)
    found = by_project(first_rows_per_project(sql, query, "id DESC", project_ids, params, first + 1), _report, 1)
    return {project_id: (reports[:first], len(reports) > first) for project_id, reports in found.items()}


def report_progress(engine: Engine, actor: ActorView, project_id: int, given: ProgressInput) -> Report:
    """File a progress report; refused (naming the field) for a percent outside 0–100, a date in the future or
    before the latest report, or a percent below the latest report's without a reason."""
    with write_session():
        sql = Sql(engine.db)
        locked_for_write(engine, sql, actor, project_id, PROGRESS)  # access first, then the input
        key = chain.check_key(given.idempotency_key)
        earlier = chain.replayed(sql, actor, key, project_id, "report_progress")
        if earlier is not None:
            return _report(sql.one(f"SELECT {COLUMNS} FROM schedule_progress_report WHERE id = ?", (earlier,)))
        percent = inputs.percent(given.percent, ["input", "percent"])
        on = inputs.day(given.reported_on, ["input", "reportedOn"], engine.clock.today())
        texts = [inputs.text(value, ["input", name], TEXT_LIMIT, multiline=True) for name, value in
                 (("narrative", given.narrative), ("problems", given.problems), ("nextSteps", given.next_steps))]
        reason = inputs.text(given.reason, ["input", "reason"], REASON_LIMIT, multiline=True)
        previous = latest(sql, project_id)
        _check_against(previous, on, percent, reason)
        now = engine.clock.now()
        report_id = sql.insert(
            "INSERT INTO schedule_progress_report (project_id, reported_on, percent, narrative, problems, next_steps,"
            " reason, reporter_id, reporter_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, on, percent, *texts, reason, actor.id, actor.name, now))
        audit.append_record(sql, project_id, "progress", "report_progress", actor.id, actor.name, now, {
            "report": report_id, "reported_on": on.isoformat(), "percent": percent,
            "previous_percent": previous.percent if previous else None, "narrative": texts[0],
            "problems": texts[1], "next_steps": texts[2], "reason": reason})
        chain.remember(sql, actor, key, project_id, "report_progress", report_id, now)
        refresh(engine, sql, [project_id], engine.clock.today())
    return Report(report_id, project_id, on, percent, *texts, reason, actor.name, now)


def _check_against(previous: Report | None, on: dt.date, percent: int, reason: str | None) -> None:
    if previous is None:
        return
    if on < previous.reported_on:
        raise inputs.problem(["input", "reportedOn"], f"must not be before the latest report "
                                                      f"({previous.reported_on.isoformat()}), got {on.isoformat()}")
    if percent < previous.percent and not reason:
        raise inputs.problem(["input", "percent"], f"is lower than the latest report's {previous.percent}% "
                                                   f"({previous.reported_on.isoformat()}); give a reason to lower it")
