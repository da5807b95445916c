"""What a dashboard shows, as plain values: the contract of the ``minsheng_dashboard_figures`` hook.

A plugin answers with ``FigureSet``s: named figures (a value with its label and unit) and, optionally, small
tables (funds by source, projects by colour) and — only when the scope asks for ``detail`` (the monthly bulletin) —
listings (overdue rectifications, open notices). Names are short snake_case words; a figure is referred to from
outside as ``<plugin>.<name>`` (``funding.in_place_rate``), the core's own as ``core.<name>``.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

Value = Decimal | int | str | None
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Figure:
    """One figure: ``value`` is a count (int), an amount or a percentage (Decimal, two places), a word (str), or
    None when it cannot be computed (a rate without a denominator). ``unit``: ``%``, ``元``, ``个``, ``项``,
    ``分`` (points of progress) or empty."""

    name: str
    label: str
    value: Value
    unit: str = ""


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    unit: str = ""


@dataclass(frozen=True)
class TableRow:
    """A row of a table: ``key`` identifies it (a funding source code, a colour name, a project code), ``label``
    is what people read, ``values`` follow the table's columns."""

    key: str
    label: str
    values: tuple[Value, ...]


@dataclass(frozen=True)
class FigureTable:
    """A table; ``sheet``: the monthly bulletin gives it a sheet of its own (funds by source, a listing) instead
    of printing it on the summary sheet."""

    name: str
    label: str
    columns: tuple[Column, ...]
    rows: tuple[TableRow, ...]
    sheet: bool = False
    key_label: str = "名称"  # the heading of the rows' labels


@dataclass(frozen=True)
class FigureSet:
    """One plugin's figures over a scope of projects, or over one group of it (``key``: the value of the scope's
    ``group`` expression for this group; None for the whole scope)."""

    plugin: str
    label: str
    figures: tuple[Figure, ...] = ()
    tables: tuple[FigureTable, ...] = ()
    key: Any = None

    def get(self, name: str) -> Figure | None:
        return next((f for f in self.figures if f.name == name), None)

    def value(self, name: str) -> Value:
        found = self.get(name)
        return None if found is None else found.value


def percent(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """``numerator / denominator`` in percent, two places, rounded half up; None when the denominator is 0
    (26 of 65 → 40.00; 1,528 of 1,530 → 99.87)."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(CENT, rounding=ROUND_HALF_UP)


def by_key(sets: Iterable[FigureSet]) -> dict[Any, list[FigureSet]]:
    """Figure sets grouped by their key (plugins answer a grouped scope with one set per group)."""
    grouped: dict[Any, list[FigureSet]] = {}
    for figure_set in sets:
        grouped.setdefault(figure_set.key, []).append(figure_set)
    return grouped


def lookup(sets: Iterable[FigureSet], qualified: str) -> Figure | None:
    """The figure named ``plugin.name`` among ``sets``, or None."""
    plugin, _, name = qualified.partition(".")
    for figure_set in sets:
        if figure_set.plugin == plugin and (found := figure_set.get(name)) is not None:
            return found
    return None
