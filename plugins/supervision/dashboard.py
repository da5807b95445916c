"""The supervision plugin's dashboard figures: notices (督办单) open on the scope's day — issued by then and not
closed (办结) by then — in all, by step, and at each step or above in the ladder order of the workflow files
(``at_least_escalate``: 挂牌督办 and 约谈 in the default ladder, what the default 黑榜 rule names); with ``detail``
(the monthly bulletin) also the list of open notices. Notices are never shown to the public.

For today over a whole region and year (``FigureScope.maintained``) the counts come from the maintained
``supervision_tally`` (open notices per region, step and day of issue); otherwise from the notices themselves."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from engine.dashboard.figures import Column, Figure, FigureSet, FigureTable, TableRow
from engine.dashboard.scope import FigureScope
from engine.storage.sql import Sql, to_date
from engine.storage.tally import read
from plugins.supervision.tables import TALLY

if TYPE_CHECKING:
    from engine.core import Engine

OPEN_ON = "n.issued_on <= ? AND (n.closed_at IS NULL OR n.closed_at >= ?)"
COUNTS = ("SELECT {key}, n.step, COUNT(*) FROM project p CROSS JOIN supervision_notice n "
          "WHERE n.project_id = p.id AND {where} AND " + OPEN_ON + " GROUP BY {key}, n.step")
LISTED = ("SELECT p.code, p.title, n.step_label, u.name, n.due_on, n.issued_on, n.status FROM project p "
          "CROSS JOIN supervision_notice n "
          "LEFT JOIN unit u ON u.id = n.unit_id WHERE n.project_id = p.id AND {where} AND "
          + OPEN_ON + " ORDER BY n.issued_on, n.id")
LISTED_COLUMNS = (Column("title", "项目名称"), Column("step", "督办等级"), Column("unit", "责任单位"),
                  Column("due_on", "期限"), Column("issued_on", "下发日期"), Column("status", "办理状态"))
STATUS_LABELS = {"issued": "已下发", "acknowledged": "已签收", "answered": "已反馈", "closed": "已办结"}


def ladder_steps(engine: Engine) -> dict[str, str]:
    """Every step of the loaded workflows' ladders, lowest first (in the order they first appear), with the label
    of its first appearance."""
    steps: dict[str, str] = {}
    for loaded in engine.workflows.by_id.values():
        definition = loaded.definition
        ladders = [definition.supervision.ladder, definition.supervision.rectifications,
                   *(s.ladder for s in definition.states.values())]
        for step in (step for ladder in ladders for step in ladder):
            steps.setdefault(step.step, step.label or step.step)
    return steps


def figures(engine: Engine, sql: Sql, scope: FigureScope) -> list[FigureSet] | None:
    """One set per group with open notices (or one for the scope); None for the public."""
    if scope.redacted:
        return None
    end = dt.datetime.combine(scope.on + dt.timedelta(days=1), dt.time())
    found: dict[Any, dict[str, int]] = defaultdict(dict)
    if scope.maintained and scope.on == engine.clock.today():
        # not closed now = open today (a notice is closed at the clock's now); issued by today: its day of issue
        for _path, step, issued_on, n in read(sql, TALLY, [scope.tally_path], scope.year):
            if to_date(issued_on) <= scope.on:
                found[0][step] = found[0].get(step, 0) + int(n)
    else:
        for key, step, n in sql.all(COUNTS.format(key=scope.key, where=scope.where), (*scope.params, scope.on, end)):
            found[key][step] = int(n)
    steps = ladder_steps(engine)
    if scope.group is None:
        tables = (_listed(sql, scope, end),) if scope.detail else ()
        return [_figure_set(steps, found.get(0, {}), tables, None)]
    return [_figure_set(steps, by_step, (), key) for key, by_step in found.items()]


def _figure_set(steps: dict[str, str], by_step: dict[str, int], tables: tuple[FigureTable, ...],
                key: Any) -> FigureSet:
    names = list(steps)
    cumulative = [Figure(f"at_least_{step}", f"{label}及以上督办单", sum(
        n for s, n in by_step.items() if s in steps and names.index(s) >= names.index(step)), "件")
        for step, label in steps.items()]
    table = FigureTable("by_step", "督办等级", (Column("notices", "督办单", "件"),),
                        tuple(TableRow(step, label, (by_step.get(step, 0),)) for step, label in steps.items()))
    return FigureSet("supervision", "督办", (Figure("open_notices", "未办结督办单", sum(by_step.values()), "件"),
                                            *cumulative), (table, *tables), key)


def _listed(sql: Sql, scope: FigureScope, end: dt.datetime) -> FigureTable:
    rows = sql.all(LISTED.format(where=scope.where), (*scope.params, scope.on, end))
    return FigureTable("open_notices", "未办结督办单", LISTED_COLUMNS, tuple(
        TableRow(code, code, (title, step, unit or "", to_date(due).isoformat(), to_date(issued).isoformat(),
                              STATUS_LABELS.get(status, status)))
        for code, title, step, unit, due, issued, status in rows), sheet=True,
        key_label="项目编号")
