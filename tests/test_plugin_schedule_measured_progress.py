"""``progress: measures`` in a workflow file: a project's progress is the weighted share of its measures done
(措施/节点完成占比) — in ``Project.progress``, the maintained standing (moved by ``markMeasureDone`` in its own
transaction), ``laggingProjects`` (from the table and computed) and the dashboard figures — while a workflow
without the switch keeps the latest progress report."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Iterator

import pytest

from engine.api.ids import to_global_id
from engine.clock import Clock
from engine.core import Engine
from engine.transition import TransitionRequest, fire_transition
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW
from tests.test_plugin_schedule_progress_api import LAGGING, PROGRESS, at, report
from tests.test_plugin_schedule_records import MARK_DONE, SET_MEASURES, mutate

MEASURED_WORKFLOW = Path(__file__).parent / "workflows" / "measured.yaml"
DASHBOARD = """query { dashboard(year: 2024) { figures { plugin figures { name value } } } }"""


@pytest.fixture
def engine(db_url: str, clock: Clock) -> Iterator[Engine]:
    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False,
                         workflow_files=[DEFAULT_WORKFLOW, SIMPLE_WORKFLOW, MEASURED_WORKFLOW])
    yield engine
    engine.close()


def under_way(gql, district, workflow: str) -> tuple[int, list[str]]:
    """An approved project planned over 2024, with measures weighing 1, 1 and 2."""
    pid = district.project(workflow=workflow, planned_start=dt.date(2024, 1, 1), planned_end=dt.date(2024, 12, 31))
    result = mutate(gql, "county_office", SET_MEASURES, projectId=to_global_id("Project", pid), measures=[
        {"title": title, "unitId": to_global_id("Unit", district.units["edu"]), "dueDate": due, "weight": weight}
        for title, due, weight in (("设计", "2024-03-31", "1"), ("招标", "2024-04-30", "1"),
                                   ("施工", "2024-10-31", "2"))])
    assert result["userErrors"] == []
    fire_transition(district.engine, district.actor("committee"), TransitionRequest(pid, "approve",
                                                                                    {"decision_no": "A-1"}))
    return pid, [m["id"] for m in result["measures"]]


def done(gql, measure_id: str, on: str) -> None:
    assert mutate(gql, "edu_clerk", MARK_DONE, measureId=measure_id, doneOn=on, evidence="验收单")["userErrors"] == []


def progress(gql, pid: int, on: str | None = None) -> dict:
    body = gql("county_office", PROGRESS, {"id": to_global_id("Project", pid), "on": on})
    assert "errors" not in body, body
    return body["data"]["project"]["progress"]


def lagging(gql, on: str | None = None) -> list[tuple[str, str, str]]:
    body = gql("county_office", LAGGING, {"on": on, "first": 100, "minLag": "-100"})
    assert "errors" not in body, body
    return [(e["node"]["title"], e["node"]["progress"]["lag"], e["node"]["progress"]["colour"])
            for e in body["data"]["laggingProjects"]["edges"]]


def actual(gql) -> str:
    body = gql("county_office", DASHBOARD)
    assert "errors" not in body, body
    (schedule,) = [f for f in body["data"]["dashboard"]["figures"] if f["plugin"] == "schedule"]
    return next(f["value"] for f in schedule["figures"] if f["name"] == "actual")


def test_progress_is_the_weighted_share_of_measures_done_where_the_workflow_says_so(gql, engine, district):
    measured, ids = under_way(gql, district, "measured")
    at(engine, "2024-05-31")
    assert (progress(gql, measured)["reported"], progress(gql, measured)["reportedOn"]) == ("0", None)  # none done
    done(gql, ids[0], "2024-03-28")
    assert (progress(gql, measured)["reported"], progress(gql, measured)["reportedOn"]) == ("25", "2024-03-28")
    done(gql, ids[1], "2024-05-06")
    found = progress(gql, measured)
    assert (found["expected"], found["reported"], found["reportedOn"], found["lag"], found["colour"]) == (
        "41.67", "50", "2024-05-06", "-8.33", "green")
    report(gql, measured, 90, "2024-05-31")  # a progress report does not count on this workflow
    assert progress(gql, measured)["reported"] == "50"


def test_a_workflow_without_the_switch_keeps_the_latest_report(gql, engine, district):
    reported, ids = under_way(gql, district, "simple")
    at(engine, "2024-05-31")
    done(gql, ids[0], "2024-03-28")
    assert progress(gql, reported)["reported"] is None
    report(gql, reported, 30, "2024-05-31")
    assert progress(gql, reported)["reported"] == "30"


def test_marking_a_measure_done_moves_the_maintained_standing_lagging_and_the_dashboard(gql, engine, district):
    measured, ids = under_way(gql, district, "measured")
    weights = mutate(gql, "county_office", SET_MEASURES, projectId=to_global_id("Project", measured), measures=[
        {"id": ids[0], "title": "设计", "unitId": to_global_id("Unit", district.units["edu"]),
         "dueDate": "2024-03-31", "weight": "1"},
        {"id": ids[1], "title": "招标", "unitId": to_global_id("Unit", district.units["edu"]),
         "dueDate": "2024-04-30", "weight": "2"}])  # a third measure taken off: weights 1 and 2
    assert weights["userErrors"] == []
    at(engine, "2024-05-31")
    engine.tick(dt.date(2024, 5, 31))  # the table is current for today: reads come from it
    assert lagging(gql) == [("城区学校运动场改造", "41.67", "red")]
    done(gql, ids[0], "2024-04-01")  # a third done (33.33): the standing moves in markMeasureDone's transaction
    assert lagging(gql) == [("城区学校运动场改造", "8.34", "green")] == lagging(gql, "2024-05-31")
    found = progress(gql, measured)
    assert (found["reported"], found["lag"], found["status"]) == ("33.33", "8.34", "BEHIND")
    assert actual(gql) == "33.33"
    done(gql, ids[1], "2024-05-20")
    assert lagging(gql) == [("城区学校运动场改造", "-58.33", "green")] == lagging(gql, "2024-05-31")
    assert actual(gql) == "100.00"
