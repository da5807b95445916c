"""The funding plugin's dashboard figures: planned, received and paid construction funds (元), 资金到位率 and
拨付率, and a table of the funds by source — from the maintained ``funding_tally`` when the scope is a whole region
and year, else from the one aggregate query of ``figures.grouped_figures``. The public
sees them too (funds are published); payees and document numbers are never part of them."""
from __future__ import annotations

from typing import Any

from engine.dashboard.figures import Column, Figure, FigureSet, FigureTable, TableRow
from engine.dashboard.scope import FigureScope
from engine.storage.sql import Sql
from plugins.funding.figures import FundingFigures, grouped_figures, tallied_figures
from plugins.funding.figures import figures as scope_figures

SOURCE_COLUMNS = (Column("planned", "计划资金", "元"), Column("received", "到位资金", "元"),
                  Column("in_place_rate", "到位率", "%"))


def figures(sql: Sql, scope: FigureScope) -> list[FigureSet]:
    """One set per group of ``scope`` (groups without funding records are left out), or one for the scope."""
    if scope.maintained:
        return [figure_set(tallied_figures(sql, scope.tally_path, scope.year), None)]
    if scope.group is None:
        return [figure_set(scope_figures(sql, scope.where, scope.params), None)]
    return [figure_set(f, key) for key, f in grouped_figures(sql, scope.key, scope.where, scope.params).items()]


def figure_set(f: FundingFigures, key: Any) -> FigureSet:
    rows = tuple(TableRow(s.source.value, s.source.label, (s.planned, s.received, s.in_place_rate))
                 for s in f.by_source if s.planned or s.received)
    return FigureSet("funding", "资金", (
        Figure("planned", "计划资金", f.planned, "元"), Figure("received", "到位资金", f.received, "元"),
        Figure("paid", "拨付资金", f.paid, "元"), Figure("in_place_rate", "资金到位率", f.in_place_rate, "%"),
        Figure("disbursement_rate", "拨付率", f.disbursement_rate, "%"),
        Figure("rewarded", "奖补资金", f.rewarded, "元")),
        (FigureTable("by_source", "资金来源", SOURCE_COLUMNS, rows, sheet=True, key_label="资金来源"),), key)
