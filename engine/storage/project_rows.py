"""Reading project rows as plain snapshots (``ProjectView``) with plain SQL."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from engine.workflow.guards import ProjectView
from engine.storage.sql import Sql, marks, to_decimal

COLUMNS = ("id, code, title, year, category, region_id, lead_unit_id, budget, state, version, workflow_id,"
           " region_path, previous_state, audit_seq, audit_head, created_by")


@dataclass
class ProjectRow:
    """A project row as the engine needs it for a transition."""

    view: ProjectView
    workflow_id: int
    region_path: str
    previous_state: str | None
    audit_seq: int
    audit_head: str
    cooperating_unit_ids: frozenset[int] = field(default_factory=frozenset)  # 配合单位 (``project_unit``)


def cooperating_units(sql: Sql, project_id: int) -> frozenset[int]:
    """The ids of the project's cooperating units 配合单位 (empty when it has none)."""
    return frozenset(r[0] for r in sql.all("SELECT unit_id FROM project_unit WHERE project_id = ?", (project_id,)))


def read(sql: Sql, project_id: int, names: dict[int, tuple[str, int]], lock: bool = False) -> ProjectRow | None:
    """Load one project with its cooperating units, in one statement; ``names`` maps workflow ids to (name,
    version). ``lock`` takes the row lock."""
    units = ("(SELECT group_concat(unit_id) FROM project_unit WHERE project_id = project.id)" if sql.sqlite else
             "(SELECT string_agg(unit_id::text, ',') FROM project_unit WHERE project_id = project.id)")
    row = sql.one(f"SELECT {COLUMNS}, {units} FROM project WHERE id = ?" + (sql.for_update() if lock else ""),
                  (project_id,))
    if row is None:
        return None
    return _project_row(row, names, frozenset(int(u) for u in row[16].split(",")) if row[16] else frozenset())


def read_many(sql: Sql, project_ids: Sequence[int], names: dict[int, tuple[str, int]]) -> dict[int, ProjectRow]:
    """``read`` (without the lock) for several projects, in two queries; missing ids are left out."""
    listed, ids = marks(len(project_ids)), list(project_ids)
    units: dict[int, set[int]] = {}
    for project_id, unit_id in sql.all(f"SELECT project_id, unit_id FROM project_unit WHERE project_id IN ({listed})",
                                       ids):
        units.setdefault(project_id, set()).add(unit_id)
    return {row[0]: _project_row(row, names, frozenset(units.get(row[0], ())))
            for row in sql.all(f"SELECT {COLUMNS} FROM project WHERE id IN ({listed})", ids)}


def _project_row(row: Sequence[Any], names: dict[int, tuple[str, int]], cooperating: frozenset[int]) -> ProjectRow:
    name, version = names[row[10]]
    view = ProjectView(row[0], row[1], row[2], row[3], row[4], row[5], row[6], to_decimal(row[7]), row[8],
                       row[9], name, version, row[15])
    return ProjectRow(view, row[10], row[11], row[12], row[13], row[14], cooperating)
