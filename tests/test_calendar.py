"""The working-day calendar: chinese-calendar's years, yearly YAML files, durations and the `calendar` commands."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import pytest

from engine.calendar import CalendarError, Duration, WorkingCalendar
from engine.cli import main
from engine.core import Engine
from engine.errors import DomainError, InvalidDefinition, InvalidInput

D = dt.date
SPRING_2025 = [D(2025, 1, 28) + dt.timedelta(days=n) for n in range(8)]  # 1-28 … 2-04
NATIONAL_2025 = [D(2025, 10, 1) + dt.timedelta(days=n) for n in range(8)]  # 10-01 … 10-08

# An administrator's file for a year chinese-calendar does not know (the dates only illustrate the format).
YEAR_2027 = """\
year: 2027
holidays:
  - {date: 2027-01-01, name: 元旦}
  - {from: 2027-02-06, to: 2027-02-13, name: 春节}
workdays:
  - {date: 2027-02-14, name: 春节调休}
"""


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar.load([])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "2027.yaml").write_text(YEAR_2027, encoding="utf-8")
    return tmp_path


def test_spring_festival_2025_and_its_make_up_days_match_chinese_calendar(calendar):
    assert [calendar.is_working_day(day) for day in SPRING_2025] == [False] * 8
    assert calendar.is_working_day(D(2025, 1, 26)) and calendar.is_working_day(D(2025, 2, 8))  # Sunday, Saturday
    assert D(2025, 1, 26).weekday() == 6 and D(2025, 2, 8).weekday() == 5
    january_february = [D(2025, 1, 1) + dt.timedelta(days=n) for n in range(59)]
    assert [calendar.is_working_day(day) for day in january_february] == \
        [chinese_calendar.is_workday(day) for day in january_february]
    assert calendar.day_name(D(2025, 1, 28)) == "春节" and calendar.day_name(D(2025, 2, 8)) == "春节调休"
    assert calendar.day_name(D(2025, 2, 10)) is None


def test_working_day_deadlines_across_the_2025_spring_festival(calendar):
    friday = D(2025, 1, 24)
    assert calendar.add_working_days(friday, 1) == D(2025, 1, 26)  # the make-up Sunday counts
    assert calendar.add_working_days(friday, 2) == D(2025, 1, 27)
    assert calendar.add_working_days(friday, 3) == D(2025, 2, 5)  # then eight days off
    assert calendar.add_working_days(friday, 5) == D(2025, 2, 7)
    assert calendar.add_working_days(friday, 6) == D(2025, 2, 8)  # the make-up Saturday
    assert calendar.add_working_days(friday, 7) == D(2025, 2, 10)
    assert calendar.add_working_days(friday, 0) == friday
    assert calendar.add_working_days(D(2025, 1, 28), 0) == D(2025, 2, 5)  # a day off: the next working day
    assert calendar.working_days_between(friday, D(2025, 2, 7)) == 5
    assert calendar.working_days_between(D(2025, 2, 7), friday) == -5
    assert calendar.working_days_between(D(2025, 1, 27), D(2025, 2, 4)) == 0
    assert calendar.working_days_between(friday, friday) == 0
    assert Duration.parse("5 working days").after(friday, calendar) == D(2025, 2, 7)
    assert Duration.parse("5个工作日").after(friday, calendar) == D(2025, 2, 7)
    assert Duration.parse("5 days").after(friday, calendar) == D(2025, 1, 29)  # calendar days ignore holidays


def test_national_day_2025_and_ordinary_weekends(calendar):
    assert not any(calendar.is_working_day(day) for day in NATIONAL_2025)
    assert calendar.is_working_day(D(2025, 9, 28)) and calendar.is_working_day(D(2025, 10, 11))
    assert calendar.day_name(D(2025, 10, 6)) == "中秋"
    assert calendar.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert calendar.working_days_between(D(2025, 9, 26), D(2025, 10, 12)) == 6  # 9-28 … 9-30, 10-09 … 10-11
    assert [calendar.is_working_day(D(2025, 3, n)) for n in range(7, 11)] == [True, False, False, True]  # Fri–Mon
    assert calendar.add_working_days(D(2025, 3, 7), 1) == D(2025, 3, 10)
    expected = len(chinese_calendar.get_workdays(D(2024, 12, 31), D(2026, 1, 5)))
    assert calendar.working_days_between(D(2024, 12, 30), D(2026, 1, 5)) == expected == 1 + 248 + 2  # across years


def test_a_date_outside_the_known_years_is_an_error_not_a_guess(calendar):
    known = calendar.known_years()
    assert known.start == 2004 and known.stop - 1 == 2026
    for attempt in (lambda: calendar.is_working_day(D(2027, 3, 1)),
                    lambda: calendar.working_days_between(D(2026, 12, 1), D(2027, 1, 5))):
        with pytest.raises(CalendarError) as caught:
            attempt()
        assert "no data for 2027-" in caught.value.message and "known years: 2004–2026" in caught.value.message
    with pytest.raises(CalendarError, match="no data for 2027-01-01"):  # counting runs off the end of 2026
        calendar.add_working_days(D(2026, 12, 28), 5)
    with pytest.raises(CalendarError, match="no data for 2003-12-31"):
        calendar.is_working_day(D(2003, 12, 31))
    error = CalendarError("x")
    assert isinstance(error, DomainError) and error.code == "INVALID_INPUT"


@pytest.mark.parametrize("text, amount, unit", [
    ("10 days", 10, "days"), ("1 day", 1, "days"), ("5 working days", 5, "working days"),
    ("1 Working Day", 1, "working days"), ("3 months", 3, "months"), ("1 year", 1, "years"),
    ("5个工作日", 5, "working days"), ("10天", 10, "days"), ("3个月", 3, "months"), ("2年", 2, "years"),
    (" 7  days ", 7, "days"), ("0 days", 0, "days"), (30, 30, "days"), ("30", 30, "days"),
])
def test_every_duration_form(text, amount, unit):
    assert Duration.parse(text) == Duration(amount, unit)


def test_durations_in_months_and_years_keep_the_day_or_take_the_month_end(calendar):
    assert Duration.parse("3个月").after(D(2024, 1, 15), calendar) == D(2024, 4, 15)
    assert Duration.parse("1 month").after(D(2024, 1, 31), calendar) == D(2024, 2, 29)
    assert Duration.parse("1 year").after(D(2024, 2, 29), calendar) == D(2025, 2, 28)
    assert Duration.parse("14 months").after(D(2024, 11, 30), calendar) == D(2026, 1, 30)
    assert Duration.parse("3 years").after(D(2025, 6, 1), calendar) == D(2028, 6, 1)  # no calendar needed
    assert str(Duration.parse("1个工作日")) == "1 working day" and str(Duration.parse("10天")) == "10 days"


@pytest.mark.parametrize("text, message", [
    ("5 workdays", "cannot read '5 workdays' as a duration: write e.g. \"10 days\", \"5 working days\""),
    ("five days", "cannot read 'five days' as a duration"),
    ("-3 days", "cannot read '-3 days' as a duration"),
    ("3.5 days", "cannot read '3.5 days' as a duration"),
    ("", "cannot read '' as a duration"),
    (True, "cannot read True as a duration"),
    (None, "cannot read None as a duration"),
    ("2周", "cannot read '2周' as a duration"),
    ("40000 days", "40000 days is out of range (0 to 36500 days)"),
    ("101 years", "101 years is out of range (0 to 100 years)"),
])
def test_bad_durations_name_where_and_what(text, message):
    with pytest.raises(InvalidInput) as caught:
        Duration.parse(text, "states.in_progress.deadline")
    assert caught.value.message.startswith(f"states.in_progress.deadline: {message}")
    assert caught.value.problems()[0].path == ["states", "in_progress", "deadline"]
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ValueError) as bare:
        Duration.parse(text)
    assert str(bare.value).startswith(message)


def test_a_yearly_file_makes_2027_known_and_replaces_nothing_else(folder):
    calendar = WorkingCalendar.load([folder])
    assert calendar.known_years() == range(2004, 2028)
    assert not calendar.is_working_day(D(2027, 1, 1)) and calendar.day_name(D(2027, 2, 10)) == "春节"
    assert calendar.is_working_day(D(2027, 2, 14)) and D(2027, 2, 14).weekday() == 6
    assert calendar.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 14)
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)  # counting now crosses into 2027
    assert calendar.working_days_between(D(2025, 1, 24), D(2025, 2, 7)) == 5  # chinese-calendar's years unchanged


def test_a_yearly_file_overrides_its_year_entirely(tmp_path):
    (tmp_path / "2025.yaml").write_text("year: 2025\nholidays:\n  - {date: 2025-03-03, name: 试点假日}\n",
                                        encoding="utf-8")
    calendar = WorkingCalendar.load([tmp_path])
    assert not calendar.is_working_day(D(2025, 3, 3))
    assert calendar.is_working_day(D(2025, 1, 28)) and not calendar.is_working_day(D(2025, 1, 26))
    assert calendar.known_years() == range(2004, 2027)


def test_engine_open_loads_the_administrators_calendar_folder(db_url, folder, monkeypatch):
    monkeypatch.setenv("MINSHENG_CALENDARS", str(folder))
    engine = Engine.open(db_url, entry_points=False)
    try:
        assert engine.calendar.known_years() == range(2004, 2028)
        assert engine.calendar.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 14)
    finally:
        engine.close()


def test_engine_open_refuses_a_bad_calendar_file_naming_file_and_line(db_url, tmp_path, monkeypatch):
    (tmp_path / "2027.yaml").write_text(YEAR_2027.replace("2027-02-14", "2027/02/14"), encoding="utf-8")
    monkeypatch.setenv("MINSHENG_CALENDARS", str(tmp_path))
    with pytest.raises(InvalidDefinition) as caught:
        Engine.open(db_url, entry_points=False)
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / '2027.yaml'}:6: workday: unknown date format '2027/02/14': write YYYY-MM-DD, e.g. 2027-01-01"]


def test_a_later_folder_wins_a_year_and_one_folder_holds_a_year_once(folder, tmp_path_factory):
    admin = tmp_path_factory.mktemp("admin")
    (admin / "2027.yaml").write_text(YEAR_2027.replace("2027-01-01", "2027-01-04"), encoding="utf-8")
    calendar = WorkingCalendar.load([folder, admin])
    assert calendar.is_working_day(D(2027, 1, 1)) and not calendar.is_working_day(D(2027, 1, 4))
    (admin / "copy.yaml").write_text(YEAR_2027, encoding="utf-8")
    with pytest.raises(InvalidDefinition) as caught:
        WorkingCalendar.load([folder, admin])
    assert [str(p) for p in caught.value.problems] == [f"{admin / 'copy.yaml'}:1: year 2027 is already in "
                                                       f"{admin / '2027.yaml'}"]


def test_a_missing_administrators_folder_is_an_error(db_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINSHENG_CALENDARS", str(tmp_path / "calendarz"))
    assert main(["calendar", "show", "2025-01"]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'calendarz'}:0: no such calendar folder\n"
    with pytest.raises(InvalidDefinition, match="no such calendar folder"):
        Engine.open(db_url, entry_points=False)


def test_a_year_after_a_gap_is_refused(tmp_path):
    (tmp_path / "2028.yaml").write_text("year: 2028\nholidays: []\n", encoding="utf-8")
    with pytest.raises(InvalidDefinition) as caught:
        WorkingCalendar.load([tmp_path])
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / '2028.yaml'}:1: year 2028 leaves 2027 unknown: add a calendar file for 2027 first"]


BAD_2027 = """\
year: 2027
holiday:
  - {date: 2027-01-01, name: 元旦}
