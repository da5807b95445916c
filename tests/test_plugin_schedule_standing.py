"""Maintained standings (``schedule_standing``): after progress reports, transitions and the tick, what
``laggingProjects`` reads for today from the table is what the pace rules compute for the same day (``on`` given),
row for row, cursors included; the table is used only while it is current, and two ticks at once are safe."""
from __future__ import annotations

import datetime as dt
import threading
from typing import Callable

from pony import orm

from engine.api.ids import to_global_id
from engine.core import Engine
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from tests.district import District
from tests.test_plugin_schedule_progress_api import LAGGING, PROGRESS, at, report, started

Gql = Callable[..., dict]


def lagging(gql: Gql, who: str | None, on: str | None = None, **variables: object) -> dict:
    body = gql(who, LAGGING, {"on": on, "first": 100, **variables})
    assert "errors" not in body, body
    return body["data"]["laggingProjects"]


def current_day(engine: Engine) -> str | None:
    with orm.db_session:
        day = Sql(engine.db).scalar("SELECT on_date FROM schedule_standing_day WHERE id = 1")
    return None if day is None else str(day)[:10]


def stored(engine: Engine) -> dict[int, tuple]:
    with orm.db_session:
        return {r[0]: (r[1], r[2]) for r in Sql(engine.db).all(
            "SELECT project_id, lag_cents, colour FROM schedule_standing")}


def agrees(gql: Gql, engine: Engine, who: str = "county_office", **variables: object) -> dict:
    """laggingProjects for today (the table) equals the computation for today's date; returns it."""
    today = engine.clock.today().isoformat()
    from_table, computed = lagging(gql, who, **variables), lagging(gql, who, today, **variables)
    assert from_table == computed
    return from_table


def lags(found: dict) -> list[tuple[str, str, str]]:
    return [(e["node"]["title"], e["node"]["progress"]["lag"], e["node"]["progress"]["colour"])
            for e in found["edges"]]


def test_the_tick_fills_the_table_and_reads_agree(gql: Gql, engine: Engine, district: District) -> None:
    a, b, c = started(district, title="甲"), started(district, title="乙"), started(district, title="丙")
    at(engine, "2024-05-31")
    report(gql, a, 40, "2024-05-31")
    report(gql, b, 10, "2024-05-31")
    assert current_day(engine) is None  # no tick yet: reads compute
    reports = {r.plugin: r for r in engine.tick()}
    # the reports refreshed 甲 and 乙 for today already; 丙 still holds its figures from approval (1 March)
    assert reports["schedule"].summary == "3 standing(s) refreshed for 2024-05-31, 1 changed"
    assert current_day(engine) == "2024-05-31"
    assert stored(engine) == {b: (3167, "red"), c: (4167, "red"), a: (167, "green")}
    found = agrees(gql, engine)
    assert lags(found) == [("丙", "41.67", "red"), ("乙", "31.67", "red"), ("甲", "1.67", "green")]
    assert lags(agrees(gql, engine, minLag="31.67")) == [("丙", "41.67", "red"), ("乙", "31.67", "red")]
    assert {r.plugin: r for r in engine.tick()}["schedule"].summary.endswith(", 0 changed")  # nothing moved


def test_reports_and_transitions_refresh_their_project_in_their_transaction(gql: Gql, engine: Engine,
                                                                           district: District) -> None:
    a, b = started(district, title="甲"), started(district, title="乙")
    at(engine, "2024-05-31")
    engine.tick()
    report(gql, a, 35, "2024-05-31")  # lag 6.67: green
    assert stored(engine)[a] == (667, "green")
    assert lags(agrees(gql, engine)) == [("乙", "41.67", "red"), ("甲", "6.67", "green")]
    refused = gql("county_office", "mutation($input: ReportProgressInput!) { reportProgress(input: $input) "
                                    "{ userErrors { path } } }",
                  {"input": {"projectId": to_global_id("Project", a), "percent": 130, "reportedOn": "2024-05-31"}})
    assert refused["data"]["reportProgress"]["userErrors"] == [{"path": ["input", "percent"]}]
    assert stored(engine)[a] == (667, "green")  # a refused report changes nothing
    fire_transition(engine, district.actor("county_office"), TransitionRequest(b, "pause", {}))
    assert [t for t, _, _ in lags(agrees(gql, engine))] == ["乙", "甲"]  # paused (the clock stops): still under way
    fire_transition(engine, district.actor("edu_clerk"), TransitionRequest(a, "finish", {}))
    found = agrees(gql, engine)
    assert lags(found) == [("乙", "41.40", "red")] and found["totalCount"] == 1  # done: no longer under way;
    # 乙 paused today: 31 May no longer counts, its expected progress is (4 + 30/31) / 12


