"""序时进度 (issue 8, item 4): expected progress by month, day and working day, suspensions, lag, status and
colour flags, and colour scheme files with every problem reported by file and line. Pure: no database."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from engine.errors import InvalidDefinition
from plugins.schedule.colours import DEFAULT_PATH, FIVE_COLOUR_PATH, SCHEME_ENV, ColourScheme
from plugins.schedule.pace import Pace, assess, expected_progress

JAN1, DEC31 = date(2024, 1, 1), date(2024, 12, 31)


def progress(on: date, **options) -> str:
    """Expected progress of a January–December 2024 plan, as text (so '8.33' also checks the two places)."""
    return str(expected_progress(JAN1, DEC31, on, **options))


# --- basis "month" -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("on, expected", [
    (date(2024, 1, 31), "8.33"), (date(2024, 2, 29), "16.67"), (date(2024, 5, 31), "41.67"),
    (date(2024, 6, 30), "50.00"), (date(2024, 11, 30), "91.67"), (date(2024, 12, 31), "100.00"),
])
def test_month_ends_of_a_january_to_december_plan(on: date, expected: str) -> None:
    assert progress(on) == expected


def test_a_month_counts_only_once_its_last_day_has_passed() -> None:
    assert progress(date(2024, 5, 1)) == "33.33"
    assert progress(date(2024, 5, 30)) == "33.33"  # 4/12 until the end of May
    assert progress(date(2024, 1, 30)) == "0.00"
    assert progress(date(2024, 12, 30)) == "91.67"


def test_before_the_start_is_zero_and_after_the_end_is_a_hundred() -> None:
    assert progress(date(2023, 12, 31)) == "0.00"
    assert progress(date(2020, 6, 1)) == "0.00"
    assert progress(date(2025, 1, 1)) == "100.00"
    assert progress(date(2030, 6, 30)) == "100.00"


def test_a_plan_starting_and_ending_mid_month_weighs_partial_months_by_their_days() -> None:
    # 16 March – 10 June 2024: March weighs 16/31, April and May 1 each, June 10/30 → 2.8495 months planned
    plan = (date(2024, 3, 16), date(2024, 6, 10))
    assert str(expected_progress(*plan, date(2024, 3, 20))) == "0.00"
    assert str(expected_progress(*plan, date(2024, 3, 31))) == "18.11"  # (16/31) / 2.8495
    assert str(expected_progress(*plan, date(2024, 4, 30))) == "53.21"  # (16/31 + 1) / 2.8495
    assert str(expected_progress(*plan, date(2024, 6, 9))) == "88.30"  # June not passed yet: (16/31 + 2) / 2.8495
    assert str(expected_progress(*plan, date(2024, 6, 10))) == "100.00"  # the plan's last month ends on its end


def test_a_one_day_plan() -> None:
    day = date(2024, 3, 5)
    assert str(expected_progress(day, day, day - timedelta(days=1))) == "0.00"
    assert str(expected_progress(day, day, day)) == "100.00"


# --- bases "day" and "working_day" -------------------------------------------------------------------------

def test_day_basis_is_elapsed_days_over_planned_days() -> None:
    plan = (date(2025, 1, 1), date(2025, 12, 31))  # 365 days
    assert str(expected_progress(*plan, date(2025, 1, 1), basis="day")) == "0.27"  # 1/365
    assert str(expected_progress(*plan, date(2025, 7, 2), basis="day")) == "50.14"  # 183/365
    assert str(expected_progress(*plan, date(2025, 12, 31), basis="day")) == "100.00"
    assert progress(date(2024, 7, 1), basis="day") == "50.00"  # 183 of 366 days in the leap year


class FakeCalendar:
    """Monday to Friday are working days, plus listed make-up days, minus listed holidays; knows 2025 only."""

    def __init__(self, holidays: set[date] = frozenset(), make_up: set[date] = frozenset()) -> None:
        self.holidays, self.make_up = holidays, make_up

    def is_working_day(self, day: date) -> bool:
        if day.year != 2025:
            raise LookupError(f"no calendar for {day.year}")
        return day in self.make_up or (day.weekday() < 5 and day not in self.holidays)

    def working_days_between(self, a: date, b: date) -> int:
        if b < a:
            return -self.working_days_between(b, a)
        return sum(self.is_working_day(a + timedelta(days=n)) for n in range(1, (b - a).days + 1))


def test_working_day_basis_counts_working_days_only() -> None:
    plan = (date(2025, 3, 3), date(2025, 3, 14))  # Monday to Friday of the next week: 10 working days
    calendar = FakeCalendar()
    on = {day: str(expected_progress(*plan, date(2025, 3, day), basis="working_day", calendar=calendar))
          for day in (3, 7, 8, 9, 10, 14)}
    assert on == {3: "10.00", 7: "50.00", 8: "50.00", 9: "50.00", 10: "60.00", 14: "100.00"}


def test_working_day_basis_follows_the_calendars_holidays_and_make_up_days() -> None:
    # a holiday on Wednesday 5 March and a make-up working Saturday on 8 March: still 10 working days planned
    calendar = FakeCalendar(holidays={date(2025, 3, 5)}, make_up={date(2025, 3, 8)})
    plan = (date(2025, 3, 3), date(2025, 3, 14))
    assert str(expected_progress(*plan, date(2025, 3, 5), basis="working_day", calendar=calendar)) == "20.00"
    assert str(expected_progress(*plan, date(2025, 3, 8), basis="working_day", calendar=calendar)) == "50.00"


def test_working_day_basis_needs_a_calendar_and_passes_on_its_errors() -> None:
    with pytest.raises(ValueError, match="'working_day' basis needs a working-day calendar"):
        expected_progress(date(2025, 3, 3), date(2025, 3, 14), date(2025, 3, 5), basis="working_day")
    with pytest.raises(LookupError, match="no calendar for 2026"):  # never a silent weekday guess
        expected_progress(date(2025, 12, 1), date(2026, 1, 30), date(2025, 12, 5), basis="working_day",
                          calendar=FakeCalendar())


# --- suspension ---------------------------------------------------------------------------------------------

TWO_MONTHS = [(date(2024, 3, 1), date(2024, 5, 1))]  # stopped 1 March, resumed 1 May: March and April


@pytest.mark.parametrize("on, expected", [
    (date(2024, 2, 29), "16.67"),  # before the suspension
    (date(2024, 3, 31), "16.67"), (date(2024, 4, 30), "16.67"),  # during: the clock stands
    (date(2024, 5, 31), "25.00"),  # after: May is the third month of work
    (date(2024, 12, 31), "83.33"),  # the planned end: 10/12
    (date(2025, 1, 31), "91.67"), (date(2025, 2, 27), "91.67"),
    (date(2025, 2, 28), "100.00"),  # two months after the planned end
])
def test_a_two_month_suspension_stops_the_clock_and_moves_the_end(on: date, expected: str) -> None:
    assert progress(on, stopped=TWO_MONTHS) == expected


def test_a_suspension_still_running_holds_the_clock() -> None:
    still = [(date(2024, 3, 1), None)]
    assert progress(date(2024, 12, 31), stopped=still) == "16.67"
    assert progress(date(2026, 12, 31), stopped=still) == "16.67"


def test_suspensions_by_day_overlaps_count_once_and_same_day_resumption_costs_nothing() -> None:
    plan = (date(2025, 1, 1), date(2025, 4, 10))  # 100 days
    stopped = [(date(2025, 1, 11), date(2025, 1, 21)), (date(2025, 1, 16), date(2025, 1, 21)),
               (date(2025, 2, 1), date(2025, 2, 1))]  # 10 days stopped; the overlap and the empty one add nothing
    assert str(expected_progress(*plan, date(2025, 1, 20), basis="day", stopped=stopped)) == "10.00"
    assert str(expected_progress(*plan, date(2025, 4, 10), basis="day", stopped=stopped)) == "90.00"
    assert str(expected_progress(*plan, date(2025, 4, 20), basis="day", stopped=stopped)) == "100.00"
    assert str(expected_progress(*plan, date(2025, 4, 19), basis="day", stopped=stopped)) == "99.00"


def test_a_suspension_before_the_start_changes_nothing() -> None:
    assert progress(date(2024, 5, 31), stopped=[(date(2023, 6, 1), date(2023, 9, 1))]) == "41.67"


@pytest.mark.parametrize("call, message", [
    (lambda: expected_progress(DEC31, JAN1, JAN1), "the planned end 2024-01-01 is before the planned start"),
    (lambda: expected_progress(JAN1, DEC31, JAN1, basis="week"),
     "unknown basis 'week' \\(expected one of: month, day, working_day\\)"),
    (lambda: expected_progress(JAN1, DEC31, JAN1, stopped=[(date(2024, 5, 1), date(2024, 4, 1))]),
     "stopped\\[0\\]: resumed on 2024-04-01, before it stopped on 2024-05-01"),
])
def test_bad_input_is_refused_saying_what(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# --- assess: lag, status, colour ---------------------------------------------------------------------------

DEFAULT = ColourScheme.default()
FIVE = ColourScheme.load(FIVE_COLOUR_PATH)


def test_assess_gives_every_figure_a_reader_needs() -> None:
    pace = assess(Decimal("41.67"), Decimal("20"), DEFAULT)
    assert pace == Pace(expected=Decimal("41.67"), reported=Decimal("20"), lag=Decimal("21.67"), status="behind",
                        status_label="慢序时", colour="yellow", colour_label="黄")
    assert str(pace.lag) == "21.67"


@pytest.mark.parametrize("reported, lag, colour, label", [
    ("100", "-50.00", "green", "绿"), ("50", "0.00", "green", "绿"), ("40.01", "9.99", "green", "绿"),
    ("40", "10.00", "yellow", "黄"),  # exactly 10 points behind: yellow
    ("20", "30.00", "yellow", "黄"),  # exactly 30 points behind: yellow
    ("19.99", "30.01", "red", "红"), ("0", "50.00", "red", "红"),
])
def test_default_colour_bands_and_their_edges(reported: str, lag: str, colour: str, label: str) -> None:
    pace = assess(Decimal("50"), Decimal(reported), DEFAULT)
    assert (str(pace.lag), pace.colour, pace.colour_label) == (lag, colour, label)


@pytest.mark.parametrize("reported, status, label", [
    ("60", "ahead", "超序时"), ("55.01", "ahead", "超序时"),
    ("55", "on_schedule", "按序时"), ("50", "on_schedule", "按序时"), ("45", "on_schedule", "按序时"),
    ("44.99", "behind", "慢序时"), ("10", "behind", "慢序时"),
])
def test_status_by_the_schemes_tolerance_of_five_points(reported: str, status: str, label: str) -> None:
    pace = assess(Decimal("50"), Decimal(reported), DEFAULT)
    assert (pace.status, pace.status_label) == (status, label)


def test_status_and_colour_are_separate_a_little_behind_is_still_green() -> None:
    pace = assess(Decimal("50"), Decimal("43"), DEFAULT)
    assert (pace.status, pace.colour) == ("behind", "green")


def test_no_report_counts_as_zero_but_stays_visible_as_none() -> None:
    pace = assess(Decimal("41.67"), None, DEFAULT)
    assert (pace.reported, str(pace.lag), pace.status, pace.colour) == (None, "41.67", "behind", "red")
    assert assess(Decimal("0"), None, DEFAULT).status == "on_schedule"


def test_the_five_colour_scheme_marks_completed_projects_blue() -> None:
    assert assess(Decimal("100"), Decimal("100"), FIVE, completed=True).colour == "blue"
    blue = assess(Decimal("100"), Decimal("60"), FIVE, completed=True)  # accepted, whatever the reports said
    assert (blue.colour, blue.colour_label, blue.status) == ("blue", "蓝", "behind")
    lags = {lag: assess(Decimal("50"), Decimal(50) - Decimal(lag), FIVE).colour
            for lag in ("-10", "5", "5.01", "15", "15.01", "30", "30.01")}
    assert lags == {"-10": "green", "5": "green", "5.01": "yellow", "15": "yellow", "15.01": "orange",
                    "30": "orange", "30.01": "red"}


def test_a_scheme_without_a_completed_colour_colours_completed_projects_by_lag() -> None:
    assert assess(Decimal("100"), Decimal("100"), DEFAULT, completed=True).colour == "green"


@pytest.mark.parametrize("expected, reported, message", [
    ("50", "130", "reported progress must be between 0 and 100, got 130"),
    ("50", "-1", "reported progress must be between 0 and 100, got -1"),
    ("100.5", "50", "expected progress must be between 0 and 100, got 100.5"),
])
def test_assess_refuses_percentages_outside_0_to_100(expected: str, reported: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        assess(Decimal(expected), Decimal(reported), DEFAULT)


# --- scheme files -------------------------------------------------------------------------------------------

def test_the_deployments_scheme_comes_from_the_environment(tmp_path: Path) -> None:
    assert ColourScheme.configured({}).source == str(DEFAULT_PATH)
    assert ColourScheme.configured({SCHEME_ENV: str(FIVE_COLOUR_PATH)}).completed.name == "blue"
    with pytest.raises(InvalidDefinition) as caught:
        ColourScheme.configured({SCHEME_ENV: str(tmp_path / "missing.yaml")})
    assert str(caught.value) == f"{tmp_path / 'missing.yaml'}:0: cannot read file: No such file or directory"


def test_a_custom_scheme_with_decimal_edges(tmp_path: Path) -> None:
    path = tmp_path / "strict.yaml"
    path.write_text("tolerance: 0\ncolours:\n  ok: {label: 正常}\n  late: {label: 滞后, hex: '#ff0000'}\n"
                    "bands:\n  - {colour: ok, up_to: 2.5}\n  - colour: late\n", encoding="utf-8")
    scheme = ColourScheme.load(path)
    assert [assess(Decimal(50), Decimal(50) - Decimal(lag), scheme).colour for lag in ("2.5", "2.51")] == \
        ["ok", "late"]
    assert assess(Decimal(50), Decimal("49.99"), scheme).status == "behind"
    assert scheme.colours["late"].hex == "#ff0000"


VALID_TOP = "colours:\n  green: {label: 绿}\n  red: {label: 红}\n"


def problems_of(tmp_path: Path, text: str) -> list[str]:
    """Every problem the loader reports for a file with ``text``, as ``file:line: message`` with the path cut."""
    path = tmp_path / "scheme.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidDefinition) as caught:
        ColourScheme.load(path)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"{path}:") for line in lines)
    return [line.removeprefix(f"{tmp_path}/") for line in lines]


@pytest.mark.parametrize("text, expected", [
    pytest.param(VALID_TOP + "bands:\n  - colour: red\nlimits: 3\n",
                 ["scheme.yaml:6: unknown key 'limits' in the colour scheme (expected one of: bands, colours, "
                  "completed, tolerance)"], id="unknown-top-key"),
    pytest.param(VALID_TOP + "bands:\n  - colour: green\n    below: 10\n    over: 3\n  - colour: red\n",
                 ["scheme.yaml:7: unknown key 'over' in band 1 (expected one of: below, colour, up_to)"],
                 id="unknown-band-key"),
    pytest.param(VALID_TOP + "bands:\n  - {colour: green, up_to: 10}\n  - {colour: red, below: 10}\n"
                 "  - colour: green\n",
                 ["scheme.yaml:6: band 2: overlaps band 1 (both end at 10), so it holds no lag"], id="overlap"),
    pytest.param(VALID_TOP + "bands:\n  - {colour: green, below: 30}\n  - {colour: red, up_to: 10}\n"
                 "  - colour: green\n",
                 ["scheme.yaml:6: band 2: bound 10 is below band 1's bound 30: list bands from least to most "
                  "behind"], id="unordered"),
    pytest.param("colours:\n  green: {label: 绿}\n  red:\n    hex: '#ff0000'\nbands:\n  - colour: red\n",
                 ["scheme.yaml:3: colour 'red': missing 'label'"], id="colour-without-label"),
    pytest.param("colours:\n  green:\nbands:\n  - colour: green\n",
                 ["scheme.yaml:2: colour 'green' must be a mapping (with 'label')"], id="colour-without-mapping"),
    pytest.param("colours:\n  green: {label: ''}\nbands:\n  - colour: green\n",
                 ["scheme.yaml:2: colour 'green': label must be a non-empty text"], id="empty-label"),
    pytest.param(VALID_TOP + "bands:\n  - {colour: green, below: ten}\n  - colour: red\n",
                 ["scheme.yaml:5: band 1: below must be a number, got 'ten'"], id="bad-number"),
    pytest.param("tolerance: -1\n" + VALID_TOP + "bands:\n  - colour: red\n",
                 ["scheme.yaml:1: tolerance must not be negative, got -1"], id="negative-tolerance"),
    pytest.param("tolerance: [5]\n" + VALID_TOP + "bands:\n  - colour: red\n",
                 ["scheme.yaml:1: tolerance must be a number, got a sequence"], id="tolerance-not-a-number"),
    pytest.param(VALID_TOP + "bands:\n  - {colour: green, below: .inf}\n  - colour: red\n",
                 ["scheme.yaml:5: band 1: below must be a number, got '.inf'"], id="infinite-bound"),
    pytest.param(VALID_TOP + "bands:\n  - {colour: amber, below: 10}\n  - colour: red\ncompleted: blue\n",
                 ["scheme.yaml:5: band 1: unknown colour 'amber' (expected one of: green, red)",
                  "scheme.yaml:7: completed: unknown colour 'blue' (expected one of: green, red)"],
                 id="unknown-colours"),
    pytest.param(VALID_TOP + "bands:\n  - {colour: green, below: 10}\n  - {colour: red, up_to: 30}\n",
                 ["scheme.yaml:6: band 2: the last band must have no bound, so that every lag has a colour "
                  "(remove 'up_to')"], id="last-band-bounded"),
    pytest.param(VALID_TOP + "bands:\n  - colour: green\n  - colour: red\n",
                 ["scheme.yaml:5: band 1: only the last band may have no bound: give 'below' or 'up_to'"],
                 id="middle-band-open"),
    pytest.param(VALID_TOP + "bands:\n  - {colour: green, below: 10, up_to: 10}\n  - colour: red\n",
                 ["scheme.yaml:5: band 1: give either 'below' or 'up_to', not both"], id="both-edges"),
    pytest.param(VALID_TOP + "bands: []\n", ["scheme.yaml:4: bands must be a non-empty list, from least to most "
                                             "behind"], id="no-bands"),
    pytest.param("tolerance: 5\n", ["scheme.yaml:1: the colour scheme: missing 'colours'",
                                    "scheme.yaml:1: the colour scheme: missing 'bands'"], id="missing-keys"),
    pytest.param(VALID_TOP + "  Green: {label: 绿}\nbands:\n  - colour: red\n",
                 ["scheme.yaml:4: colour name 'Green' must be snake_case ([a-z][a-z0-9_]*)"], id="bad-colour-name"),
    pytest.param(VALID_TOP + "  red: {label: 赤}\nbands:\n  - colour: red\n",
                 ["scheme.yaml:4: duplicate colour 'red'"], id="duplicate-colour"),
    pytest.param("colours:\n  green: {label: 绿, hex: green}\nbands:\n  - colour: green\n",
                 ["scheme.yaml:2: colour 'green': hex must be '#rrggbb', got 'green'"], id="bad-hex"),
    pytest.param("- 1\n- 2\n", ["scheme.yaml:1: the colour scheme must be a mapping (with 'colours', 'bands')"],
                 id="not-a-mapping"),
    pytest.param("", ["scheme.yaml:1: the colour scheme file is empty"], id="empty"),
    pytest.param("colours:\n  green: {label: 绿\nbands: []\n",
                 ["scheme.yaml:3: YAML syntax error: expected ',' or '}', but got ':'"], id="syntax"),
])
def test_every_scheme_file_problem_names_file_and_line(tmp_path: Path, text: str, expected: list[str]) -> None:
    assert problems_of(tmp_path, text) == expected


def test_all_problems_of_a_file_are_reported_at_once_in_line_order(tmp_path: Path) -> None:
    text = ("tolerance: lots\ncolours:\n  green: {}\n  red: {label: 红}\nbands:\n  - {colour: green, below: 20}\n"
            "  - {colour: red, below: 10}\n  - colour: red\nextra: 1\n")
    assert problems_of(tmp_path, text) == [
        "scheme.yaml:1: tolerance must be a number, got 'lots'",
        "scheme.yaml:3: colour 'green': missing 'label'",
        "scheme.yaml:7: band 2: bound 10 is below band 1's bound 20: list bands from least to most behind",
        "scheme.yaml:9: unknown key 'extra' in the colour scheme (expected one of: bands, colours, completed, "
        "tolerance)",
    ]


def test_a_scheme_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"colours:\n  green: {label: \xe9}\n")
    with pytest.raises(InvalidDefinition) as caught:
        ColourScheme.load(path)
    assert str(caught.value) == f"{path}:2: the file is not UTF-8 text"


def test_the_shipped_schemes_are_valid() -> None:
    assert [band.colour.name for band in DEFAULT.bands] == ["green", "yellow", "red"]
    assert (DEFAULT.tolerance, DEFAULT.completed) == (Decimal(5), None)
    assert [band.colour.label for band in FIVE.bands] + [FIVE.completed.label] == ["绿", "黄", "橙", "红", "蓝"]


def test_percentages_round_half_up_exactly() -> None:
    start = date(2024, 1, 1)
    plan = (start, start + timedelta(days=799))  # 800 days: one day is 0.125 %
    assert str(expected_progress(*plan, start, basis="day")) == "0.13"
    assert str(expected_progress(*plan, start + timedelta(days=2), basis="day")) == "0.38"  # 0.375
    assert str(assess(Decimal("0.125"), Decimal(0), DEFAULT).lag) == "0.13"


def test_the_readme_example_scheme_is_valid_and_means_what_it_says() -> None:
    readme = (DEFAULT_PATH.parent / "README.md").read_text(encoding="utf-8")
    example = next(block.split("```", 1)[0] for block in readme.split("```yaml\n")[1:] if "bands:" in block)
    scheme = ColourScheme.parse(example, "README.md")
    colours = [assess(Decimal(50), Decimal(50) - Decimal(lag), scheme).colour for lag in ("9.99", "10", "30", "30.01")]
    assert colours == ["green", "yellow", "yellow", "red"]
    assert assess(Decimal(50), Decimal(0), scheme, completed=True).colour == "blue"
