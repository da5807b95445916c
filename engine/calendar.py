"""The working-day calendar (工作日历): weekends, official holidays and make-up working days (调休).

Years come from the ``chinese-calendar`` package; a yearly YAML file (``calendars/2027.yaml`` in the package, or an
administrator's folder named by ``$MINSHENG_CALENDARS``) adds a year or replaces one entirely. A date outside the
known years raises ``CalendarError``: the calendar never guesses that an unknown year has only weekends off.
Deadlines are written as a ``Duration`` ("5 working days", "5个工作日", "3 months") and computed with ``after``.
"""
from __future__ import annotations

import bisect
import calendar as stdlib_calendar
import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import yaml
from yaml.nodes import Node, ScalarNode, SequenceNode

from engine.yaml_nodes import mapping
from engine.errors import DefinitionProblem, DomainError, FieldProblem, InvalidDefinition, InvalidInput

CALENDARS_DIR = Path(__file__).resolve().parent.parent / "calendars"
CALENDARS_ENV = "MINSHENG_CALENDARS"
ONE_DAY = dt.timedelta(days=1)


class CalendarError(DomainError):
    """A date the calendar has no data for (its year is neither in chinese-calendar nor in a calendar file)."""

    code = "INVALID_INPUT"


@dataclass(frozen=True)
class CalendarYear:
    """One year's days off and make-up working days, with their names; ``source`` says where they came from."""

    year: int
    holidays: Mapping[dt.date, str]
    workdays: Mapping[dt.date, str]
    source: str = "chinese-calendar"
    working: tuple[int, ...] = field(init=False, repr=False, compare=False)  # ordinals of working days, sorted

    def __post_init__(self) -> None:
        first, last = dt.date(self.year, 1, 1).toordinal(), dt.date(self.year, 12, 31).toordinal()
        days = (dt.date.fromordinal(n) for n in range(first, last + 1))
        working = tuple(d.toordinal() for d in days
                        if d in self.workdays or (d.weekday() < 5 and d not in self.holidays))
        object.__setattr__(self, "working", working)


def _package_years() -> tuple[range, dict[int, tuple[dict[dt.date, str], dict[dt.date, str]]]]:
    """The years chinese-calendar knows and its holidays and make-up days grouped by year (Chinese names)."""
    import chinese_calendar

    def chinese(value: str) -> str:
        try:
            return chinese_calendar.Holiday(value).chinese
        except ValueError:
            return value

    years = [d.year for d in chinese_calendar.holidays]
    known = range(min(years), max(years) + 1)
    grouped: dict[int, tuple[dict[dt.date, str], dict[dt.date, str]]] = {y: ({}, {}) for y in known}
    for day, value in chinese_calendar.holidays.items():
        grouped[day.year][0][day] = chinese(value)
    for day, value in chinese_calendar.workdays.items():
        grouped[day.year][1][day] = f"{chinese(value)}调休"
    return known, grouped


