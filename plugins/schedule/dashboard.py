"""The schedule's dashboard figures (序时进度) over a scope of projects, per group when asked.

Counted are the projects with a planned period that are under way or done (a done project's progress is 100):
mean 序时进度 (expected), mean 实际进度 (actual), their difference (lag, points; positive = behind), the projects
behind (慢序时), the largest lag, and the projects by flag colour. For today, while the maintained table is current,
one aggregate query over ``schedule_standing`` answers (for a whole region and year, ``FigureScope.maintained``,
the rows of the maintained ``schedule_tally`` and one index lookup for the largest lag); for another day (a past
month's bulletin) each project's pace is computed by ``standing.standings``, as ``laggingProjects(on:)`` does.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from engine.dashboard.figures import CENT, Column, Figure, FigureSet, FigureTable, TableRow
from engine.dashboard.scope import FigureScope
from engine.directory.regions import subtree_bounds
from engine.storage.sql import Sql, to_date
from engine.storage.tally import read
from plugins.schedule import maintained
from plugins.schedule.entities import STANDINGS_TALLY
from plugins.schedule.standing import Planned, scheme, standings

if TYPE_CHECKING:
    from engine.core import Engine

TABLE = ("SELECT {key}, s.under_way, s.colour, s.colour_label, COUNT(*), SUM(s.expected_cents), "
         "SUM(CASE WHEN s.under_way = ? THEN COALESCE(s.reported_cents, 0) ELSE 10000 END), "
         "SUM(CASE WHEN s.under_way = ? AND s.status = 'behind' THEN 1 ELSE 0 END), "
         "MAX(CASE WHEN s.under_way = ? THEN s.lag_cents END) "
         "FROM project p CROSS JOIN schedule_standing s WHERE s.project_id = p.id AND {where} AND {counted} "
         "GROUP BY {key}, s.under_way, s.colour, s.colour_label")


@dataclass
class Tally:
    """Sums over the counted projects of one group (hundredths of a point)."""

    tracked: int = 0
    expected: int = 0
    actual: int = 0
    behind: int = 0
    max_lag: int | None = None
    colours: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, colour: tuple[str, str], n: int, expected: int, actual: int, behind: int,
            lag: int | None) -> None:
        self.tracked, self.expected, self.actual, self.behind = (self.tracked + n, self.expected + expected,
                                                                 self.actual + actual, self.behind + behind)
        if lag is not None:
            self.max_lag = lag if self.max_lag is None else max(self.max_lag, lag)
        self.colours[colour] = self.colours.get(colour, 0) + n

    def mean(self, total: int) -> Decimal | None:
        """A sum of hundredths of a point as the mean over the tracked projects (None without any)."""
        return (Decimal(total) / 100 / self.tracked).quantize(CENT) if self.tracked else None

    def figure_set(self, key: Any) -> FigureSet:
        expected, actual = self.mean(self.expected), self.mean(self.actual)
        lag = None if expected is None or actual is None else expected - actual
        return FigureSet("schedule", "序时进度", (
            Figure("tracked", "纳入序时考核项目", self.tracked, "项"),
            Figure("expected", "平均序时进度", expected, "%"), Figure("actual", "平均实际进度", actual, "%"),
            Figure("lag", "平均滞后", lag, "个百分点"), Figure("lagging", "慢序时项目", self.behind, "项"),
            Figure("max_lag", "最大滞后", None if self.max_lag is None else (Decimal(self.max_lag) / 100)
                   .quantize(CENT), "个百分点")),
            (self._colour_table(),), key)

    def _colour_table(self) -> FigureTable:
        shown = {c.name: c.label for c in scheme().colours.values()} if scheme().colours else {}
        for (name, label) in self.colours:
            shown.setdefault(name, label)
        counts = {name: n for (name, _), n in self.colours.items()}
        return FigureTable("colours", "进度颜色", (Column("projects", "项目数", "项"),),
                           tuple(TableRow(name, label, (counts.get(name, 0),)) for name, label in shown.items()))


def figures(engine: Engine, sql: Sql, scope: FigureScope) -> list[FigureSet]:
    """One set per group of ``scope`` (a single set, key None, when it is not grouped)."""
    today = engine.clock.today()
    if scope.on == today and maintained.current(sql, today):
        tallies = _from_tally(engine, sql, scope) if scope.maintained else _from_table(engine, sql, scope)
    else:
        tallies = _computed(engine, sql, scope)
    if scope.group is None:
        return [tallies.get(0, Tally()).figure_set(None)]
    return [tally.figure_set(key) for key, tally in tallies.items()]


def _done_pairs(engine: Engine) -> list[tuple[int, str]]:
    return sorted((wid, s.name) for wid, w in engine.workflows.by_id.items()
                  for s in w.definition.states.values() if s.done)


def _from_table(engine: Engine, sql: Sql, scope: FigureScope) -> dict[Any, Tally]:
    done = _done_pairs(engine)
    counted = "(s.under_way = ?" + "".join(" OR (s.workflow_id = ? AND s.state = ?)" for _ in done) + ")"
    statement = TABLE.format(key=scope.key, where=scope.where, counted=counted)
    tallies: dict[Any, Tally] = defaultdict(Tally)
    for key, _, colour, label, n, expected, actual, behind, lag in sql.all(
            statement, (True, True, True, *scope.params, True, *(v for pair in done for v in pair))):
        tallies[key].add((colour, label), int(n), int(expected or 0), int(actual or 0), int(behind or 0),
                         None if lag is None else int(lag))
    return tallies


# the largest lag of the projects under way in a region's subtree (and year): walked from the top of the lag index
# when the region holds many standings (the first few entries are in it), from the region's own index entries
# when it holds few
LARGEST_LAG = ("SELECT s.lag_cents FROM schedule_standing s{hint} WHERE s.under_way = ? AND s.region_path >= ?"
               " AND s.region_path < ? AND s.year = ? ORDER BY s.lag_cents DESC LIMIT 1")


def _from_tally(engine: Engine, sql: Sql, scope: FigureScope) -> dict[Any, Tally]:
    done = set(_done_pairs(engine))
    tally = Tally()
    under_way = 0
    for _path, workflow_id, state, going, status, colour, label, n, expected, reported in read(
            sql, STANDINGS_TALLY, [scope.tally_path], scope.year):
        n, going = int(n), bool(going)
        if not going and (workflow_id, state) not in done:
            continue
        under_way += n if going else 0
        tally.add((colour, label), n, int(expected), int(reported) if going else 10000 * n,
                  n if going and status == "behind" else 0, None)
    if under_way:
        lag = sql.scalar(LARGEST_LAG.format(hint=maintained.index_hint(sql, under_way)), (True, *subtree_bounds(scope.tally_path), scope.year))
        tally.max_lag = None if lag is None else int(lag)
    return {0: tally}


def _computed(engine: Engine, sql: Sql, scope: FigureScope) -> dict[Any, Tally]:
    rows = sql.all(f"SELECT {scope.key}, p.id, p.workflow_id, p.state, p.planned_start, p.planned_end FROM project p "
                   f"WHERE {scope.where} AND p.planned_start IS NOT NULL AND p.planned_end IS NOT NULL", scope.params)
    under_way, done = maintained.under_way_states(engine), set(_done_pairs(engine))
    counted = [r for r in rows if (r[2], r[3]) in under_way or (r[2], r[3]) in done]
    found = standings(engine, sql, [Planned(r[1], r[2], r[3], to_date(r[4]), to_date(r[5])) for r in counted],
                      scope.on)
    tallies: dict[Any, Tally] = defaultdict(Tally)
    for key, pid, workflow_id, state, _, _ in counted:
        pace = found[pid].pace
        going = (workflow_id, state) in under_way
        lag = _cents(pace.lag)
        tallies[key].add((pace.colour, pace.colour_label), 1, _cents(pace.expected),
                         _cents(pace.reported or Decimal(0)) if going else 10000,
                         int(going and pace.status == "behind"), lag if going else None)
    return tallies


def _cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())
