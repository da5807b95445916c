"""The days a project's clock stood still (暂缓), kept per project in ``schedule_stop`` so that a transition reads
only the history written since the last one: after any sequence of suspensions and resumptions across days (the
same day included), ``Project.progress`` over HTTP is what pairing every move from the start gives, with the table
as kept, emptied, or kept for other stopping states; a suspension that a failed write rolled back leaves no trace."""
from __future__ import annotations

import datetime as dt
import random
from typing import Callable

import pytest
from pony import orm

from engine.core import Engine
from engine.directory.admin import add_actor
from engine.hookspecs import hookimpl
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from plugins.schedule.pace import expected_progress
from tests.district import District
from tests.test_plugin_schedule_progress_api import at, progress, started

Gql = Callable[..., dict]
START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)


def expected(moves: list[tuple[dt.date, str]], on: dt.date) -> str:
    """Pairing every pause with the resume after it, from the start (the rule the table must keep)."""
    stopped: list[tuple[dt.date, dt.date | None]] = []
    for day, event in moves:
        if event == "pause":
            stopped.append((day, None))
        else:
            stopped[-1] = (stopped[-1][0], day)
    return str(expected_progress(START, END, on, basis="day", stopped=stopped))


def stored(engine: Engine, pid: int) -> tuple | None:
    with orm.db_session:
        return Sql(engine.db).one("SELECT seq, stopping, intervals FROM schedule_stop WHERE project_id = ?", (pid,))


def forget(engine: Engine, sql: str = "DELETE FROM schedule_stop") -> None:
    with orm.db_session:
        Sql(engine.db).execute(sql)


class FailsLast:
    @hookimpl(trylast=True)
    def minsheng_transition(self, record: object) -> None:
        raise RuntimeError("the disk is full")


@pytest.fixture
def by_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINSHENG_SCHEDULE_BASIS", "day")  # every day counts: a day off shows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_sequence_of_suspensions_gives_the_days_pairing_every_move_gives(
        gql: Gql, engine: Engine, district: District, by_day: None, seed: int) -> None:
    draw = random.Random(seed)
    pid, office = started(district), district.actor("county_office")
    day, moves = dt.date(2024, 2, 1), []
    for n in range(24):
        day += dt.timedelta(days=draw.choice((0, 0, 1, 3, 10)))  # often the same day again
        at(engine, day.isoformat())
        event = "pause" if n % 2 == 0 else "resume"
        fire_transition(engine, office, TransitionRequest(pid, event, {}))
        moves.append((day, event))
        on = day + dt.timedelta(days=draw.choice((0, 5, 40)))
        assert progress(gql, "county_office", pid, on.isoformat())["expected"] == expected(moves, on), (seed, n)
    end = dt.date(2025, 3, 31)
    want = expected(moves, end)
    assert progress(gql, "county_office", pid, end.isoformat())["expected"] == want
    seq, stopping, intervals = stored(engine, pid)
    assert stopping == "paused" and seq > 24  # read up to the last move, for the workflow's stopping state
    assert intervals.count(";") < 12  # touching and empty intervals are not kept one per move
    forget(engine)  # an empty table: read from the start
    assert progress(gql, "county_office", pid, end.isoformat())["expected"] == want
    forget(engine, "INSERT INTO schedule_stop (project_id, seq, stopping, intervals) "
                   f"VALUES ({pid}, 9999, 'another', '2024-01-01/')")  # kept for other stopping states: ignored
    assert progress(gql, "county_office", pid, end.isoformat())["expected"] == want


def test_a_rolled_back_suspension_leaves_nothing_behind(gql: Gql, engine: Engine, district: District,
                                                        by_day: None) -> None:
    pid, office = started(district), district.actor("county_office")
    at(engine, "2024-03-01")
    fire_transition(engine, office, TransitionRequest(pid, "pause", {}))
    at(engine, "2024-03-11")
    fire_transition(engine, office, TransitionRequest(pid, "resume", {}))
    before = stored(engine, pid)
    assert before is not None and before[2] == "2024-03-01/2024-03-11"
    at(engine, "2024-04-01")
    engine.plugins.register(FailsLast(), name="fails_last")  # after the schedule plugin kept the new interval
    with pytest.raises(RuntimeError, match="the disk is full"):
        fire_transition(engine, office, TransitionRequest(pid, "pause", {}))
    engine.plugins.unregister(name="fails_last")
    assert stored(engine, pid) == before
    assert progress(gql, "county_office", pid, "2024-04-10")["expected"] == expected(
        [(dt.date(2024, 3, 1), "pause"), (dt.date(2024, 3, 11), "resume")], dt.date(2024, 4, 10))


def test_every_reader_sees_the_kept_figures_or_nothing_as_the_one_rule_says(
        gql: Gql, engine: Engine, district: District, by_day: None) -> None:
    """The kept intervals change how a figure is computed, never who may read it: a town office of the project's
    town, its lead unit's clerk (also as a deputy) and the public read the same figure, with the table kept or
    emptied; another town's office and another unit's clerk (also as a deputy) read nothing."""
    for unit in ("edu", "housing"):  # a unit clerk who is also a deputy: the unit still bounds what they read
        district.tokens[f"{unit}_deputy"] = add_actor(engine, f"{unit}_deputy", "两个角色", ["unit", "deputy"],
                                                      "county", unit)
    pid, office = started(district, region="town_a"), district.actor("county_office")
    moves = [(dt.date(2024, 3, 1), "pause"), (dt.date(2024, 3, 1), "resume"), (dt.date(2024, 3, 1), "pause"),
             (dt.date(2024, 4, 15), "resume")]
    for day, event in moves:
        at(engine, day.isoformat())
        fire_transition(engine, office, TransitionRequest(pid, event, {}))
    want = expected(moves, dt.date(2024, 6, 30))
    readers = ("county_office", "town_a_office", "town_b_office", "edu_clerk", "housing_clerk", "edu_deputy",
               "housing_deputy", None)

    def seen() -> dict:
        found = {who: progress(gql, who, pid, "2024-06-30") for who in readers}
        return {who: None if p is None else p["expected"] for who, p in found.items()}

    kept = seen()
    assert kept == {"county_office": want, "town_a_office": want, "town_b_office": None, "edu_clerk": want,
                    "housing_clerk": None, "edu_deputy": want, "housing_deputy": None, None: want}
    forget(engine)
    assert seen() == kept