def test_a_day_without_a_tick_computes_and_the_next_tick_catches_up(gql: Gql, engine: Engine,
                                                                    district: District) -> None:
    pid = started(district, title="甲")
    at(engine, "2024-05-31")
    report(gql, pid, 40, "2024-05-31")
    engine.tick()
    at(engine, "2024-06-30")  # a month later, before the day's tick: the table is yesterday's
    assert lags(agrees(gql, engine)) == [("甲", "10.00", "yellow")]  # computed for today, not the stored 1.67
    assert stored(engine)[pid] == (167, "green")
    engine.tick()
    assert stored(engine)[pid] == (1000, "yellow") and current_day(engine) == "2024-06-30"
    assert lags(agrees(gql, engine)) == [("甲", "10.00", "yellow")]
    body = gql("county_office", PROGRESS, {"id": to_global_id("Project", pid), "on": None})
    assert body["data"]["project"]["progress"]["lag"] == "10.00"


def test_pages_scopes_and_regions_read_from_the_table(gql: Gql, engine: Engine, district: District) -> None:
    county = [started(district, title=f"县{i}") for i in range(5)]
    town = started(district, region="town_a", title="东城镇的")
    at(engine, "2024-05-31")
    for i, pid in enumerate([*county, town]):
        report(gql, pid, 10 + 5 * (i % 3), "2024-05-31")  # equal lags: ordered by project
    engine.tick()
    first = agrees(gql, engine, first=2)
    assert first["totalCount"] == 6 and first["pageInfo"]["hasNextPage"]
    seen = [e["node"]["projectId"] for e in first["edges"]]
    cursor = first["pageInfo"]["endCursor"]
    while cursor:
        page = agrees(gql, engine, first=2, after=cursor)
        seen += [e["node"]["projectId"] for e in page["edges"]]
        cursor = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    everything = agrees(gql, engine)
    assert seen == [e["node"]["projectId"] for e in everything["edges"]] and len(set(seen)) == 6
    assert lags(agrees(gql, engine, "town_a_office")) == [("东城镇的", "21.67", "yellow")]
    assert agrees(gql, engine, "town_b_office")["totalCount"] == 0
    assert len(agrees(gql, engine, None)["edges"]) == 6  # the public: approved projects are published
    region = to_global_id("Region", district.regions["town_a"])
    assert lags(agrees(gql, engine, region=region)) == [("东城镇的", "21.67", "yellow")]


def test_two_ticks_at_once_with_reports_between_leave_the_true_figures(gql: Gql, engine: Engine,
                                                                        district: District) -> None:
    pids = [started(district, title=f"项目{i}") for i in range(30)]
    at(engine, "2024-05-31")
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            engine.tick(dt.date(2024, 5, 31))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            engine.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for i, pid in enumerate(pids[:10]):
        report(gql, pid, 3 * i, "2024-05-31")
    for thread in threads:
        thread.join()
    assert errors == []
    assert current_day(engine) == "2024-05-31"
    found = agrees(gql, engine)
    assert found["totalCount"] == 30
    assert [e["node"]["progress"]["lag"] for e in found["edges"][-10:]] == [
        f"{41.67 - 3 * i:.2f}" for i in range(10)]
