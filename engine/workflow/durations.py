"""Durations in workflow files (``"30 days"``, ``"10 working days"``, ``"5个工作日"``), parsed one way everywhere.

``engine.calendar.Duration`` is the engine's duration (working days from the official calendar). Until that
module exists in a deployment, ``FallbackDuration`` reads the same texts and counts working days as Monday to
Friday (no holidays): only the arithmetic differs, never what a file may say.
"""
from __future__ import annotations

import calendar as _months
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

PATTERNS = (
    (re.compile(r"(\d+)\s*working\s+days?\Z"), "working_days"),
    (re.compile(r"(\d+)\s*个?工作日\Z"), "working_days"),
    (re.compile(r"(\d+)\s*(?:days?|天|日)\Z"), "days"),
    (re.compile(r"(\d+)\s*(?:months?|个月)\Z"), "months"),
    (re.compile(r"(\d+)\s*(?:years?|年)\Z"), "years"),
)
FORMS = "'10 days', '5 working days', '3 months', '1 year', '5个工作日', '10天', '3个月'"


@dataclass(frozen=True)
class FallbackDuration:
    """A whole number of days, working days (Monday–Friday), months or years."""

    amount: int
    unit: str

    @classmethod
    def parse(cls, text: Any, where: str = "") -> FallbackDuration:
        """The duration ``text`` says (an int is days); ``ValueError`` naming ``where`` otherwise."""
        if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
            return cls(text, "days")
        for pattern, unit in PATTERNS:
            found = pattern.match(str(text).strip()) if isinstance(text, str) else None
            if found:
                return cls(int(found.group(1)), unit)
        prefix = f"{where}: " if where else ""
        raise ValueError(f"{prefix}'{text}' is not a duration; write e.g. {FORMS}")

    def after(self, start: dt.date, calendar: Any = None) -> dt.date:
        """The date this long after ``start`` (working days: the n-th working day after it)."""
        if self.unit == "days":
            return start + dt.timedelta(days=self.amount)
        if self.unit == "working_days":
            if calendar is not None:
                return calendar.add_working_days(start, self.amount)
            day, left = start, self.amount
            while day.weekday() >= 5 and left == 0:
                day += dt.timedelta(days=1)
            while left > 0:
                day += dt.timedelta(days=1)
                left -= day.weekday() < 5
            return day
        months = self.amount * (12 if self.unit == "years" else 1)
        year, month = divmod(start.month - 1 + months, 12)
        last = _months.monthrange(start.year + year, month + 1)[1]
        return start.replace(year=start.year + year, month=month + 1, day=min(start.day, last))


try:  # the calendar engineer's module, when present
    from engine.calendar import Duration as Duration  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the deployment
    Duration = FallbackDuration  # type: ignore[misc,assignment]


def parse_duration(text: Any, where: str = "") -> Any:
    """``Duration.parse`` with every refusal as ``ValueError`` (the loader reports it with file and line)."""
    try:
        return Duration.parse(text, where)
    except ValueError:
        raise
    except Exception as exc:  # engine.calendar raises InvalidInput, a DomainError
        raise ValueError(str(exc)) from exc
