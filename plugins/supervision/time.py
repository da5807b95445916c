"""Dates for supervision: the engine's working-day calendar when it has one, else Monday–Friday arithmetic.

Everything here is a pure function of the calendar. ``engine.calendar`` (the official calendar with holidays and
调休) is used when the engine carries one (``engine.calendar``); otherwise ``WeekdayCalendar`` counts Monday to
Friday, so the plugin runs before that module is deployed.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from engine.workflow.durations import parse_duration

DAY = dt.timedelta(days=1)


class WeekdayCalendar:
    """Working days are Monday to Friday (no holidays): the fallback calendar."""

    def is_working_day(self, d: dt.date) -> bool:
        return d.weekday() < 5

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        day = start
        while n == 0 and not self.is_working_day(day):
            day += DAY
        while n > 0:
            day += DAY
            n -= self.is_working_day(day)
        return day

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + i * DAY))


def calendar_of(engine: Any) -> Any:
    """The engine's working calendar, or the weekday fallback."""
    return getattr(engine, "calendar", None) or WeekdayCalendar()


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
