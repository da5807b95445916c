"""Where projects stand against their schedule (序时进度) on a date: the rules of ``pace`` applied to each project's
planned period, its latest progress report, the days it spent in states that stop the clock (``stops_clock`` in
the workflow file: 暂缓), and whether its work is done (``done``: the colour scheme's completed colour).

A project's reported progress is its latest progress report's percent, or — where its workflow file says
``progress: measures`` — the weighted share of its measures done (``measures.done_share``; dated by the latest
done date).

The basis of expected progress is the deployment's (``MINSHENG_SCHEDULE_BASIS``: ``month`` by default, ``day`` or
``working_day``); the colour scheme is the deployment's (``MINSHENG_SCHEDULE_COLOURS``, see ``colours``). Figures
for many projects are computed from a few queries in all (their latest reports, their stored stopped intervals and
the state changes since: ``stops``).
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from engine.storage.sql import Sql, to_date
from plugins.schedule.colours import ColourScheme
from plugins.schedule.pace import BASES, Pace, assess, expected_progress
from plugins.schedule.stops import CHUNK, stopped_intervals

if TYPE_CHECKING:
    from engine.core import Engine

BASIS_ENV = "MINSHENG_SCHEDULE_BASIS"


@dataclass(frozen=True)
class Planned:
    """What the rules need of one project (from its own row)."""

    project_id: int
    workflow_id: int
    state: str
    planned_start: dt.date | None
    planned_end: dt.date | None


@dataclass(frozen=True)
class Standing:
    pace: Pace
    basis: str
    on: dt.date
    reported_on: dt.date | None


def basis(env: Any = None) -> str:
    """The deployment's basis; a value it does not know stops the server at the first use, naming the variable."""
    value = (os.environ if env is None else env).get(BASIS_ENV, "").strip() or "month"
    if value not in BASES:
        raise ValueError(f"{BASIS_ENV}={value!r}: expected one of {', '.join(BASES)}")
    return value


@lru_cache(maxsize=4)
def _scheme(path: str) -> ColourScheme:
    return ColourScheme.configured({"MINSHENG_SCHEDULE_COLOURS": path} if path else {})


def scheme() -> ColourScheme:
    return _scheme(os.environ.get("MINSHENG_SCHEDULE_COLOURS", "").strip())


def standings(engine: Engine, sql: Sql, projects: Sequence[Planned], on: dt.date, store: bool = False
              ) -> dict[int, Standing]:
    """The standing on ``on`` of each project that has a planned period (others are left out). With ``store``
    (a write transaction holding the projects' rows) the stopped intervals read are kept for the next read."""
    planned = [p for p in projects if p.planned_start is not None and p.planned_end is not None]
    by_measures = _measured_workflows(engine, {p.workflow_id for p in planned})
    reports = _latest_reports(sql, [p.project_id for p in planned if p.workflow_id not in by_measures])
    reports.update(measured_progress(sql, [p.project_id for p in planned if p.workflow_id in by_measures]))
    stopping = _stopping_states(engine, {p.workflow_id for p in planned})
    stops = stopped_intervals(sql, {p.project_id: stopping[p.workflow_id] for p in planned}, store)
    chosen, colours = basis(), scheme()
    result = {}
    known: dict[tuple, Decimal] = {}  # many projects share a plan: compute each (start, end, stops) once
    for p in planned:
        state = engine.workflows.get(p.workflow_id).definition.states[p.state]
        stopped = tuple(stops.get(p.project_id, ()))
        key = (p.planned_start, p.planned_end, stopped)
        if key not in known:
            known[key] = expected_progress(p.planned_start, p.planned_end, on,  # type: ignore[arg-type]
                                           basis=chosen, stopped=stopped, calendar=engine.calendar)
        expected = known[key]
        percent, reported_on = reports.get(p.project_id, (None, None))  # type: ignore[assignment]
        pace = assess(expected, None if percent is None else Decimal(percent), colours,
                      completed=getattr(state, "done", False))
        result[p.project_id] = Standing(pace, chosen, on, reported_on)
    return result


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _latest_reports(sql: Sql, ids: Sequence[int]) -> dict[int, tuple[int, dt.date]]:
    """project id → (percent, report date) of its latest report (by date, then as filed): one index probe per
    project, not every report."""
    latest: dict[int, tuple[int, dt.date]] = {}
    for chunk in _chunks(ids):
        marks = ", ".join("?" for _ in chunk)
        rows = sql.all(f"SELECT r.project_id, r.percent, r.reported_on FROM schedule_progress_report r WHERE "
                       f"r.project_id IN ({marks}) AND r.id = (SELECT l.id FROM schedule_progress_report l WHERE "
                       f"l.project_id = r.project_id ORDER BY l.reported_on DESC, l.id DESC LIMIT 1)", tuple(chunk))
        for project_id, percent, reported_on in rows:
            latest[project_id] = (int(percent), to_date(reported_on))
    return latest


def _measured_workflows(engine: Engine, workflow_ids: Iterable[int]) -> set[int]:
    """The workflows whose projects' progress is the share of measures done (``progress: measures``)."""
    return {wid for wid in workflow_ids if getattr(engine.workflows.get(wid).definition, "progress", "") == "measures"}


def measured_progress(sql: Sql, ids: Sequence[int]) -> dict[int, tuple[Decimal, dt.date | None]]:
    """project id → (weighted share of its measures done, in percent with two places; the latest done date) of
    each project with measures on its plan (``measures.done_share``)."""
    from plugins.schedule.measures import share

    plans: dict[int, list[tuple[Decimal, bool, dt.date | None]]] = {}
    for chunk in _chunks(ids):
        marks = ", ".join("?" for _ in chunk)
        for project_id, weight, done, done_on in sql.all(
                f"SELECT project_id, weight, done, done_on FROM schedule_measure WHERE project_id IN ({marks})"
                " AND removed_at IS NULL", tuple(chunk)):
            plans.setdefault(project_id, []).append((Decimal(str(weight)), bool(done),
                                                     None if done_on is None else to_date(done_on)))
    found = {}
    for project_id, plan in plans.items():
        percent = share(plan)
        if percent is not None:
            if percent == percent.to_integral_value():
                percent = percent.quantize(Decimal(1))  # shown like a report's whole percent: 50, not 50.00
            days = [on for _, done, on in plan if done and on is not None]
            found[project_id] = (percent, max(days) if days else None)
    return found


def _stopping_states(engine: Engine, workflow_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """workflow id → the states that stop its projects' clock."""
    return {wid: frozenset(s.name for s in engine.workflows.get(wid).definition.states.values()
                           if getattr(s, "stops_clock", False)) for wid in workflow_ids}