class WorkingCalendar:
    """Answers which days are working days. Year tables are built the first time a year is asked for."""

    def __init__(self, files: Mapping[int, CalendarYear] | None = None, *, package: bool = True) -> None:
        """``files`` replace or extend chinese-calendar's years (``package=False`` ignores chinese-calendar).
        Raises ``InvalidDefinition`` when the known years would have a gap."""
        self._package, self._package_range = ({}, range(0))
        if package:
            self._package_range, self._package = _package_years()
        self._files = dict(files or {})
        self._years: dict[int, CalendarYear] = {}
        self._known = _contiguous(set(self._package_range) | set(self._files), self._files)

    @classmethod
    def load(cls, folders: Iterable[Path] | None = None, *, package: bool = True) -> WorkingCalendar:
        """chinese-calendar overridden by the calendar files in ``folders`` (default: the package's ``calendars/``
        folder, then ``$MINSHENG_CALENDARS``; a later folder's year wins). Invalid files raise ``InvalidDefinition``
        listing every problem with its file and line."""
        problems: list[DefinitionProblem] = []
        years: dict[int, CalendarYear] = {}
        for folder in default_folders() if folders is None else folders:
            in_folder: dict[int, Path] = {}
            if not Path(folder).is_dir():
                problems.append(DefinitionProblem(str(folder), 0, "no such calendar folder"))
            for path in sorted(Path(folder).glob("*.yaml")):
                year, found = read_file(path)
                problems += found
                if year is not None and year.year in in_folder:
                    message = f"year {year.year} is already in {in_folder[year.year]}"
                    problems.append(DefinitionProblem(str(path), 1, message))
                elif year is not None:
                    in_folder[year.year], years[year.year] = path, year
        if problems:
            raise InvalidDefinition(problems)
        return cls(years, package=package)

    def known_years(self) -> range:
        return self._known

    def year(self, year: int, *, day: dt.date | None = None) -> CalendarYear:
        """The table of ``year``; ``CalendarError`` naming ``day`` (or the year) and the known years if unknown."""
        table = self._years.get(year)
        if table is None:
            if year not in self._known:
                raise CalendarError(_unknown(day or year, self._known))
            table = self._files.get(year) or CalendarYear(year, *self._package[year])
            self._years[year] = table
        return table

    def is_working_day(self, d: dt.date) -> bool:
        table = self.year(d.year, day=d)
        i = bisect.bisect_left(table.working, d.toordinal())
        return i < len(table.working) and table.working[i] == d.toordinal()

    def day_name(self, d: dt.date) -> str | None:
        """The holiday or make-up day's name (e.g. 春节, 春节调休), or ``None`` for an ordinary day."""
        table = self.year(d.year, day=d)
        return table.holidays.get(d) or table.workdays.get(d)

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start``; for ``n == 0``, ``start`` if it is a working day, else the next.
        Raises ``CalendarError`` if the count runs into an unknown year."""
        if n < 0:
            raise ValueError(f"add_working_days counts forward only, got n = {n}")
        table = self.year(start.year, day=start)
        at = start.toordinal()
        i = bisect.bisect_left(table.working, at) if n == 0 else bisect.bisect_right(table.working, at)
        left = max(n - 1, 0)
        while i + left >= len(table.working):
            left -= len(table.working) - i
            table, i = self.year(table.year + 1, day=dt.date(table.year + 1, 1, 1)), 0
        return dt.date.fromordinal(table.working[i + left])

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """The number of working days d with a < d ≤ b; negative (the days b < d ≤ a) when b is before a."""
        if b < a:
            return -self.working_days_between(b, a)
        if a == b:
            return 0
        first, count = a + ONE_DAY, 0
        for year in range(first.year, b.year + 1):
            table = self.year(year, day=first if year == first.year else dt.date(year, 1, 1))
            low = bisect.bisect_left(table.working, first.toordinal())
            count += bisect.bisect_right(table.working, b.toordinal()) - low
        return count


def default_folders() -> list[Path]:
    """The package's ``calendars/`` folder (if installed), then the administrator's ``$MINSHENG_CALENDARS`` if set."""
    admin = os.environ.get(CALENDARS_ENV, "").strip()
    return [*([CALENDARS_DIR] if CALENDARS_DIR.is_dir() else []), *([Path(admin)] if admin else [])]


def month_days(year: int, month: int) -> list[dt.date]:
    """Every day of a month (``ValueError`` for a month that does not exist)."""
    last = stdlib_calendar.monthrange(year, month)[1] if 1 <= month <= 12 and 1 <= year <= 9999 else 0
    if not last:
        raise ValueError(f"there is no month {year}-{month:02d}")
    return [dt.date(year, month, day) for day in range(1, last + 1)]


def _unknown(what: dt.date | int, known: range) -> str:
    years = f"{known.start}–{known.stop - 1}" if known else "none"
    year = what if isinstance(what, int) else what.year
    return (f"the working-day calendar has no data for {what} (known years: {years}); "
            f"an administrator adds a calendar file for {year} (see 'minsheng calendar check')")


def _contiguous(years: set[int], files: Mapping[int, CalendarYear]) -> range:
    """The known years as a range; a calendar file that would leave a year unknown in between is refused."""
    if not years:
        return range(0)
    known = range(min(years), max(years) + 1)
    gaps = [y for y in known if y not in years]
    if gaps:
        late = [files[y] for y in sorted(files) if y > gaps[0]]
        raise InvalidDefinition([DefinitionProblem(year.source, 1, f"year {year.year} leaves {gaps[0]} unknown: "
                                                   f"add a calendar file for {gaps[0]} first") for year in late])
    return known



# -- durations ------------------------------------------------------------------------------------------------------

DAYS, WORKING_DAYS, MONTHS, YEARS = "days", "working days", "months", "years"
_UNITS = {"day": DAYS, "days": DAYS, "天": DAYS, "日": DAYS, "working day": WORKING_DAYS, "working days": WORKING_DAYS,
          "个工作日": WORKING_DAYS, "工作日": WORKING_DAYS, "month": MONTHS, "months": MONTHS, "个月": MONTHS,
          "year": YEARS, "years": YEARS, "年": YEARS}
_LIMITS = {DAYS: 36_500, WORKING_DAYS: 25_000, MONTHS: 1_200, YEARS: 100}  # a hundred years at most
_DURATION = re.compile(r"(\d+)\s*(working\s+days?|days?|months?|years?|个工作日|工作日|天|日|个月|年)\Z", re.IGNORECASE)
EXAMPLES = '"10 days", "5 working days", "3 months", "1 year", "5个工作日", "10天" or "3个月"'


class DurationError(InvalidInput, ValueError):
    """A duration that cannot be read; its ``path`` is ``where`` split at dots, its message starts with ``where``."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__([FieldProblem(where.split(".") if where else [], message)])
        if not where:
            self.message, self.args = message, (message,)


