"""From a row of cells to a ``NewProject``: cells read (``cells``), names of regions and units resolved.

Regions are looked for at and below the import's region, units among those the importing actor may name (in its
area or above it); each by code first, then by name, and a name two of them share must be written as a code. Cell
problems are collected per row and column; the engine's own rules (``engine.creation``) are checked afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from engine.creation import NewProject
from engine.directory.actors import ActorView
from engine.directory.regions import RegionView, subtree
from engine.geo import location as geo
from engine.sheets import cells
from engine.storage.sql import Sql

DETAIL_FIELDS = {"title": "title", "category": "category", "description": "description", "target": "target"}


@dataclass
class Names:
    """Code → id and name → ids of the regions or units one may name."""

    kind: str  # "region" | "unit"
    by_code: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=dict)
    codes: dict[int, str] = field(default_factory=dict)
    where: str = ""  # how "not found" reads: "under 平安县"

    def add(self, item_id: int, code: str, name: str) -> None:
        self.by_code[code] = item_id
        self.by_name.setdefault(name, []).append(item_id)
        self.codes[item_id] = code

    def find(self, written: str) -> int:
        if written in self.by_code:
            return self.by_code[written]
        found = self.by_name.get(written, [])
        if len(found) == 1:
            return found[0]
        if found:
            raise ValueError(f"{len(found)} {self.kind}s are named '{written}': write the code of the one meant "
                             f"({', '.join(sorted(self.codes[i] for i in found))})")
        raise ValueError(f"unknown {self.kind} '{written[:40]}'{self.where}")


def region_names(sql: Sql, region: RegionView) -> Names:
    names = Names("region", where=f" at or under {region.name}")
    for view in subtree(sql, region.path):
        names.add(view.id, view.code, view.name)
    return names


def unit_names(sql: Sql, actor: ActorView) -> Names:
    names = Names("unit")
    path = actor.region_path or ""
    for unit_id, code, name, region_path in sql.all("SELECT u.id, u.code, u.name, r.path FROM unit u JOIN region r"
                                                    " ON r.id = u.region_id ORDER BY u.id"):
        if region_path.startswith(path) or path.startswith(region_path):
            names.add(unit_id, code, name)
    return names


@dataclass
class Drafting:
    """Everything a row needs besides its cells."""

    region: RegionView
    year: int
    regions: Names
    units: Names
    datum: str = geo.WGS84


def draft(row: dict[str, Any], context: Drafting, problem: Callable[[str, str], None]) -> NewProject:
    """The project a row describes, each cell that cannot be read reported with ``problem(field, message)`` and
    left out (so the engine's rules can still be checked on the rest of the row)."""
    failed: list[str] = []

    def read(name: str, reader: Callable[[Any], Any]) -> Any:
        if name not in row:
            return None
        try:
            return reader(row[name])
        except ValueError as exc:
            return _failed(problem, failed, name, str(exc))

    details: dict[str, Any] = {key: read(name, cells.text) for name, key in DETAIL_FIELDS.items()}
    details["year"] = context.year
    details["budget"] = read("budget", cells.yuan_from_wan)
    details["planned_start"] = read("planned_start", lambda v: cells.date(v, context.year))
    details["planned_end"] = read("planned_end", lambda v: cells.date(v, context.year, end=True))
    details["lead_unit_id"] = read("lead_unit", lambda v: context.units.find(cells.text(v) or ""))
    region_id = read("region", lambda v: context.regions.find(cells.text(v) or "")) or context.region.id
    cooperating = read("cooperating_units", lambda v: tuple(context.units.find(n) for n in cells.names(v))) or ()
    place = _location(row, context, problem, failed)
    return NewProject(region_id, {k: v for k, v in details.items() if v is not None}, cells.text(row.get("code")),
                      cells.text(row.get("workflow")), place, cooperating)


def _location(row: dict[str, Any], context: Drafting, problem: Callable[[str, str], None],
              failed: list[str]) -> geo.Location | None:
    """A point from 经度 and 纬度, or a line from 线路坐标, in the row's 坐标系 (blank: the import's default)."""
    lon, lat, line = row.get("longitude"), row.get("latitude"), row.get("line")
    if lon is None and lat is None and line is None:
        return None
    try:
        datum = geo.parse_datum(cells.text(row["datum"])) if "datum" in row else context.datum
    except ValueError as exc:
        return _failed(problem, failed, "datum", str(exc))
    if line is not None and (lon is not None or lat is not None):
        return _failed(problem, failed, "line", "give 经度 and 纬度 for a point or 线路坐标 for a line, not both")
    if (lon is None) != (lat is None):
        return _failed(problem, failed, "latitude" if lat is None else "longitude",
                       "a point needs both 经度 and 纬度")
    try:
        return geo.parse_line_text(cells.text(line) or "", datum) if line is not None else geo.point(lon, lat, datum)
    except ValueError as exc:
        where = "line" if line is not None else ("latitude" if "latitude" in str(exc) else "longitude")
        return _failed(problem, failed, where, str(exc))


def _failed(problem: Callable[[str, str], None], failed: list[str], name: str, message: str) -> None:
    problem(name, message)
    failed.append(name)
    return None
