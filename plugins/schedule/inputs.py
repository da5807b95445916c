"""Checking what a clerk submits for the schedule records: texts, quantities, weights, dates and percents, each
problem at its field path (``["input", "targets", "0", "targetValue"]``)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.errors import FieldProblem, InvalidInput
from engine.texts import normalize_newlines, text_problem

Path = list[str]
MAX_QUANTITY = Decimal("99999999999999")  # fits DECIMAL(18, 4)


def problem(path: Path, message: str) -> InvalidInput:
    return InvalidInput([FieldProblem(path, message)])


def text(value: Any, path: Path, limit: int, required: bool = False, multiline: bool = False) -> str | None:
    """Trimmed text of at most ``limit`` characters (one line unless ``multiline``); None when missing and not
    required."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise problem(path, "is required")
        return None
    if not isinstance(value, str):
        raise problem(path, "must be text")
    cleaned = normalize_newlines(value.strip()) if multiline else value.strip()
    found = text_problem(cleaned, limit, multiline=multiline)
    if found:
        raise problem(path, found)
    return cleaned


def quantity(value: Any, path: Path, *, positive: bool = False, places: int = 4) -> Decimal:
    """A finite number with at most ``places`` decimal places, not negative (more than 0 when ``positive``)."""
    number = _decimal(value, path)
    if positive and number <= 0:
        raise problem(path, f"must be more than 0, got {_shown(number)}")
    if number < 0:
        raise problem(path, f"must not be negative, got {_shown(number)}")
    if number > MAX_QUANTITY:
        raise problem(path, f"must be at most {MAX_QUANTITY}, got {_shown(number)}")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise problem(path, f"must have at most {places} decimal places, got {_shown(number)}")
    return number


def _decimal(value: Any, path: Path) -> Decimal:
    number: Decimal | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, Decimal)):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite():
        raise problem(path, f"must be a number, got {value!r}")
    return number


def _shown(number: Decimal) -> str:
    return format(number.normalize(), "f")


def day(value: Any, path: Path, today: dt.date, default: dt.date | None = None) -> dt.date:
    """A date not after ``today``; ``default`` (else today) when missing."""
    if value is None or value == "":
        return default or today
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise problem(path, f"must be a date like 2024-03-01, got {value!r}")
    if value > today:
        raise problem(path, f"cannot be in the future: {value.isoformat()} is after today ({today.isoformat()})")
    return value


def percent(value: Any, path: Path) -> int:
    """A whole percent from 0 to 100."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise problem(path, f"must be a whole number from 0 to 100, got {value!r}")
    if not 0 <= value <= 100:
        raise problem(path, f"must be from 0 to 100 (percent complete), got {value}")
    return value
