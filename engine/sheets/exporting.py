"""Exporting the annual list in the columns the import reads (``engine.sheets.columns``), with current figures.

What the import reads comes back exactly: amounts in 万元 to six places (the cent), dates as date cells (CSV:
``YYYY-MM-DD``), points and lines in WGS-84 with 坐标系 ``WGS-84``, regions and units by name — by code where two
share a name — so an export imported into a database with the same regions and units (and no projects) gives the
same list. Read-only columns carry the current figures: 状态 (the state's label) and, when a plugin keeps
schedules, 实际进度(%), 序时进度(%) and 进度颜色. Only projects the actor reads are listed; no person's name is.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator

from engine.directory.access import read_scope_sql
from engine.directory.actors import ActorView
from engine.directory.regions import RegionView, subtree_bounds
from engine.geo import location as geo
from engine.project_progress import project_progress
from engine.sheets.cells import FORMULA_STARTS, wan_from_yuan
from engine.sheets.columns import COLUMNS
from engine.storage.sql import Sql, to_date, to_decimal

if TYPE_CHECKING:
    from engine.core import Engine

FORMATS = ("xlsx", "csv")
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}
SELECT = ("SELECT p.id, p.code, p.title, p.category, p.description, p.target, p.region_id, p.lead_unit_id,"
          " p.budget, p.planned_start, p.planned_end, p.location, p.workflow_id, p.state FROM project p")


@dataclass(frozen=True)
class ListExport:
    rows: int
    content: bytes
    media_type: str


def export_projects(engine: Engine, sql: Sql, actor: ActorView, region: RegionView, year: int,
                    fmt: str = "xlsx") -> ListExport:
    """The list of ``year`` at and below ``region`` as ``actor`` reads it (inside the caller's db_session; the
    caller has checked that ``actor`` may name ``region``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}': one of {', '.join(FORMATS)}")
    rows = list(_rows(engine, sql, actor, region, year))
    content = _xlsx(rows, f"{year}年民生实事项目清单") if fmt == "xlsx" else _csv(rows)
    return ListExport(len(rows), content, MEDIA_TYPES[fmt])


def _rows(engine: Engine, sql: Sql, actor: ActorView, region: RegionView, year: int) -> Iterator[list[Any]]:
    conditions, params = read_scope_sql(engine, actor, "p")
    found = sql.all(f"{SELECT} WHERE p.region_path >= ? AND p.region_path < ? AND p.year = ? AND "
                    + " AND ".join(conditions) + " ORDER BY p.id", [region.path, region.path[:-1] + "0", year, *params])
    regions, units = _region_names(sql, region), _unit_names(sql)
    cooperating = _cooperating(sql, region, year)
    figures = project_progress(engine, sql, [r[0] for r in found], engine.clock.today())
    for number, r in enumerate(found, start=1):
        state = engine.workflows.get(r[12]).definition
        place = geo.from_stored(r[11])
        point = place if place is not None and place.kind == geo.POINT else None
        figure = figures.get(r[0])
        yield [number, r[1], r[2], r[3], r[4], r[5], regions.get(r[6]), units.get(r[7]),
               "、".join(units[u] for u in sorted(cooperating.get(r[0], []), key=lambda u: units[u])),
               wan_from_yuan(to_decimal(r[8])), to_date(r[9]), to_date(r[10]),
               point.coordinates[0] if point else None, point.coordinates[1] if point else None,
               geo.line_text(place) if place is not None and point is None else None,
               geo.WGS84 if place is not None else None, state.name, state.states[r[13]].label,
               figure.reported if figure else None, figure.expected if figure else None,
               figure.colour_label if figure else None]


def _region_names(sql: Sql, region: RegionView) -> dict[int, str]:
    """Region id → its name, or its code where two regions of the subtree share the name."""
    rows = sql.all("SELECT id, code, name FROM region WHERE path >= ? AND path < ?", subtree_bounds(region.path))
    return _unique_names(rows)


def _unit_names(sql: Sql) -> dict[int, str]:
    return _unique_names(sql.all("SELECT id, code, name FROM unit"))


def _unique_names(rows: list[tuple]) -> dict[int, str]:
    counts: dict[str, int] = {}
    for _, _, name in rows:
        counts[name] = counts.get(name, 0) + 1
    return {item_id: name if counts[name] == 1 else code for item_id, code, name in rows}


def _cooperating(sql: Sql, region: RegionView, year: int) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for project_id, unit_id in sql.all("SELECT pu.project_id, pu.unit_id FROM project_unit pu JOIN project p ON "
                                       "p.id = pu.project_id WHERE p.region_path >= ? AND p.region_path < ? AND "
                                       "p.year = ?", (region.path, region.path[:-1] + "0", year)):
        found.setdefault(project_id, []).append(unit_id)
    return found


def _cell(value: Any) -> Any:
    """A value as the workbook holds it: amounts as numbers when a float keeps them exactly, else as text."""
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    return value


def _xlsx(rows: list[list[Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_typed_cell(sheet, v) for v in map(_cell, row)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _typed_cell(sheet: Any, value: Any) -> Any:
    """Dates as date cells; text beginning with ``=`` stays text (openpyxl would write it as a formula)."""
    import datetime as dt

    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value


def _csv(rows: list[list[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel and WPS open the Chinese text correctly. Text that a spreadsheet
    would run as a formula (starting with = + - @) is written after a ``'``, which the import takes off again."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.header for c in COLUMNS])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value[:1] in FORMULA_STARTS else value
    return value.isoformat() if hasattr(value, "isoformat") else value
