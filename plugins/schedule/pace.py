"""序时进度: expected progress on a date, lag, status (超序时 / 按序时 / 慢序时) and colour. Pure functions.

Rules (also in this package's README, "序时进度"):

- The plan runs from ``start`` to ``end``, both days included; figures are as of the **end** of the day ``on``.
  Before ``start``: 0. Once the elapsed time reaches the planned time: 100 (never more).
- Basis ``month`` (default): each calendar month of the plan weighs 1; a month the plan covers only partly
  weighs its planned days / its days (a plan from 16 March: March weighs 16/31). A month's weight counts once its
  last day has passed (end of May in a January–December plan: 5/12 = 41.67; 15 May: still 4/12). The plan's last
  month counts on the planned end (a plan ending 10 June is at 100 on 10 June).
- Basis ``day``: elapsed days / planned days. Basis ``working_day``: elapsed working days / planned working days,
  from ``calendar.working_days_between(a, b)`` (working days d with a < d ≤ b).
- Suspension stops the clock: each ``stopped`` interval ``(from, until)`` covers the days from ≤ d < until
  (``until`` is the day work resumed; ``None``: still stopped). Those days are left out of the elapsed time, so the
  expected end moves later by as much time as was stopped (by month: two whole months stopped in a twelve-month
  plan give 10/12 at the planned end and 100 two months later).
- Percentages and lags have two places, rounded half up.
"""
from __future__ import annotations

import calendar as gregorian
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Protocol, Sequence

from engine.hookspecs import ProjectProgress
from plugins.schedule.colours import ColourScheme

BASES = ("month", "day", "working_day")
STATUS_LABELS = {"ahead": "超序时", "on_schedule": "按序时", "behind": "慢序时"}
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
DAY = timedelta(days=1)

Span = tuple[date, date]  # both days included


class WorkingDays(Protocol):
    def working_days_between(self, a: date, b: date) -> int: ...


# A project's pace on a date: ``lag`` = expected − reported, in points (positive = behind); ``reported`` is ``None``
# when nothing was reported (lag, status and colour then count it as 0). The same figures the engine's readers ask
# for through ``minsheng_project_progress``, so the hook's type is the pace itself.
Pace = ProjectProgress


def expected_progress(start: date, end: date, on: date, *, basis: str = "month",
                      stopped: Sequence[tuple[date, date | None]] = (), calendar: WorkingDays | None = None
                      ) -> Decimal:
    """The share of the planned period elapsed by the end of ``on``, in percent (0..100, two places, half up).
    Raises ValueError for an end before the start, an unknown basis, a working-day basis without a calendar or
    a stopped interval that ends before it starts; the calendar's own error for a date it does not know."""
    if basis == "working_day":  # the calendar may learn new holidays: computed each time
        return _expected(start, end, on, basis, tuple(stopped), calendar)
    return _calendar_free(start, end, on, basis, tuple(stopped))


@lru_cache(maxsize=4096)
def _calendar_free(start: date, end: date, on: date, basis: str, stopped: tuple[tuple[date, date | None], ...]
                     ) -> Decimal:
    """The month and day bases need no working-day calendar, so their figures are kept: a transition, a report
    and every project sharing a plan ask for the same ones (Decimal is immutable)."""
    return _expected(start, end, on, basis, stopped, None)


def _expected(start: date, end: date, on: date, basis: str, stopped: tuple[tuple[date, date | None], ...],
              calendar: WorkingDays | None) -> Decimal:
    if end < start:
        raise ValueError(f"the planned end {end} is before the planned start {start}")
    if basis not in BASES:
        raise ValueError(f"unknown basis '{basis}' (expected one of: {', '.join(BASES)})")
    if basis == "working_day" and calendar is None:
        raise ValueError("the 'working_day' basis needs a working-day calendar")
    pauses = _pauses(stopped)
    if on < start:
        return Decimal("0.00")
    planned = _measure([(start, end)], basis, calendar)
    active = _without([(start, on)], pauses)
    if planned == 0 or _measure(active, basis, calendar) >= planned:
        return HUNDRED.quantize(CENT)
    if basis == "month":
        active = _without([(start, _last_month_end(on))], pauses)
    return _percent(_measure(active, basis, calendar) / planned)


