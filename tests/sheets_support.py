"""Helpers for the spreadsheet tests: writing an office's list as an .xlsx or CSV, and a snapshot of every table."""
from __future__ import annotations

import io
from typing import Any, Sequence

from openpyxl import Workbook, load_workbook
from pony import orm

from engine.storage.sql import Sql

HEADER = ["序号", "项目编号", "项目名称", "类别", "建设内容及规模", "责任单位", "配合单位", "总投资（万元）", "计划开工",
          "计划完工", "目标", "所属区域", "经度", "纬度", "坐标系", "备注"]


def office_workbook(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER,
                    title: str = "2025年东城镇民生实事项目清单") -> bytes:
    """An .xlsx as offices keep it: a merged title row, a units row, the header, the rows, trailing blank rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    sheet.append(["单位：万元"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for _ in range(5):
        sheet.append([None] * len(header))
    sheet.cell(row=sheet.max_row + 3, column=1, value=" ")  # a stray blank cell further down
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    import csv

    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def read_xlsx(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def snapshot(engine: Any) -> dict[str, list[str]]:
    """Every row of every table (SQLite's id counters included), for "nothing changed" checks."""
    with orm.db_session:
        sql = Sql(engine.db)
        if sql.sqlite:
            tables = [r[0] for r in sql.all("SELECT name FROM sqlite_master WHERE type = 'table'")]
        else:
            tables = [r[0] for r in sql.all("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                            "current_schema()")]
        # (PostgreSQL's sequences are left out: like every database, it never takes back an id a rolled-back
        # insert drew, so the next project may skip a few numbers)
        return {t: sorted(repr(row) for row in sql.all(f"SELECT * FROM {t}")) for t in tables}


def table(engine: Any, query: str, params: Sequence[Any] = ()) -> list[tuple]:
    with orm.db_session:
        return Sql(engine.db).all(query, params)
