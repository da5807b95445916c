"""Reading an office's list file into rows of cells under the column table (``engine.sheets.columns``).

An ``.xlsx`` workbook (its first sheet, read with python-calamine) or a CSV file (UTF-8, with or without a
byte-order mark, or GB18030 as Excel and WPS save it on Chinese Windows) is told by its content, not its name. The header row is the first of the
first ``HEADER_SEARCH`` rows naming 项目名称 and at least one other known column, so title rows above it (merged
or not: "2025年平安县民生实事项目清单", "单位：万元") are passed over. Blank rows, group headings ("一、教育",
"（二）卫生") and total rows (合计, 总计, 小计) below it are skipped. Row numbers are those a spreadsheet shows (CSV:
the record's number, counting the header's record).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from engine.sheets.columns import COLUMNS, Column, column_named

HEADER_SEARCH = 30
MAX_ROWS = 200_000
_HEADING = re.compile(r"([一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百]+[)）]).*")
_TOTALS = {"合计", "总计", "小计", "共计"}


class SheetError(ValueError):
    """The file as a whole cannot be read as a list (the message says why); ``row`` where it applies."""

    def __init__(self, message: str, row: int | None = None) -> None:
        super().__init__(message)
        self.row = row


@dataclass
class Sheet:
    header_row: int
    columns: dict[int, Column]  # cell position → column
    headers: dict[str, str]  # field → the header as the file writes it
    ignored: list[str] = field(default_factory=list)  # headers the table does not know
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (row number, field → cell value)


def read_sheet(data: bytes) -> Sheet:
    """The list in ``data`` (xlsx or CSV); ``SheetError`` when it has no header row or misses a required column."""
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise SheetError("this is an old Excel .xls file: save it as .xlsx (Excel 2007 or later) or as CSV")
    rows = _xlsx_rows(data) if data[:4] == b"PK\x03\x04" else _csv_rows(data)
    return _table(rows)


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    """The first sheet's rows, numbered as the spreadsheet shows them (python-calamine: some ten times faster than
    openpyxl at reading; date cells come as dates, numbers as floats)."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        first = sheet.start[0] + 1 if sheet.start else 1
        rows = sheet.iter_rows()
    except Exception as exc:  # a damaged file: calamine names what it could not read
        raise SheetError(f"cannot read the workbook: {type(exc).__name__}: {str(exc)[:120]}") from None
    for number, values in enumerate(rows, start=first):
        yield number, tuple(values)


def _csv_rows(data: bytes) -> Iterator[tuple[int, tuple]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes every byte string
        raise SheetError("the file is neither an .xlsx workbook nor CSV text in UTF-8 or GB18030")
    if "\x00" in text:
        raise SheetError("the file is neither an .xlsx workbook nor CSV text (it holds NUL bytes)")
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            yield number, tuple(values)
    except csv.Error as exc:
        raise SheetError(f"not valid CSV: {exc}") from None


def _table(rows: Iterable[tuple[int, tuple]]) -> Sheet:
    iterator = iter(rows)
    sheet = _header(iterator)
    for number, values in iterator:
        cells = {column.field: values[i] for i, column in sheet.columns.items()
                 if i < len(values) and not column.read_only and not _blank(values[i])}
        if not cells or _skipped(values):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise SheetError(f"more than {MAX_ROWS:,} rows: split the list into several files", number)
        sheet.rows.append((number, cells))
    return sheet


def _header(rows: Iterator[tuple[int, tuple]]) -> Sheet:
    for number, values in rows:
        found = {i: column_named(v) for i, v in enumerate(values) if not _blank(v)}
        known = {i: c for i, c in found.items() if c is not None}
        if any(c.field == "title" for c in known.values()) and len(known) >= 2:
            return _checked(number, values, known)
        if number >= HEADER_SEARCH:
            break
    raise SheetError(f"no header row: none of the first {HEADER_SEARCH} rows names 项目名称 and the other columns "
                     "(see the column table in the README)")


def _checked(number: int, values: tuple, known: dict[int, Column]) -> Sheet:
    headers: dict[str, str] = {}
    for i, column in known.items():
        if column.field in headers:
            raise SheetError(f"columns '{headers[column.field]}' and '{str(values[i]).strip()}' both give "
                             f"{column.header}: keep one", number)
        headers[column.field] = str(values[i]).strip()
    missing = [c.header for c in COLUMNS if c.required and c.field not in headers]
    if missing:
        raise SheetError(f"the header row has no {', '.join(missing)} column (required)", number)
    ignored = [str(v).strip() for i, v in enumerate(values) if not _blank(v) and i not in known]
    return Sheet(number, known, headers, ignored)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _skipped(values: tuple) -> bool:
    """A group heading (one cell: "一、教育") or a total row (合计 …)."""
    filled = [str(v).strip() for v in values if not _blank(v)]
    if not filled:
        return True
    if filled[0].replace(" ", "") in _TOTALS:
        return True
    return len(filled) == 1 and _HEADING.fullmatch(filled[0]) is not None
