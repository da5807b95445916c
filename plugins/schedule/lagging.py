"""``laggingProjects``: projects under way whose lag is at least minLag, most behind first, a keyset page at a time.

For today (``on`` omitted) while the maintained table is current (``maintained.current``), one query on
``schedule_standing`` walks its (under way, lag, project) index in order; otherwise every candidate's pace is
computed by ``standing.standings``. Both give the same rows in the same order with the same cursors (the lag in
hundredths of a point and the project id of the last edge), so a client paging across a tick loses nothing.
"""
from __future__ import annotations

import base64
import datetime as dt
import math
from decimal import Decimal
from typing import Any

import strawberry

from engine.directory.access import public_states_sql, reach, read_scope_sql
from engine.api.access import readable_region
from engine.api.context import RequestContext
from engine.api.ids import from_global_id, to_global_id
from engine.api.queries import PageInfo
from engine.errors import FieldProblem, InvalidInput
from engine.texts import shown
from engine.storage.sql import to_date
from plugins.schedule import maintained
from plugins.schedule.graphql_pace import (LaggingProject, LaggingProjectConnection, LaggingProjectEdge, PaceStatus,
                                           ScheduleProgress)
from plugins.schedule.pace import CENT, STATUS_LABELS
from plugins.schedule.standing import Planned, standings

MAX_PAGE = 100
CURSOR = "lagging"
Key = tuple[int, int]  # (lag in hundredths of a point, project id)
NAMES = "p.code, p.title, r.name, u.name"
JOINS = " JOIN region r ON r.id = p.region_id LEFT JOIN unit u ON u.id = p.lead_unit_id"


def lagging(ctx: RequestContext, region: str | None, year: int | None, min_lag: Decimal, on: dt.date | None,
            first: int, after: str | None) -> LaggingProjectConnection:
    """One page of lagging projects the actor may see; refused (naming the argument) for a bad first, minLag,
    region or cursor."""
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput([FieldProblem(["first"], f"first must be between 1 and {MAX_PAGE}, got {first}")])
    if not min_lag.is_finite():
        raise InvalidInput([FieldProblem(["minLag"], f"minLag must be a number of points, got {min_lag}")])
    key = _after(after)
    floor = math.ceil(min_lag * 100)
    path = None
    if region is not None:
        path = readable_region(ctx.engine, ctx.sql, ctx.actor, from_global_id(region, "Region", ["region"])).path
    today = ctx.engine.clock.today()
    if on is None and maintained.current(ctx.sql, today):
        return _from_table(ctx, path, year, floor, key, first, today)
    conditions, params = read_scope_sql(ctx.engine, ctx.actor, "p")
    if path is not None:
        conditions.append("p.region_path >= ? AND p.region_path < ?")
        params.extend(_subtree(path))
    if year is not None:
        conditions.append("p.year = ?")
        params.append(year)
    return _computed(ctx, conditions, params, floor, key, first, on or today)


def _subtree(path: str) -> list[str]:
    """Bounds of the region paths starting with ``path`` ('0' follows '/'): a range any index can serve."""
    return [path, path[:-1] + "0"]


def _table_scope(ctx: RequestContext, path: str | None, year: int | None) -> tuple[list[str], list[Any], str]:
    """Conditions on the standing ``s`` for what the actor reaches (and the region and year asked for), and the
    join to the project a unit-bound or a resident's scope needs. Counting an office's or the public's projects
    reads the standing's region index alone."""
    scope = reach(ctx.engine, ctx.actor)
    ranges = [p for p in (scope.region_path, path) if p is not None]
    if len(ranges) == 2 and ranges[1].startswith(ranges[0]):
        ranges = ranges[1:]
    conditions = ["s.region_path >= ? AND s.region_path < ?" for _ in ranges]
    params: list[Any] = [bound for p in ranges for bound in _subtree(p)]
    if year is not None:
        conditions.append("s.year = ?")
        params.append(year)
    if scope.unit_bound or scope.creator_id is not None:
        more, more_params = read_scope_sql(ctx.engine, ctx.actor, "p")
        return [*conditions, *more], [*params, *more_params], " JOIN project p ON p.id = s.project_id"
    if scope.published_only:
        published, published_params = public_states_sql(ctx.engine, "s")
        conditions.append(published)
        params.extend(published_params)
    return conditions, params, ""


