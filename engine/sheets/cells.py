"""Reading the cells of an office's list: dates, amounts and text written the many ways offices write them.

Each reader returns the value or raises ``ValueError`` with a short sentence for the report.

- dates: an Excel date cell, an Excel serial number (2000–2100), ``2025-03-15``, ``2025/3/15``, ``2025.3.15``,
  ``2025年3月15日``, a month alone (``2025-03``, ``2025/3``, ``2025.3``, ``2025年3月``, ``3月`` in the import's
  year) or a year alone (``2025年``); a month or year stands for its first day as a start and its last day as an
  end;
- amounts: numbers, or text with thousands separators (``1,360.5``, ``1，360``), spaces, and ``万元``/``万`` after it;
  a number cell is taken to the cent (a formula's binary fraction is rounded), text must be exact;
- text: numbers are written without a trailing ``.0`` (a code typed as 101 stays ``101``); a ``'`` before
  ``= + - @`` (how the CSV export keeps a spreadsheet from running text as a formula) is taken off.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@")
WAN = Decimal(10000)
CENT = Decimal("0.01")
EXCEL_EPOCH = dt.date(1899, 12, 30)
SERIALS = (36526, 73415)  # 2000-01-01 … 2100-12-31
_FULL = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_MONTH = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(底|末)?")
_MONTH_ONLY = re.compile(r"(\d{1,2})\s*月(底|末)?")
_YEAR = re.compile(r"(\d{4})\s*年?(底|末)?")
_SEPARATORS = re.compile(r"[,，\s]")


def text(value: Any) -> str | None:
    """The cell as text, trimmed; None when blank."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    shown = str(value).strip()
    if shown[:1] == "'" and shown[1:2] in FORMULA_STARTS:  # the export's guard against formula injection
        shown = shown[1:]
    return shown or None


def date(value: Any, year: int, end: bool = False) -> dt.date:
    """A date; a month or a year alone is its first day (``end``: its last day)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _number_date(value, end)
    written = str(value).strip()
    try:
        return _parsed(written, year, end)
    except ValueError as exc:
        raise ValueError(f"'{written[:30]}' is not a date{_why(exc)} (write 2025-03-15, 2025-03 or 2025年3月)") \
            from None


def _number_date(value: float, end: bool) -> dt.date:
    """An Excel serial, or 2025.3 typed into a number cell (March 2025; 2025.1 is refused: Excel turned
    2025.10 into it, so it may be January or October)."""
    if SERIALS[0] <= value <= SERIALS[1] and float(value).is_integer():
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    whole, _, month = repr(float(value)).partition(".")
    if 2000 <= int(whole) <= 2100 and month not in ("0", "1") and 1 <= len(month) <= 2 and 1 <= int(month) <= 12:
        y, m = int(whole), int(month)
        return dt.date(y, m, calendar.monthrange(y, m)[1] if end else 1)
    if 2000 <= int(whole) <= 2100 and month == "1":
        raise ValueError(f"'{value}' may be January or October (a number cell drops the 0 of {whole}.10): "
                         f"write {whole}-01 or {whole}-10")
    raise ValueError(f"'{value}' is not a date (write 2025-03-15, 2025-03 or 2025年3月)")


def _why(exc: ValueError) -> str:
    return f": {exc}" if str(exc) else ""


def _parsed(written: str, year: int, end: bool) -> dt.date:
    found = _FULL.fullmatch(written)
    if found:
        return dt.date(*(int(part) for part in found.groups()))
    found = _MONTH.fullmatch(written) or _MONTH_ONLY.fullmatch(written)
    if found:
        parts = found.groups()
        y, m = (int(parts[0]), int(parts[1])) if len(parts) == 3 else (year, int(parts[0]))
        if not 1 <= m <= 12:
            raise ValueError("month must be 1 to 12")
        return dt.date(y, m, calendar.monthrange(y, m)[1] if end or parts[-1] else 1)
    found = _YEAR.fullmatch(written)
    if found and 2000 <= int(found.group(1)) <= 2100:
        y = int(found.group(1))
        return dt.date(y, 12, 31) if end or found.group(2) else dt.date(y, 1, 1)
    raise ValueError("")


def yuan_from_wan(value: Any) -> Decimal:
    """An amount in 万元 (10,000 yuan) as yuan, to the cent."""
    if isinstance(value, bool):
        raise ValueError("must be an amount in 万元")
    if isinstance(value, (int, Decimal)):
        amount = Decimal(value)
    elif isinstance(value, float):
        return (Decimal(repr(value)) * WAN).quantize(CENT)
    else:
        written = str(value).strip()
        cleaned = _SEPARATORS.sub("", written).removesuffix("万元").removesuffix("万")
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(f"'{written[:30]}' is not an amount in 万元") from None
    if not amount.is_finite():
        raise ValueError("must be a finite amount")
    yuan = amount * WAN
    if yuan != yuan.quantize(CENT):
        raise ValueError(f"'{value}' 万元 is not a whole number of cents (at most 6 decimal places)")
    return yuan.quantize(CENT)


def wan_from_yuan(yuan: Decimal) -> Decimal:
    """Yuan as 万元, exactly (up to 6 decimal places, trailing zeros dropped)."""
    wan = (Decimal(yuan) / WAN).quantize(Decimal("0.000001"))
    return wan.normalize() if wan != wan.to_integral_value() else wan.quantize(Decimal(1))


def names(value: Any) -> list[str]:
    """A list of names in one cell: separated by 、，,；; or new lines."""
    written = text(value) or ""
    return [part.strip() for part in re.split(r"[、，,；;\n]", written) if part.strip()]