holidays:
  - {date: 2026-12-31, name: 元旦}
  - {date: 01-01, name: 元旦}
  - {from: 2027-02-06, to: 2027-02-13, name: 春节}
  - {from: 2027-02-12, to: 2027-02-14, name: 情人节}
  - {date: 2027-02-30, name: 二月三十}
  - {date: 2027-05-01, nmae: 劳动节}
  - {from: 2027-06-10, to: 2027-06-08, name: 端午}
workdays:
  - {date: 2027-02-07, name: 春节调休}
  - {date: 2027-02-13, name: 春节调休}
  - {date: 2027-03-03, name: 周三}
"""


def test_every_problem_of_a_calendar_file_with_file_and_line(tmp_path, capsys):
    path = tmp_path / "2027.yaml"
    path.write_text(BAD_2027, encoding="utf-8")
    assert main(["calendar", "check", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [f"{path}:{line}: {message}" for line, message in [
        (2, "unknown key 'holiday' in the calendar file (expected holidays, workdays, year)"),
        (5, "holiday: 2026-12-31 is not in 2027, the file's year"),
        (6, "holiday: unknown date format '01-01': write YYYY-MM-DD, e.g. 2027-01-01"),
        (8, "holiday '情人节' (2027-02-12 … 2027-02-14) overlaps '春节' (2027-02-06 … 2027-02-13, line 7)"),
        (9, "holiday: there is no date 2027-02-30"),
        (10, "unknown key 'nmae' in a holiday (expected date, from, name, to)"),
        (10, "holiday: missing name (e.g. name: 春节)"),
        (11, "holiday '端午': to (2027-06-08) is before from (2027-06-10)"),
        (13, "workday 2027-02-07 falls on holiday '春节' (line 7)"),
        (14, "workday 2027-02-13 falls on holiday '春节' (line 7)"),
        (15, "workday 2027-03-03 is a Wednesday, a working day anyway: make-up working days (调休) fall on a "
             "Saturday or Sunday"),
    ]]


@pytest.mark.parametrize("text, line, message", [
    ("", 1, "the file is empty: it needs year, holidays and workdays"),
    ("holidays: []\n", 1, "missing year (e.g. year: 2027)"),
    ("year: 27\n", 1, "year must be a four-digit year such as 2027, got '27'"),
    ("year: 2027\nholidays: {date: 2027-01-01}\n", 2,
     "holidays must be a list of entries such as {date: 2027-01-01, name: 元旦}"),
    ("year: 2027\nholidays:\n  - {date: 2027-01-01, to: 2027-01-02, name: 元旦}\n", 3,
     "holiday: write either date or from and to, not both"),
    ("year: 2027\nworkdays:\n  - {name: 调休}\n", 3, "workday: missing date"),
    ("year: 2027\nholidays:\n  - [2027-01-01]\n", 3, "a holiday must be a mapping"),
    ("year: 2027\nholidays:\n  - {date: 2027-01-01, name: 元旦\n", 4,
     "not valid YAML: expected ',' or '}', but got '<stream end>'"),
    ("- 2027\n", 1, "the calendar file must be a mapping"),
])
def test_calendar_file_structure_problems(tmp_path, capsys, text, line, message):
    path = tmp_path / "2027.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["calendar", "check", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [f"{path}:{line}: {message}"]


def test_calendar_check_accepts_a_good_file_and_refuses_a_missing_one(folder, capsys):
    assert main(["calendar", "check", str(folder / "2027.yaml")]) == 0
    assert capsys.readouterr().out == "1 file(s) OK\n"
    assert main(["calendar", "check", str(folder / "2028.yaml")]) == 2
    assert capsys.readouterr().err == f"error: no such calendar file: {folder / '2028.yaml'}\n"


def test_calendar_show_lists_the_month(capsys):
    assert main(["calendar", "show", "2025-02"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2025-02: 19 working day(s), 9 day(s) off"
    assert out[1:5] == ["2025-02-01 Sat  off      春节", "2025-02-02 Sun  off      春节",
                        "2025-02-03 Mon  off      春节", "2025-02-04 Tue  off      春节"]
    assert out[5] == "2025-02-05 Wed  working" and out[8] == "2025-02-08 Sat  working  春节调休"
    assert out[9] == "2025-02-09 Sun  off" and len(out) == 1 + 28


def test_calendar_show_with_the_administrators_file_and_its_errors(folder, monkeypatch, capsys):
    assert main(["calendar", "show", "2027-02"]) == 2
    assert capsys.readouterr().err.startswith("error: the working-day calendar has no data for 2027-02-01 "
                                              "(known years: 2004–2026)")
    monkeypatch.setenv("MINSHENG_CALENDARS", str(folder))
    assert main(["calendar", "show", "2027-02"]) == 0
    assert "2027-02-14 Sun  working  春节调休" in capsys.readouterr().out.splitlines()
    for month, message in [("2027-13", "there is no month 2027-13"),
                           ("Feb 2027", "month must be written YEAR-MM, e.g. 2025-01, got 'Feb 2027'")]:
        assert main(["calendar", "show", month]) == 2
        assert capsys.readouterr().err == f"error: {message}\n"
