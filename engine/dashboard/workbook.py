"""The monthly bulletin as an Excel workbook (openpyxl): 汇总 (the figures, the units and regions, a bar chart of
progress by unit), 项目进度 (each project, its cells filled with its flag colour), 滞后项目, one sheet per plugin
table that asks for one (资金来源, 逾期整改, 未办结督办单) and 红黑榜. Numbers are written as numbers (percentages
in points, amounts in yuan), so the figures can be summed and charted as they are."""
from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any, Iterable

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from engine.dashboard.bulletin import Bulletin
from engine.dashboard.figures import FigureSet, FigureTable, Value
from engine.dashboard.rankings import Entry

FILLS = {"green": "C6EFCE", "yellow": "FFEB9C", "red": "FFC7CE", "orange": "FFD8B1", "blue": "BDD7EE",
         "grey": "D9D9D9", "gray": "D9D9D9"}  # flag colour names → light cell fills
BOLD = Font(bold=True)
PROJECT_HEADINGS = ("序号", "项目名称", "责任单位", "目标", "序时进度(%)", "实际进度(%)", "状态", "颜色")
ROW_HEADINGS = ("计划项目", "已开工", "已完成", "完成率(%)", "开工率(%)", "平均实际进度(%)")
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


def render(bulletin: Bulletin) -> bytes:
    """The workbook's bytes (.xlsx)."""
    book = Workbook()
    _summary(book.active, bulletin)
    _projects(book.create_sheet("项目进度"), bulletin)
    _lagging(book.create_sheet("滞后项目"), bulletin)
    for table in (t for s in bulletin.board.plugins for t in s.tables if t.sheet):
        _table_sheet(book.create_sheet(_sheet_name(book, table.label)), table)
    _red_black(book.create_sheet("红黑榜"), bulletin)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell_value(value: Value) -> Any:
    """Decimals as numbers, None as an empty cell."""
    return float(value) if isinstance(value, Decimal) else value


def _sheet_name(book: Workbook, label: str) -> str:
    name = SHEET_NAME.sub("_", label)[:28] or "表"
    taken, n = set(book.sheetnames), 2
    candidate = name
    while candidate in taken:
        candidate, n = f"{name}{n}", n + 1
    return candidate


def _heading(sheet: Worksheet, values: Iterable[Any]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD


def _summary(sheet: Worksheet, b: Bulletin) -> None:
    sheet.title = "汇总"
    sheet.append([f"{b.region.name}{b.year}年{b.month}月民生实事项目推进情况通报"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"数据截至 {b.on.isoformat()}"])
    sheet.append([])
    _heading(sheet, ("指标", "数值", "单位"))
    groups: list[FigureSet] = [b.board.counts.figure_set(), *b.board.plugins]
    for group in groups:
        sheet.append([f"【{group.label}】"])
        for figure in group.figures:
            sheet.append([figure.label, cell_value(figure.value), figure.unit])
        for table in (t for t in group.tables if not t.sheet):
            _heading(sheet, (table.label, *(c.label for c in table.columns)))
            for row in table.rows:
                sheet.append([row.label, *(cell_value(v) for v in row.values)])
    sheet.append([])
    units = _breakdown(sheet, "责任单位", b.board.units, {e.id: e for e in b.standings.units})
    sheet.append([])
    _breakdown(sheet, "地区", [r for r in b.board.regions if not r.own], {e.id: e for e in b.standings.regions})
    if units:
        _chart(sheet, *units)
    sheet.column_dimensions["A"].width = 30


def _breakdown(sheet: Worksheet, what: str, rows: list, ranked: dict[Any, Entry]) -> tuple[int, int] | None:
    """A table of rows (units or regions) with their counts and rates; its first and last data row."""
    _heading(sheet, (what, *ROW_HEADINGS))
    first = sheet.max_row + 1
    for row in rows:
        c = row.counts
        entry = ranked.get(row.id)
        actual = entry.figure("schedule.actual") if entry is not None else None
        sheet.append([row.name, c.planned, c.started, c.completed, cell_value(c.completion_rate),
                      cell_value(c.start_rate), cell_value(actual.value) if actual else None])
    return (first, sheet.max_row) if rows else None


def _chart(sheet: Worksheet, first: int, last: int) -> None:
    chart = BarChart()
    chart.type, chart.title, chart.y_axis.title = "bar", "各责任单位推进情况", "%"
    chart.add_data(Reference(sheet, min_col=5, max_col=5, min_row=first - 1, max_row=last), titles_from_data=True)
    chart.add_data(Reference(sheet, min_col=7, max_col=7, min_row=first - 1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
    chart.height, chart.width = max(7.5, 0.6 * (last - first + 1)), 18
    sheet.add_chart(chart, f"I{first}")


def _projects(sheet: Worksheet, b: Bulletin) -> None:
    _heading(sheet, PROJECT_HEADINGS)
    for p in b.projects:
        sheet.append([p.number, p.title, p.unit, p.target, cell_value(p.expected), cell_value(p.actual),
                      p.state_label, p.colour_label])
        fill = FILLS.get(p.colour or "")
        if fill:
            for cell in sheet[sheet.max_row]:
                cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
    for column, width in zip("ABCDEFGH", (6, 36, 24, 30, 12, 12, 12, 8)):
        sheet.column_dimensions[column].width = width


def _lagging(sheet: Worksheet, b: Bulletin) -> None:
    _heading(sheet, ("序号", "项目名称", "责任单位", "序时进度(%)", "实际进度(%)", "滞后(个百分点)", "颜色"))
    for number, p in enumerate(b.lagging, start=1):
        sheet.append([number, p.title, p.unit, cell_value(p.expected), cell_value(p.actual), cell_value(p.lag),
                      p.colour_label])


def _table_sheet(sheet: Worksheet, table: FigureTable) -> None:
    _heading(sheet, (table.key_label, *(f"{c.label}({c.unit})" if c.unit else c.label for c in table.columns)))
    for row in table.rows:
        sheet.append([row.label, *(cell_value(v) for v in row.values)])


def _red_black(sheet: Worksheet, b: Bulletin) -> None:
    for rule, entries in b.standings.lists:
        sheet.append([f"{rule.label}（{len(entries)}）"])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
        _heading(sheet, ("名次", "类别", "名称", "完成率(%)", "理由"))
        for e in entries:
            sheet.append([e.rank, "单位" if e.kind == "unit" else "地区", e.name, _rate(e), e.reason])
        sheet.append([])
    for title, entries in (("单位排名", b.standings.units), ("地区排名", b.standings.regions)):
        sheet.append([title])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=12)
        _heading(sheet, ("名次", "名称", "完成率(%)", "榜单"))
        for e in entries:
            sheet.append([e.rank, e.name, _rate(e), e.list_label or ""])
        sheet.append([])
    sheet.column_dimensions["C"].width = 24
    sheet.column_dimensions["E"].width = 60
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=False)


def _rate(entry: Entry) -> Any:
    figure = entry.figure("core.completion_rate")
    return cell_value(figure.value) if figure else None
