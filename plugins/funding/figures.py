"""The funding figures officials report, for one project or rolled up over a region and year.

资金到位率 (funds in place) = received / planned, may exceed 100%; 拨付率 (disbursement) = paid / received.
Both are percentages with two places, ``None`` when the denominator is zero. Every figure of a scope — planned,
received, paid and rewarded, per source — comes from ONE aggregate query over all the scope's projects. The
totals and rates are of the construction funds: 管护经费 (upkeep after the hand-over, ``Source.MAINTENANCE``) is
listed by source only.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Sequence

from engine.dashboard.scope import UNGROUPED
from engine.storage.sql import Sql, by_project, marks
from plugins.funding.money import rate, yuan
from plugins.funding.sources import Source

# Every funding amount of the projects in scope, labelled by figure; the plan counts only its lines in force. Each
# part is read from the scope's projects outwards (by the funding tables' project index), so a town's figures cost
# what the town holds.
NO_SOURCE = "''"  # payments and rewards are not by source
PARTS = (("planned", "funding_plan", True, " AND f.superseded_at IS NULL"), ("received", "funding_receipt", True, ""),
         ("paid", "funding_payment", False, ""), ("rewarded", "funding_reward", False, ""))
AMOUNTS = " UNION ALL ".join(
    f"SELECT {{key}}, '{figure}', {'f.source' if by_source else NO_SOURCE}, SUM(f.amount_fen) FROM project p "
    f"CROSS JOIN {table} f WHERE f.project_id = p.id{extra} AND {{scope}} "
    f"GROUP BY {{key}}{', f.source' if by_source else ''}"
    for figure, table, by_source, extra in PARTS)


@dataclass(frozen=True)
class SourceFigures:
    """Planned and received amounts (yuan) of one funding source, and that source's funds-in-place rate."""

    source: Source
    planned: Decimal
    received: Decimal
    in_place_rate: Decimal | None


@dataclass(frozen=True)
class FundingFigures:
    """Totals (yuan) and rates of a project or a scope of projects; ``by_source`` lists every source."""

    planned: Decimal
    received: Decimal
    paid: Decimal
    rewarded: Decimal
    in_place_rate: Decimal | None  # 资金到位率, percent
    disbursement_rate: Decimal | None  # 拨付率, percent
    by_source: list[SourceFigures]


# The same amounts per project, for a page of projects.
PER_PROJECT = """SELECT f.project_id, f.figure, f.source, SUM(f.amount_fen) FROM (
    SELECT 'planned' AS figure, project_id, source, amount_fen FROM funding_plan WHERE superseded_at IS NULL
        AND project_id IN ({ids})
    UNION ALL SELECT 'received', project_id, source, amount_fen FROM funding_receipt WHERE project_id IN ({ids})
    UNION ALL SELECT 'paid', project_id, '', amount_fen FROM funding_payment WHERE project_id IN ({ids})
    UNION ALL SELECT 'rewarded', project_id, '', amount_fen FROM funding_reward WHERE project_id IN ({ids})
) f GROUP BY f.project_id, f.figure, f.source"""


def figures(sql: Sql, scope: str, params: Sequence[object]) -> FundingFigures:
    """The figures of the projects matching ``scope`` (a condition on ``project p``), in one query."""
    return grouped_figures(sql, UNGROUPED, scope, params).get(0) or _folded([])


def grouped_figures(sql: Sql, key: str, scope: str, params: Sequence[object]) -> dict[Any, FundingFigures]:
    """The figures of each group of the projects matching ``scope``, grouped by ``key`` (a SQL expression on
    ``project p``), in one query; groups without any funding record are left out."""
    rows: dict[Any, list[tuple[str, str, int]]] = defaultdict(list)
    for group, figure, source, fen in sql.all(AMOUNTS.format(key=key, scope=scope), [*params] * len(PARTS)):
        rows[group].append((figure, source, fen))
    return {group: _folded(found) for group, found in rows.items()}


def tallied_figures(sql: Sql, region_path: str, year: int | None) -> FundingFigures:
    """The figures of a region's whole subtree in ``year`` (every year when None), from the maintained
    ``funding_tally`` (a few rows per region, whatever the number of projects)."""
    from engine.storage.tally import read
    from plugins.funding.entities import TALLY

    return _folded((figure, source, fen) for _path, figure, source, _n, fen in read(sql, TALLY, [region_path], year))


def figures_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, FundingFigures]:
    """Each project's figures, in one query for all of them (the caller checked the reader may read them)."""
    rows = by_project(sql.all(PER_PROJECT.format(ids=marks(len(project_ids))), [*project_ids] * 4),
                      lambda row: row[1:])
    return {project_id: _folded(rows.get(project_id, ())) for project_id in project_ids}


def _folded(amounts: Iterable[Sequence]) -> FundingFigures:
    """Figures from (figure, source, fen) sums."""
    totals: dict[str, int] = defaultdict(int)
    by_source: dict[tuple[str, str], int] = defaultdict(int)
    for figure, source, fen in amounts:
        fen = int(fen or 0)
        if source != Source.MAINTENANCE.value:
            totals[figure] += fen
        by_source[(figure, source)] += fen
    sources = [SourceFigures(s, yuan(by_source[("planned", s.value)]), yuan(by_source[("received", s.value)]),
                             rate(by_source[("received", s.value)], by_source[("planned", s.value)]))
               for s in Source]
    return FundingFigures(yuan(totals["planned"]), yuan(totals["received"]), yuan(totals["paid"]),
                          yuan(totals["rewarded"]), rate(totals["received"], totals["planned"]),
                          rate(totals["paid"], totals["received"]), sources)


def project_figures(sql: Sql, project_id: int) -> FundingFigures:
    """One project's figures (the caller checked the reader may read the project)."""
    return figures_of(sql, [project_id])[project_id]


def planned_and_received_fen(sql: Sql, project_ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """(planned fen, received fen, number of plan lines in force) of each project's construction funds (管护经费
    left out), for the guards: two queries for any number of projects."""
    listed, ids = marks(len(project_ids)), list(project_ids)
    plans = {r[0]: (int(r[1]), int(r[2])) for r in sql.all(
        "SELECT project_id, COALESCE(SUM(amount_fen), 0), COUNT(*) FROM funding_plan"
        f" WHERE project_id IN ({listed}) AND superseded_at IS NULL AND source <> ? GROUP BY project_id",
        (*ids, Source.MAINTENANCE.value))}
    received = {r[0]: int(r[1]) for r in sql.all(
        "SELECT project_id, COALESCE(SUM(amount_fen), 0) FROM funding_receipt"
        f" WHERE project_id IN ({listed}) AND source <> ? GROUP BY project_id", (*ids, Source.MAINTENANCE.value))}
    return {pid: (plans.get(pid, (0, 0))[0], received.get(pid, 0), plans.get(pid, (0, 0))[1]) for pid in ids}