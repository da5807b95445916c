"""A province-sized annual list, imported through the import path, for the benchmarks (``bench/import.py``; the
dashboard benchmark reuses ``populate``).

The province: 1 province, 10 cities, 100 counties, 1,000 towns; one unit per county and ten at the province; an
office actor at the province. The list: ``n`` projects spread evenly over the towns, as an office writes it (a
title row, Chinese headers, amounts in 万元 with thousands separators, months as 2025年3月, a point on every
other row in GCJ-02, a cooperating unit on every tenth), written as CSV or xlsx, then imported with
``engine.sheets.importing.import_projects`` — the function behind ``minsheng import projects`` and
``importProjects`` — in one transaction.

From another benchmark (run as ``python bench/x.py``, so ``bench/`` is on the path)::

    from province import populate
    timings = populate("sqlite:///big.db", 100_000)   # an empty database; returns the seconds of each step
"""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CITIES, COUNTIES, TOWNS = 10, 10, 10  # per province, per city, per county: 10 × 10 × 10 = 1,000 towns
YEAR = 2025
HEADER = ["序号", "项目编号", "项目名称", "类别", "建设内容及规模", "责任单位", "配合单位", "总投资（万元）", "计划开工",
          "计划完工", "目标", "所属区域", "经度", "纬度", "坐标系"]
CATEGORIES = ("教育", "卫生", "交通", "养老", "住房", "农业", "文化", "就业")


@dataclass
class Province:
    engine: Any
    region_id: int
    towns: list[str] = field(default_factory=list)  # town codes
    county_units: dict[str, str] = field(default_factory=dict)  # town code → its county's unit code
    token: str = ""


def build_province(engine: Any) -> Province:
    """The region tree, units and the province's office (``office`` role) in an empty database."""
    from engine.directory.admin import add_actor, add_region_by_code, add_unit

    root = add_region_by_code(engine, "p", "示范省", "province", None)
    province = Province(engine, root.id)
    for u in range(10):
        add_unit(engine, f"p-u{u}", f"省第{u}厅", "p")
    for c in range(CITIES):
        add_region_by_code(engine, f"c{c}", f"第{c}市", "city", "p")
        for k in range(COUNTIES):
            county = f"c{c}k{k}"
            add_region_by_code(engine, county, f"第{c}市第{k}县", "county", f"c{c}")
            add_unit(engine, f"{county}-edu", f"第{c}市第{k}县教育局", county)
            for t in range(TOWNS):
                town = f"{county}t{t}"
                add_region_by_code(engine, town, f"第{c}市第{k}县第{t}镇", "town", county)
                province.towns.append(town)
                province.county_units[town] = f"{county}-edu"
    province.token = add_actor(engine, "province_office", "示范省政府办", ["office"], "p")
    return province


def list_rows(province: Province, n: int) -> list[list[Any]]:
    rows = []
    for i in range(n):
        town = province.towns[i % len(province.towns)]
        point = (118.0 + (i % 997) / 1000, 32.0 + (i % 499) / 1000) if i % 2 == 0 else (None, None)
        rows.append([i + 1, f"P{YEAR}-{i + 1:06d}", f"民生实事项目{i + 1}", CATEGORIES[i % len(CATEGORIES)],
                     f"建设内容{i + 1}", province.county_units[town], f"p-u{i % 10}" if i % 10 == 0 else None,
                     f"{1000 + i % 5000:,}.5", f"{YEAR}年{1 + i % 6}月", f"{YEAR}-{7 + i % 6:02d}", f"目标{i + 1}",
                     town, *point, "GCJ-02" if point[0] is not None else None])
    return rows


def write_list(province: Province, n: int, path: Path) -> Path:
    """The list of ``n`` projects as ``path`` (.csv or .xlsx), with a title row above the header."""
    rows = list_rows(province, n)
    if path.suffix == ".csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow([f"{YEAR}年示范省民生实事项目清单"])
        writer.writerow(HEADER)
        writer.writerows(rows)
        path.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))
        return path
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("清单")
    sheet.append([f"{YEAR}年示范省民生实事项目清单"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def import_list(province: Province, path: Path) -> tuple[Any, float]:
    """Import the file as the province's office, through the import path; (result, seconds)."""
    from pony import orm

    from engine.directory.actors import by_username
    from engine.sheets.importing import import_projects
    from engine.storage.sql import Sql

    with orm.db_session:
        actor = by_username(Sql(province.engine.db), "province_office")
    started = time.perf_counter()
    result = import_projects(province.engine, actor, path.read_bytes(), path.name, province.region_id, YEAR)
    seconds = time.perf_counter() - started
    if result.problems:
        raise RuntimeError(f"the benchmark's list has problems: {result.problems[:3]}")
    return result, seconds


def populate(db_url: str, n: int, fmt: str = "csv", folder: Path | None = None) -> dict[str, float]:
    """Build the province in the empty database ``db_url`` and import ``n`` projects through the import path;
    return the seconds of each step (``tree``, ``write``, ``import``)."""
    import tempfile

    from engine.core import Engine

    engine = Engine.open(db_url, entry_points=False)
    try:
        started = time.perf_counter()
        province = build_province(engine)
        tree = time.perf_counter() - started
        folder = folder or Path(tempfile.mkdtemp(prefix="minsheng-province-"))
        started = time.perf_counter()
        path = write_list(province, n, folder / f"list.{fmt}")
        written = time.perf_counter() - started
        result, seconds = import_list(province, path)
        assert len(result.created) == n
        return {"tree": tree, "write": written, "import": seconds, "bytes": float(path.stat().st_size)}
    finally:
        engine.close()
