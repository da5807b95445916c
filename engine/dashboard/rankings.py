"""Rankings and the 红黑榜: the units and child regions of a region ranked, and put on lists, by the rules of
``engine.dashboard.rules`` — each entry with the reason in figures (平均实际进度 62.00% ≥ 平均序时进度 58.33%).

Entries are the lead units with planned projects in the scope and the child regions with planned projects (the
region's own projects rank under their units, not as a region). Each entry's figures are the core counts and every
plugin's figures for its group: two grouped aggregate queries per figure group (by unit, by child region).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.dashboard.board import NO_UNIT, plugin_figures, unit_names
from engine.dashboard.counts import Counts, count
from engine.dashboard.figures import Figure, FigureSet, by_key, lookup
from engine.dashboard.rules import OPERATORS, Condition, ListRule, Rules, describe, unknown_figures
from engine.dashboard.rules import configured as rules_configured
from engine.dashboard.scope import LEAD_UNIT, FigureScope, child_region_key, figure_scope
from engine.directory.regions import RegionView
from engine.errors import DefinitionProblem
from engine.workflow.scopes import Reach

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.sql import Sql

log = logging.getLogger("minsheng.dashboard")
COMPARE = {"above": lambda a, b: a > b, "at_least": lambda a, b: a >= b, "below": lambda a, b: a < b,
           "at_most": lambda a, b: a <= b, "equals": lambda a, b: a == b}


@dataclass(frozen=True)
class Entry:
    kind: str  # unit | region
    id: int | None
    name: str
    figures: tuple[FigureSet, ...]
    rank: int = 0
    list_name: str | None = None
    list_label: str | None = None
    reason: str = ""

    def figure(self, qualified: str) -> Figure | None:
        return lookup(self.figures, qualified)


@dataclass(frozen=True)
class Standings:
    region: RegionView
    year: int
    month: int
    on: dt.date
    units: list[Entry]
    regions: list[Entry]
    lists: list[tuple[ListRule, list[Entry]]]


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def as_of(year: int, month: int, today: dt.date) -> dt.date:
    """The day a month's figures are as of: its last day, or today while the month is not over."""
    return min(month_end(year, month), today)


def standings(engine: Engine, sql: Sql, reader: Reach, region: RegionView, year: int, month: int,
              rules: Rules) -> Standings:
    """The ranked units and regions of ``region`` in ``year`` as of the end of ``month`` (or today)."""
    on = as_of(year, month, engine.clock.today())
    scope = figure_scope(engine, reader, region, on, year)
    units = _entries(engine, sql, scope.grouped(LEAD_UNIT), "unit", _unit_names(sql))
    regions = _entries(engine, sql, scope.grouped(child_region_key(sql, region)), "region", _children(sql, region))
    units, regions = _ranked(_placed(units, rules), rules), _ranked(_placed(regions, rules), rules)
    lists = [(rule, [e for e in [*units, *regions] if e.list_name == rule.name]) for rule in rules.lists]
    return Standings(region, year, month, on, units, regions, lists)


def check_rules(engine: Engine) -> list[DefinitionProblem]:
    """Read the deployment's rules (``InvalidDefinition`` with file and line when the file is malformed) and
    return the figures they name that no loaded plugin gives here, each with its line — logged as warnings at
    start-up: a condition on such a figure never holds (a ladder without 挂牌督办 has no ``at_least_escalate``)."""
    from pony import orm

    from engine.storage.sql import Sql as PlainSql

    found = rules_configured()
    with orm.db_session:
        empty = empty_sets(engine, PlainSql(engine.db), FigureScope("1 = 0", (), engine.clock.today()))
    problems = unknown_figures(found, _known(engine, list(empty.values())))
    for problem in problems:
        log.warning("ranking rules: %s", problem)
    return problems


def _unit_names(sql: Sql) -> Any:
    def names(keys: list[Any]) -> dict[Any, tuple[int | None, str]]:
        known = unit_names(sql, [k for k in keys if k is not None])
        return {k: (None, NO_UNIT) if k is None else (int(k), known.get(int(k), str(k))) for k in keys}
    return names


def _children(sql: Sql, region: RegionView) -> Any:
    def names(keys: list[Any]) -> dict[Any, tuple[int | None, str]]:
        rows = sql.all("SELECT id, name, path FROM region WHERE parent_id = ?", (region.id,))
        return {path: (child_id, name) for child_id, name, path in rows if path in keys}
    return names


