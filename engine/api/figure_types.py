"""GraphQL types of figures (``engine.dashboard.figures``): a plugin's figure group with its figures and tables,
and one row of a breakdown. Values are given as text so that counts, exact amounts and rates keep their digits."""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

import strawberry

from engine.api.ids import to_global_id
from engine.api.shape import cost_hint
from engine.dashboard.board import Row
from engine.dashboard.counts import StateCount
from engine.dashboard.figures import Figure, FigureSet, FigureTable, Value


def text(value: Value) -> Optional[str]:
    return None if value is None else str(value)


@strawberry.type(description="One figure: its name (plugin.name), label, value as text (null: none) and unit.")
class DashboardFigure:
    name: str
    label: str
    value: Optional[str]
    unit: str

    @classmethod
    def of(cls, figure: Figure, plugin: str = "") -> DashboardFigure:
        name = f"{plugin}.{figure.name}" if plugin else figure.name
        return cls(name=name, label=figure.label, value=text(figure.value), unit=figure.unit)


@strawberry.type
class FigureColumn:
    name: str
    label: str
    unit: str


@strawberry.type
class FigureRow:
    key: str
    label: str
    values: list[Optional[str]]


@strawberry.type(description="A small table of figures, e.g. funds by source or projects by colour.")
class DashboardTable:
    name: str
    label: str
    columns: list[FigureColumn] = strawberry.field(metadata=cost_hint(5))
    rows: list[FigureRow]

    @classmethod
    def of(cls, table: FigureTable) -> DashboardTable:
        return cls(name=table.name, label=table.label,
                   columns=[FigureColumn(name=c.name, label=c.label, unit=c.unit) for c in table.columns],
                   rows=[FigureRow(key=r.key, label=r.label, values=[text(v) for v in r.values]) for r in table.rows])


@strawberry.type(description="The figures one plugin contributes (minsheng_dashboard_figures).")
class FigureGroup:
    plugin: str
    label: str
    figures: list[DashboardFigure] = strawberry.field(metadata=cost_hint(8))
    tables: list[DashboardTable] = strawberry.field(metadata=cost_hint(2))

    @strawberry.field(description="One figure of this group by its short name (e.g. in_place_rate).")
    def figure(self, name: str) -> Optional[DashboardFigure]:
        return next((f for f in self.figures if f.name == name), None)

    @classmethod
    def of(cls, s: FigureSet) -> FigureGroup:
        return cls(plugin=s.plugin, label=s.label, figures=[DashboardFigure.of(f) for f in s.figures],
                   tables=[DashboardTable.of(t) for t in s.tables])


@strawberry.type(description="Projects in one state, with the state's label from the workflow file.")
class StateTally:
    workflow: str
    state: str
    label: str
    count: int

    @classmethod
    def of(cls, s: StateCount) -> StateTally:
        return cls(workflow=s.workflow, state=s.state, label=s.label, count=s.count)


@strawberry.type(description="One row of a breakdown: a child region (own: the region's own projects, 本级) or a "
                             "lead unit (id null: projects without one), with the same counts and rates.")
class DashboardRow:
    kind: str
    id: Optional[strawberry.ID]
    name: str
    own: bool
    projects: int
    planned: int
    started: int
    completed: int
    completion_rate: Optional[Decimal] = strawberry.field(description="完成率 = completed / planned, percent.")
    start_rate: Optional[Decimal] = strawberry.field(description="开工率 = started / planned, percent.")

    @classmethod
    def of(cls, row: Row) -> DashboardRow:
        c = row.counts
        node = "Region" if row.kind == "region" else "Unit"
        return cls(kind=row.kind, id=None if row.id is None else strawberry.ID(to_global_id(node, row.id)),
                   name=row.name, own=row.own, projects=c.total, planned=c.planned, started=c.started,
                   completed=c.completed, completion_rate=c.completion_rate, start_rate=c.start_rate)
