"""The inspection plugin's dashboard figures: rectifications (整改) open and overdue on the scope's day — opened by
then and not verified by then, overdue when their deadline had passed — in one aggregate query; with ``detail``
(the monthly bulletin) also the list of overdue rectifications, most overdue first. Rectifications are not
published: the public gets none of this."""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from engine.dashboard.figures import Column, Figure, FigureSet, FigureTable, TableRow
from engine.dashboard.scope import FigureScope
from engine.storage.sql import Sql, to_date
from engine.storage.tally import read
from plugins.inspection.entities import TALLY
from plugins.inspection.vocabulary import VERIFIED

if TYPE_CHECKING:
    from engine.core import Engine

OPEN_ON = ("r.opened_at < ? AND (r.status <> ? OR r.verified_at >= ?)")
COUNTS = ("SELECT {key}, COUNT(*), SUM(CASE WHEN r.deadline < ? THEN 1 ELSE 0 END) FROM project p "
          "CROSS JOIN inspection_rectification r "
          "WHERE r.project_id = p.id AND {where} AND " + OPEN_ON + " GROUP BY {key}")
OVERDUE = ("SELECT p.code, p.title, r.description, u.name, r.deadline FROM project p "
           "CROSS JOIN inspection_rectification r LEFT JOIN unit u ON u.id = r.unit_id "
           "WHERE r.project_id = p.id AND {where} AND r.deadline < ? AND " + OPEN_ON + " ORDER BY r.deadline, r.id")
OVERDUE_COLUMNS = (Column("title", "项目名称"), Column("description", "整改事项"), Column("unit", "责任单位"),
                   Column("deadline", "整改期限"), Column("days", "逾期天数", "天"))


def figures(engine: Engine, sql: Sql, scope: FigureScope) -> list[FigureSet] | None:
    """One set per group with open rectifications (or one for the scope); None for the public."""
    if scope.redacted:
        return None
    end = dt.datetime.combine(scope.on + dt.timedelta(days=1), dt.time())  # the end of the day ``on``
    if scope.maintained and scope.on == engine.clock.today():
        # not verified now = open today (rectifications are opened and verified at the clock's now)
        tallied = [(to_date(deadline), int(n)) for _, deadline, n in read(sql, TALLY, [scope.tally_path], scope.year)]
        rows = {0: (sum(n for _, n in tallied), sum(n for deadline, n in tallied if deadline < scope.on))}
    else:
        rows = {r[0]: (int(r[1]), int(r[2] or 0)) for r in sql.all(
            COUNTS.format(key=scope.key, where=scope.where), (scope.on, *scope.params, end, VERIFIED, end))}
    tables = (_overdue(sql, scope, end),) if scope.detail else ()
    if scope.group is None:
        return [_figure_set(*rows.get(0, (0, 0)), tables, None)]
    return [_figure_set(*found, (), key) for key, found in rows.items()]


def _figure_set(open_count: int, overdue: int, tables: tuple[FigureTable, ...], key: Any) -> FigureSet:
    return FigureSet("inspection", "整改", (Figure("open_rectifications", "未销号整改", open_count, "项"),
                                           Figure("overdue_rectifications", "逾期未整改", overdue, "项")), tables, key)


def _overdue(sql: Sql, scope: FigureScope, end: dt.datetime) -> FigureTable:
    rows = sql.all(OVERDUE.format(where=scope.where), (*scope.params, scope.on, end, VERIFIED, end))
    return FigureTable("overdue_rectifications", "逾期整改", OVERDUE_COLUMNS, tuple(
        TableRow(code, code, (title, description, unit or "", to_date(deadline).isoformat(),
                              (scope.on - to_date(deadline)).days)) for code, title, description, unit, deadline in rows),
        sheet=True, key_label="项目编号")