@dataclass(frozen=True)
class Duration:
    """A span of time as deadlines are written: calendar days, working days, months or years."""

    amount: int
    unit: str = DAYS

    @classmethod
    def parse(cls, text: str | int, where: str = "") -> Duration:
        """Read ``"10 days"``, ``"5 working days"``, ``"3 months"``, ``"1 year"``, ``"5个工作日"``, ``"10天"``,
        ``"3个月"`` or a whole number of days; raise ``DurationError`` (``InvalidInput`` and ``ValueError``) naming
        ``where`` and what was wrong."""
        if isinstance(text, int) and not isinstance(text, bool):
            amount, unit = text, DAYS
        elif isinstance(text, str) and (match := _DURATION.match(" ".join(text.split()))):
            amount, unit = int(match.group(1)), _UNITS[" ".join(match.group(2).lower().split())]
        elif isinstance(text, str) and text.strip().isdigit():
            amount, unit = int(text.strip()), DAYS
        else:
            raise DurationError(where, f"cannot read {text!r} as a duration: write e.g. {EXAMPLES}")
        if amount < 0 or amount > _LIMITS[unit]:
            raise DurationError(where, f"{amount} {unit} is out of range (0 to {_LIMITS[unit]} {unit})")
        return cls(amount, unit)

    def after(self, start: dt.date, calendar: WorkingCalendar) -> dt.date:
        """The day this long after ``start``: working days through ``calendar`` (``CalendarError`` outside its
        years); months and years keep the day of the month, or take the month's last day (1-31 + 1 month → 2-28)."""
        if self.unit == WORKING_DAYS:
            return calendar.add_working_days(start, self.amount)
        if self.unit == DAYS:
            return start + dt.timedelta(days=self.amount)
        months = start.month - 1 + self.amount * (12 if self.unit == YEARS else 1)
        year, month = start.year + months // 12, months % 12 + 1
        return dt.date(year, month, min(start.day, stdlib_calendar.monthrange(year, month)[1]))

    def __str__(self) -> str:
        return f"{self.amount} {self.unit[:-1] if self.amount == 1 else self.unit}"


# -- calendar files -------------------------------------------------------------------------------------------------

TOP_KEYS = {"year", "holidays", "workdays"}
HOLIDAY_KEYS = {"date", "from", "to", "name"}
WORKDAY_KEYS = {"date", "name"}
DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")


@dataclass
class _Entry:
    first: dt.date
    last: dt.date
    name: str
    line: int


