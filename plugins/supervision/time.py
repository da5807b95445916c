"""Dates for supervision, from the engine's working-day calendar (``engine.calendar``: official holidays and 调休).

Everything here is a pure function of the calendar."""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.workflow.durations import parse_duration

DAY = dt.timedelta(days=1)


def calendar_of(engine: Any) -> Any:
    """The engine's working-day calendar (``engine.calendar``)."""
    return engine.calendar


def after(text: str, start: dt.date, calendar: Any) -> dt.date:
    """The date ``text`` (a duration) after ``start``."""
    return parse_duration(text).after(start, calendar)


def latest_start(text: str, target: dt.date, calendar: Any) -> dt.date:
    """The latest date ``s`` with ``after(text, s) <= target`` (``after`` never decreases as ``s`` grows)."""
    span = 16
    low = target - dt.timedelta(days=span)
    while after(text, low, calendar) > target:  # widen the window until it holds a date that fits
        span *= 2
        low = target - dt.timedelta(days=span)
    high = target
    while low < high:  # binary search over days: ``after`` is monotone
        mid = low + dt.timedelta(days=(high - low).days // 2 + (high - low).days % 2)
        if after(text, mid, calendar) <= target:
            low = mid
        else:
            high = mid - DAY
    return low


def working_days(calendar: Any, a: dt.date, b: dt.date) -> int:
    """Working days d with a < d <= b (negative when b < a)."""
    return calendar.working_days_between(a, b)
