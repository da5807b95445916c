"""序时进度 over HTTP: ``Project.progress`` (expected progress, lag, status, colour) at month ends, across a
suspension (暂缓 stops the clock), for work that is done; ``laggingProjects`` most behind first, filtered and
scoped (a unit clerk, a town office of another area, the public)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import pytest

from engine.api.ids import to_global_id
from engine.core import Engine
from engine.transition import TransitionRequest, fire_transition
from tests.district import District

Gql = Callable[..., dict]
PROGRESS = ("query($id: ID!, $on: Date) { project(id: $id) { progress(on: $on) { on basis expected reported "
            "reportedOn lag status statusLabel colour colourLabel } } }")
LAGGING = ("query($region: ID, $minLag: Decimal, $on: Date, $first: Int, $after: String) { laggingProjects("
           "region: $region, minLag: $minLag, on: $on, first: $first, after: $after) { totalCount "
           "edges { cursor node { projectId title regionName leadUnitName progress { lag colour status } } } "
           "pageInfo { hasNextPage endCursor } } }")
REPORT = ("mutation($input: ReportProgressInput!) { reportProgress(input: $input) { report { percent } "
          "userErrors { code message path } } }")


def started(district: District, region: str = "county", title: str = "城区学校运动场改造",
            unit: str = "edu") -> int:
    """A project of the simple workflow, approved (under way), planned January–December 2024."""
    pid = district.project(region=region, title=title, lead_unit_id=district.units[unit],
                           planned_start=dt.date(2024, 1, 1), planned_end=dt.date(2024, 12, 31))
    fire_transition(district.engine, district.actor("committee"), TransitionRequest(pid, "approve",
                                                                                    {"decision_no": "A-1"}))
    return pid


def report(gql: Gql, pid: int, percent: int, on: str, who: str = "county_office") -> None:
    body = gql(who, REPORT, {"input": {"projectId": to_global_id("Project", pid), "percent": percent,
                                       "reportedOn": on, "narrative": "按计划推进"}})
    assert body["data"]["reportProgress"]["userErrors"] == [], body


def progress(gql: Gql, who: str | None, pid: int, on: str | None = None) -> dict | None:
    body = gql(who, PROGRESS, {"id": to_global_id("Project", pid), "on": on})
    assert "errors" not in body, body
    project = body["data"]["project"]
    return None if project is None else project["progress"]


def at(engine: Engine, day: str) -> None:
    engine.clock.set(f"{day}T10:00:00")


def test_expected_progress_at_month_ends_and_the_lag(gql: Gql, engine: Engine, district: District) -> None:
    pid = started(district)
    at(engine, "2024-05-31")
    assert progress(gql, "county_office", pid)["reported"] is None  # nothing reported: lag counts it as 0
    report(gql, pid, 30, "2024-05-31")
    assert progress(gql, "county_office", pid) == {
        "on": "2024-05-31", "basis": "month", "expected": "41.67", "reported": "30", "reportedOn": "2024-05-31",
        "lag": "11.67", "status": "BEHIND", "statusLabel": "慢序时", "colour": "yellow", "colourLabel": "黄"}
    assert progress(gql, "county_office", pid, "2024-01-31")["expected"] == "8.33"
    assert progress(gql, "county_office", pid, "2024-12-31")["expected"] == "100.00"
    assert progress(gql, "county_office", pid, "2023-12-31")["expected"] == "0.00"


@pytest.mark.parametrize("percent, lag, colour, status", [
    (32, "9.67", "green", "BEHIND"),  # more than the 5-point tolerance behind, still green
    (37, "4.67", "green", "ON_SCHEDULE"),
    (50, "-8.33", "green", "AHEAD"),
    (11, "30.67", "red", "BEHIND"),
])
def test_colours_and_status_by_lag(gql: Gql, engine: Engine, district: District, percent: int, lag: str,
                                   colour: str, status: str) -> None:
    pid = started(district)
    at(engine, "2024-05-31")
    report(gql, pid, percent, "2024-05-31")
    found = progress(gql, "county_office", pid)
    assert (found["lag"], found["colour"], found["status"]) == (lag, colour, status)


def test_a_suspension_stops_the_clock(gql: Gql, engine: Engine, district: District) -> None:
    pid = started(district)
    at(engine, "2024-03-01")
    fire_transition(engine, district.actor("county_office"), TransitionRequest(pid, "pause", {}))
    assert progress(gql, "county_office", pid, "2024-04-30")["expected"] == "16.67"  # Jan and Feb only
    at(engine, "2024-05-01")
    fire_transition(engine, district.actor("county_office"), TransitionRequest(pid, "resume", {}))
    assert progress(gql, "county_office", pid, "2024-12-31")["expected"] == "83.33"  # two months later …
    assert progress(gql, "county_office", pid, "2025-02-28")["expected"] == "100.00"  # … it reaches 100


def test_a_project_without_a_planned_period_has_no_progress(gql: Gql, district: District) -> None:
    pid = district.project(planned_start=None, planned_end=None)
    assert progress(gql, "county_office", pid) is None


def test_lagging_projects_most_behind_first_and_paged(gql: Gql, engine: Engine, district: District) -> None:
    a, b, c = started(district, title="甲"), started(district, title="乙"), started(district, title="丙")
    draft = district.project(planned_start=dt.date(2024, 1, 1), planned_end=dt.date(2024, 12, 31))  # not under way
    at(engine, "2024-05-31")
    report(gql, a, 40, "2024-05-31")  # lag 1.67
    report(gql, b, 10, "2024-05-31")  # lag 31.67
    report(gql, c, 25, "2024-05-31")  # lag 16.67
    body = gql("county_office", LAGGING, {"minLag": "10"})["data"]["laggingProjects"]
    assert body["totalCount"] == 2
    assert [(e["node"]["title"], e["node"]["progress"]["lag"], e["node"]["progress"]["colour"])
            for e in body["edges"]] == [("乙", "31.67", "red"), ("丙", "16.67", "yellow")]
    everything = gql("county_office", LAGGING, {"first": 2})["data"]["laggingProjects"]
    assert everything["totalCount"] == 3 and everything["pageInfo"]["hasNextPage"]
    rest = gql("county_office", LAGGING, {"first": 2, "after": everything["pageInfo"]["endCursor"]})
    assert [e["node"]["title"] for e in rest["data"]["laggingProjects"]["edges"]] == ["甲"]
    assert to_global_id("Project", draft) not in str(everything)


def test_lagging_projects_are_scoped(gql: Gql, engine: Engine, district: District) -> None:
    county = started(district, title="县里的", unit="edu")
    housing = started(district, title="住建的", unit="housing")
    town = started(district, region="town_a", title="东城镇的")
    at(engine, "2024-05-31")
    for pid in (county, housing, town):
        report(gql, pid, 10, "2024-05-31")
    titles = lambda who, **v: sorted(e["node"]["title"] for e in  # noqa: E731
                                     gql(who, LAGGING, v)["data"]["laggingProjects"]["edges"])
    assert titles("county_office") == ["东城镇的", "住建的", "县里的"]
    assert titles("edu_clerk") == ["东城镇的", "县里的"]  # its unit leads both; not the housing bureau's
    assert titles("town_b_office") == []
    assert titles("town_a_office") == ["东城镇的"]
    assert titles(None) == ["东城镇的", "住建的", "县里的"]  # approved is published: figures are public
    outside = gql("town_b_office", LAGGING, {"region": to_global_id("Region", district.regions["town_a"])})
    assert outside["data"] is None or outside["data"]["laggingProjects"] is None
    assert outside["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_progress_is_public_for_published_projects_and_hidden_otherwise(gql: Gql, engine: Engine,
                                                                       district: District) -> None:
    pid = started(district)
    at(engine, "2024-05-31")
    report(gql, pid, 30, "2024-05-31")
    assert progress(gql, None, pid)["lag"] == "11.67"
    draft = district.project(planned_start=dt.date(2024, 1, 1), planned_end=dt.date(2024, 12, 31))
    body = gql(None, PROGRESS, {"id": to_global_id("Project", draft), "on": None})
    assert body["data"]["project"] is None


def test_bad_arguments_name_the_argument(gql: Gql, district: District) -> None:
    body = gql("county_office", LAGGING, {"first": 0})
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "inputPath": ["first"]}
    body = gql("county_office", LAGGING, {"after": "bm9wZQ=="})
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "inputPath": ["after"]}


def test_a_retried_progress_report_with_an_idempotency_key_is_written_once(gql: Gql, engine: Engine,
                                                                           district: District) -> None:
    from pony import orm

    from engine.storage.sql import Sql

    pid = started(district)
    at(engine, "2024-03-01")
    data = {"projectId": to_global_id("Project", pid), "percent": 20, "reportedOn": "2024-03-01",
            "idempotencyKey": "progress-2024-03"}
    first, again = (gql("county_office", REPORT, {"input": data})["data"]["reportProgress"] for _ in range(2))
    assert first == again == {"report": {"percent": 20}, "userErrors": []}
    with orm.db_session:
        sql = Sql(engine.db)
        assert sql.scalar("SELECT COUNT(*) FROM schedule_progress_report WHERE project_id = ?", (pid,)) == 1
        assert sql.scalar("SELECT COUNT(*) FROM audit_record WHERE project_id = ? AND kind = 'progress'",
                          (pid,)) == 1