def assess(expected: Decimal, reported: Decimal | None, scheme: ColourScheme, *, completed: bool = False) -> Pace:
    """Lag, status and colour of ``reported`` progress against ``expected`` (both percent, 0..100).
    Status: |lag| ≤ tolerance → on_schedule; lag < −tolerance → ahead; lag > tolerance → behind. Colour: the
    scheme's band holding the lag, or its ``completed`` colour when ``completed`` and the scheme has one.
    Raises ValueError for a percentage outside 0..100."""
    expected = _checked(expected, "expected")
    shown = None if reported is None else _checked(reported, "reported")
    lag = (expected - (shown or Decimal(0))).quantize(CENT, rounding=ROUND_HALF_UP)
    if abs(lag) <= scheme.tolerance:
        status = "on_schedule"
    else:
        status = "behind" if lag > 0 else "ahead"
    colour = scheme.colour_for(lag, completed=completed)
    return Pace(expected, shown, lag, status, STATUS_LABELS[status], colour.name, colour.label)


def _checked(value: Decimal, what: str) -> Decimal:
    value = Decimal(value)
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError(f"{what} progress must be between 0 and 100, got {value}")
    return value


def _pauses(stopped: Sequence[tuple[date, date | None]]) -> list[Span]:
    """The stopped intervals as inclusive spans (an open one runs to the end of time)."""
    spans: list[Span] = []
    for index, (begun, until) in enumerate(stopped):
        if until is not None and until < begun:
            raise ValueError(f"stopped[{index}]: resumed on {until}, before it stopped on {begun}")
        if until != begun:
            spans.append((begun, date.max if until is None else until - DAY))
    return spans


def _without(spans: list[Span], pauses: list[Span]) -> list[Span]:
    """``spans`` minus every day of ``pauses`` (overlapping pauses count once)."""
    for first, last in pauses:
        kept: list[Span] = []
        for a, b in spans:
            if last < a or first > b:
                kept.append((a, b))
                continue
            if a < first:
                kept.append((a, first - DAY))
            if last < b:
                kept.append((last + DAY, b))
        spans = kept
    return [(a, b) for a, b in spans if a <= b]


def _measure(spans: list[Span], basis: str, calendar: WorkingDays | None) -> Fraction:
    """The time in ``spans`` on the basis: months (partial ones by their share of days), days or working days."""
    if basis == "day":
        return Fraction(sum((b - a).days + 1 for a, b in spans))
    if basis == "working_day":
        assert calendar is not None
        return Fraction(sum(calendar.working_days_between(a - DAY, b) for a, b in spans))
    return sum((_months(a, b) for a, b in spans), Fraction(0))


def _months(a: date, b: date) -> Fraction:
    """Calendar months from ``a`` to ``b`` inclusive, each partial month by its share of days."""
    total = Fraction(0)
    while a <= b:
        length = gregorian.monthrange(a.year, a.month)[1]
        month_end = a.replace(day=length)
        total += Fraction((min(b, month_end) - a).days + 1, length)
        a = month_end + DAY
    return total


def _last_month_end(on: date) -> date:
    """The last day of the last month whose end has passed by the end of ``on``."""
    if (on + DAY).month != on.month:
        return on
    return on.replace(day=1) - DAY


def _percent(share: Fraction) -> Decimal:
    """A share (0..1) in percent, two places, half up, computed exactly."""
    hundredths = share * 10000
    whole = (hundredths.numerator * 2 + hundredths.denominator) // (hundredths.denominator * 2)
    return (Decimal(whole) / 100).quantize(CENT)