def _entries(engine: Engine, sql: Sql, scope: FigureScope, kind: str, names: Any) -> list[Entry]:
    """An entry per group with planned projects, with its core and plugin figure sets. A plugin that gave no set
    for a group has no records there: the group gets the plugin's figures over no projects (counts 0, no rates)."""
    counts = {k: c for k, c in count(engine, sql, scope).items() if c.planned}
    named = names(list(counts))
    sets = by_key(plugin_figures(engine, sql, scope))
    empty = empty_sets(engine, sql, scope)
    entries = []
    for k in (k for k in counts if k in named):
        given = {s.plugin: s for s in sets.get(k, ())}
        found = [given.get(plugin) or replace(template, key=k) for plugin, template in empty.items()]
        entries.append(Entry(kind, *named[k], (counts[k].figure_set(k), *found)))
    return entries


def empty_sets(engine: Engine, sql: Sql, scope: FigureScope) -> dict[str, FigureSet]:
    """Each plugin's figures over no projects (for this reader), by plugin: what a group without records shows."""
    # not a whole region any more: no plugin may answer from its maintained aggregates
    nothing = replace(scope, where="1 = 0", params=(), group=None, detail=False, tally_path=None)
    return {s.plugin: s for s in plugin_figures(engine, sql, nothing)}


def _known(engine: Engine, empty: list[FigureSet]) -> dict[str, set[str]]:
    """Figure names by plugin: the core's, and each plugin's over no projects (a loaded plugin that gives the
    reader nothing maps to an empty set)."""
    known: dict[str, set[str]] = {"core": {f.name for f in Counts().figure_set().figures}}
    for name, _ in engine.plugins.list_name_plugin():
        known.setdefault(name.rsplit(".", 1)[-1], set())
    for figure_set in empty:
        known.setdefault(figure_set.plugin, set()).update(f.name for f in figure_set.figures)
    return known


def _placed(entries: list[Entry], rules: Rules) -> list[Entry]:
    placed = []
    for entry in entries:
        for rule in rules.lists:
            reasons = _reasons(entry, rule)
            if reasons is not None:
                entry = Entry(**{**entry.__dict__, "list_name": rule.name, "list_label": rule.label,
                                 "reason": "；".join(reasons)})
                break
        placed.append(entry)
    return placed


def _reasons(entry: Entry, rule: ListRule) -> list[str] | None:
    """The reasons ``entry`` goes on ``rule``'s list (the conditions that hold), or None when it does not."""
    held = [(c, text) for c in rule.conditions if (text := _holds(entry, c)) is not None]
    if rule.match == "any":
        return [text for _, text in held] or None
    return [text for _, text in held] if len(held) == len(rule.conditions) else None


def _holds(entry: Entry, condition: Condition) -> str | None:
    """The condition in figures when it holds for ``entry`` (平均滞后 35.20个百分点 > 30), else None."""
    figure = entry.figure(condition.figure)
    if figure is None or not isinstance(figure.value, (int, Decimal)):
        return None
    if isinstance(condition.operand, str):
        other = entry.figure(condition.operand)
        if other is None or not isinstance(other.value, (int, Decimal)):
            return None
        bound, shown = other.value, f"{other.label} {describe(other.value, other.unit)}"
    else:
        bound, shown = condition.operand, str(condition.operand)
    if not COMPARE[condition.operator](Decimal(figure.value), Decimal(bound)):
        return None
    return f"{figure.label} {describe(figure.value, figure.unit)} {OPERATORS[condition.operator]} {shown}"


def _ranked(entries: list[Entry], rules: Rules) -> list[Entry]:
    """Entries sorted by the rules' keys (missing values last), then by name; ranks from 1."""
    def key(entry: Entry) -> tuple:
        parts: list[Any] = []
        for rank_key in rules.rank_by:
            figure = entry.figure(rank_key.figure)
            value = figure.value if figure is not None and isinstance(figure.value, (int, Decimal)) else None
            parts.append((value is None, -Decimal(value) if value is not None and rank_key.descending
                          else (Decimal(value) if value is not None else 0)))
        return (*parts, entry.name)
    return [Entry(**{**e.__dict__, "rank": i}) for i, e in enumerate(sorted(entries, key=key), start=1)]