def _from_table(ctx: RequestContext, path: str | None, year: int | None, floor: int, key: Key | None,
                first: int, today: dt.date) -> LaggingProjectConnection:
    conditions, params, join = _table_scope(ctx, path, year)
    where = " AND ".join(["s.under_way = ?", "s.lag_cents >= ?", *conditions])
    base = [True, floor, *params]
    ranged = ctx.sql.sqlite and "s.region_path" in where  # SQLite has no statistics: say which index serves
    count_hint = " INDEXED BY idx_schedule_standing_region" if ranged else ""
    counted = f"SELECT COUNT(*) FROM schedule_standing s{count_hint}{join} WHERE {where}"
    if not ctx.sql.sqlite and not join:
        # PostgreSQL counted a province's 63,000 of 100,000 standings with a sequential scan of every row
        # (65–176 ms, each row's region path compared); ordered as its (under way, lag) index is, the same count
        # is an index-only scan of the matching entries (13–52 ms on a loaded machine)
        counted = (f"SELECT COUNT(*) FROM (SELECT s.lag_cents FROM schedule_standing s WHERE {where} "
                   "ORDER BY s.under_way, s.lag_cents DESC) c")
    total = int(ctx.sql.scalar(counted, base) or 0)
    page_where, page_params = where, list(base)
    if key is not None:
        page_where += " AND (s.lag_cents < ? OR (s.lag_cents = ? AND s.project_id > ?))"
        page_params.extend([key[0], key[0], key[1]])
    # few rows in a small region: read them by region and sort; many: walk the lag index until the page is full
    hint = maintained.index_hint(ctx.sql, total) if ranged else ""
    columns = "s.project_id, s.lag_cents, s.expected_cents, s.reported_cents, s.reported_on, s.status, s.colour, " \
              "s.colour_label"
    order = "ORDER BY s.lag_cents DESC, s.project_id"
    if join:  # the reader's scope needs the project's columns: filter on the join
        query = (f"SELECT {columns}, {NAMES} FROM schedule_standing s{hint} JOIN project p ON p.id = s.project_id"
                 f"{JOINS} WHERE {page_where} {order} LIMIT ?")
    else:  # the page from the standings alone, then its names: no join order for the planner to misjudge
        query = (f"SELECT {columns}, {NAMES} FROM (SELECT {columns.replace('s.', '')} FROM schedule_standing s{hint} "
                 f"WHERE {page_where} {order} LIMIT ?) s JOIN project p ON p.id = s.project_id{JOINS} {order}")
    rows = ctx.sql.all(query, [*page_params, first + 1])
    basis = maintained.settings_key()[0]
    found = [((r[1], r[0]), r[8:], _progress(r, today, basis)) for r in rows[:first]]
    return _connection(found, len(rows) > first, total)


def _progress(r: tuple, today: dt.date, basis: str) -> ScheduleProgress:
    return ScheduleProgress(on=today, basis=basis, expected=_points(r[2]),
                            reported=None if r[3] is None else _reported(r[3]),
                            reported_on=None if r[4] is None else to_date(r[4]), lag=_points(r[1]),
                            status=PaceStatus(r[5]), status_label=STATUS_LABELS[r[5]], colour=r[6],
                            colour_label=r[7])


def _computed(ctx: RequestContext, conditions: list[str], params: list[Any], floor: int, key: Key | None,
              first: int, on: dt.date) -> LaggingProjectConnection:
    states = sorted(maintained.under_way_states(ctx.engine))
    conditions = [*conditions,
                  "(" + (" OR ".join("(p.workflow_id = ? AND p.state = ?)" for _ in states) or "1 = 0") + ")"]
    params = [*params, *(v for pair in states for v in pair)]
    rows = ctx.sql.all(f"SELECT p.id, p.workflow_id, p.state, p.planned_start, p.planned_end, {NAMES} FROM project p"
                       f"{JOINS} WHERE p.planned_start IS NOT NULL AND p.planned_end IS NOT NULL AND "
                       + " AND ".join(conditions) + " ORDER BY p.id", params)
    found = standings(ctx.engine, ctx.sql, [Planned(r[0], r[1], r[2], to_date(r[3]), to_date(r[4])) for r in rows], on)
    behind = sorted((((_cents(found[r[0]].pace.lag), r[0]), r[5:], ScheduleProgress.of(found[r[0]])) for r in rows
                     if _cents(found[r[0]].pace.lag) >= floor), key=lambda f: (-f[0][0], f[0][1]))
    start = 0 if key is None else next((i for i, f in enumerate(behind) if (-f[0][0], f[0][1]) > (-key[0], key[1])),
                                       len(behind))
    return _connection(behind[start:start + first], start + first < len(behind), len(behind))


def _connection(found: list[tuple[Key, Any, ScheduleProgress]], more: bool, total: int) -> LaggingProjectConnection:
    edges = [LaggingProjectEdge(cursor=_cursor(k), node=LaggingProject(
        project_id=strawberry.ID(to_global_id("Project", k[1])), code=names[0], title=names[1],
        region_name=names[2], lead_unit_name=names[3], progress=progress)) for k, names, progress in found]
    return LaggingProjectConnection(edges=edges, page_info=PageInfo(
        has_next_page=more, end_cursor=edges[-1].cursor if edges else None), total_count=total)


def _cursor(key: Key) -> str:
    return base64.b64encode(f"{CURSOR}:{key[0]}:{key[1]}".encode()).decode()


def _after(after: str | None) -> Key | None:
    if after is None:
        return None
    try:
        kind, lag, pid = base64.b64decode(after.encode(), validate=True).decode().split(":")
        if kind == CURSOR and len(lag) < 10 and len(pid) < 12:
            return int(lag), int(pid)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidInput([FieldProblem(["after"], f"'{shown(after)}' is not a cursor from this API")])


def _reported(cents: Any) -> Decimal:
    """A stored reported progress: a report's whole percent as it was reported (``30``), a share of measures done
    with its places (``33.33``)."""
    value = Decimal(int(cents)) / 100
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.quantize(CENT)


def _points(cents: Any) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())