class _FileReader:
    """Reads one calendar file's YAML nodes, collecting every problem with its line."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[DefinitionProblem] = []
        self.year: int | None = None

    def report(self, node: Node | int, message: str) -> None:
        line = node if isinstance(node, int) else node.start_mark.line + 1
        self.problems.append(DefinitionProblem(self.filename, line, message))

    def pairs(self, node: Node, keys: set[str], where: str) -> dict[str, Node] | None:
        return mapping(node, keys, where, self.report)

    def parse(self, text: str) -> CalendarYear | None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            self.report(mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', None) or exc}")
            return None
        if root is None:
            self.report(1, "the file is empty: it needs year, holidays and workdays")
            return None
        top = self.pairs(root, TOP_KEYS, "the calendar file")
        if top is None:
            return None
        self.year = self.read_year(top.get("year"), root)
        holidays = self.entries(top.get("holidays"), HOLIDAY_KEYS, "holiday")
        workdays = self.entries(top.get("workdays"), WORKDAY_KEYS, "workday")
        self.check_overlaps(holidays, "holiday")
        self.check_overlaps(workdays, "workday")
        self.check_workdays(workdays, holidays)
        if self.problems or self.year is None:
            return None
        return CalendarYear(self.year, _days(holidays), _days(workdays), source=self.filename)

    def read_year(self, node: Node | None, root: Node) -> int | None:
        if node is None:
            self.report(root, "missing year (e.g. year: 2027)")
            return None
        text = node.value if isinstance(node, ScalarNode) else ""
        if not re.fullmatch(r"\d{4}", text) or not 1900 <= int(text) <= 2199:
            self.report(node, f"year must be a four-digit year such as 2027, got '{text or '?'}'")
            return None
        return int(text)

    def entries(self, node: Node | None, keys: set[str], kind: str) -> list[_Entry]:
        if node is None or (isinstance(node, ScalarNode) and node.value in ("", "null", "~")):
            return []
        if not isinstance(node, SequenceNode):
            self.report(node, f"{kind}s must be a list of entries such as {{date: 2027-01-01, name: 元旦}}")
            return []
        found = [self.entry(item, keys, kind) for item in node.value]
        return [entry for entry in found if entry is not None]

    def entry(self, node: Node, keys: set[str], kind: str) -> _Entry | None:
        pairs = self.pairs(node, keys, f"a {kind}")
        if pairs is None:
            return None
        name = pairs.get("name")
        if not isinstance(name, ScalarNode) or not name.value.strip():
            self.report(name or node, f"{kind}: missing name (e.g. name: 春节)")
        if "date" in pairs and ("from" in pairs or "to" in pairs):
            self.report(node, f"{kind}: write either date or from and to, not both")
            return None
        if "date" not in pairs and not ("from" in pairs and "to" in pairs):
            self.report(node, f"{kind}: missing date" + (" (or from and to)" if kind == "holiday" else ""))
            return None
        first = self.date(pairs.get("date") or pairs["from"], kind)
        last = self.date(pairs["to"], kind) if "to" in pairs else first
        if first is None or last is None or not isinstance(name, ScalarNode):
            return None
        if last < first:
            self.report(pairs["to"], f"{kind} '{name.value}': to ({last}) is before from ({first})")
            return None
        return _Entry(first, last, name.value.strip(), node.start_mark.line + 1)

    def date(self, node: Node, kind: str) -> dt.date | None:
        text = node.value if isinstance(node, ScalarNode) else "?"
        match = DATE.match(text)
        if match is None:
            self.report(node, f"{kind}: unknown date format '{text}': write YYYY-MM-DD, e.g. 2027-01-01")
            return None
        try:
            day = dt.date(*map(int, match.groups()))
        except ValueError:
            self.report(node, f"{kind}: there is no date {text}")
            return None
        if self.year is not None and day.year != self.year:
            self.report(node, f"{kind}: {day} is not in {self.year}, the file's year")
            return None
        return day

    def check_overlaps(self, entries: list[_Entry], kind: str) -> None:
        ordered = sorted(entries, key=lambda e: (e.first, e.line))
        for before, after in zip(ordered, ordered[1:]):
            if after.first <= before.last:
                self.report(max(before.line, after.line), f"{kind} '{after.name}' ({_span(after)}) overlaps "
                            f"'{before.name}' ({_span(before)}, line {min(before.line, after.line)})")

    def check_workdays(self, workdays: list[_Entry], holidays: list[_Entry]) -> None:
        for work in workdays:
            hit = next((h for h in holidays if h.first <= work.first <= h.last), None)
            if hit is not None:
                self.report(work.line, f"workday {work.first} falls on holiday '{hit.name}' (line {hit.line})")
            elif work.first.weekday() < 5:
                self.report(work.line, f"workday {work.first} is a {work.first:%A}, a working day anyway: "
                            "make-up working days (调休) fall on a Saturday or Sunday")


def _span(entry: _Entry) -> str:
    return str(entry.first) if entry.first == entry.last else f"{entry.first} … {entry.last}"


def _days(entries: list[_Entry]) -> dict[dt.date, str]:
    days: dict[dt.date, str] = {}
    for entry in entries:
        for n in range(entry.first.toordinal(), entry.last.toordinal() + 1):
            days[dt.date.fromordinal(n)] = entry.name
    return days


def read_file(path: Path) -> tuple[CalendarYear | None, list[DefinitionProblem]]:
    """A calendar file's year, or ``None`` with every problem (file and line) found in it."""
    reader = _FileReader(str(path))
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        return None, [DefinitionProblem(str(path), 0, f"cannot read file: {exc.strerror or exc}")]
    except UnicodeDecodeError:
        return None, [DefinitionProblem(str(path), 1, "the file is not UTF-8 text")]
    year = reader.parse(text.replace("\r\n", "\n"))
    return year, sorted(reader.problems, key=lambda problem: problem.line)
