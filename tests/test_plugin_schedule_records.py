"""The schedule plugin's records over HTTP (POST /graphql): targets and actuals, measures and milestones,
cooperating units and progress reports — what the lead unit, a cooperating unit, a town office of another area
and the public see and may do, every refusal, the audit chain and two reports at once."""
from __future__ import annotations

import datetime as dt
import threading
from typing import Any, Callable

import pytest
from pony import orm

from engine.api.ids import to_global_id
from engine.cli import main
from engine.core import Engine
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from plugins.funding import plan
from tests.district import District
from tests.test_core_audit import tamper

Gql = Callable[..., dict]
ERRORS = "userErrors { code message path }"
TARGETS = ("targets { id name unit targetValue baseline actual actualOn completion"
           " actuals { value reportedOn note reporterName } }")
MEASURES = "measures { id title unitId unitName role dueDate weight done doneOn evidence doneBy }"
REPORTS = ("progressReports(first: 10) { edges { cursor node { percent reportedOn narrative reporterName } }"
           " pageInfo { hasNextPage endCursor } }")
LATEST = "latestProgress { percent reportedOn narrative problems nextSteps reason reporterName }"
PROJECT = (f"query($id: ID!) {{ project(id: $id) {{ {TARGETS} {MEASURES} cooperatingUnits {{ code }} {REPORTS}"
           f" {LATEST} }} }}")
SET_TARGETS = f"mutation($input: SetTargetsInput!) {{ setTargets(input: $input) {{ {TARGETS} {ERRORS} }} }}"
REPORT_ACTUALS = f"mutation($input: ReportActualsInput!) {{ reportActuals(input: $input) {{ {TARGETS} {ERRORS} }} }}"
SET_MEASURES = f"mutation($input: SetMeasuresInput!) {{ setMeasures(input: $input) {{ {MEASURES} {ERRORS} }} }}"
MARK_DONE = f"""mutation($input: MarkMeasureDoneInput!) {{ markMeasureDone(input: $input) {{
    measure {{ title done doneOn evidence doneBy }} {ERRORS} }} }}"""
REPORT = f"""mutation($input: ReportProgressInput!) {{ reportProgress(input: $input) {{
    report {{ percent reportedOn narrative problems nextSteps reason reporterName }} {ERRORS} }} }}"""
SET_UNITS = f"""mutation($input: SetCooperatingUnitsInput!) {{ setCooperatingUnits(input: $input) {{
    cooperatingUnits {{ code }} {ERRORS} }} }}"""
FIRE = f"mutation($input: FireTransitionInput!) {{ fireTransition(input: $input) {{ toState {ERRORS} }} }}"
HISTORY = "query($id: ID!) { project(id: $id) { history(first: 50) { seq kind event fields actorName } } }"


def gid(kind: str, database_id: int) -> str:
    return to_global_id(kind, database_id)


def mutate(gql: Gql, username: str | None, query: str, **values: Any) -> dict:
    body = gql(username, query, {"input": values})
    assert "errors" not in body, body
    (result,) = body["data"].values()
    return result


def read(gql: Gql, username: str | None, pid: int) -> dict | None:
    body = gql(username, PROJECT, {"id": gid("Project", pid)})
    assert "errors" not in body, body
    return body["data"]["project"]


def new_project(district: District, region: str = "county") -> int:
    return district.project(region=region, workflow="minsheng", planned_start=dt.date(2024, 1, 1),
                            planned_end=dt.date(2024, 12, 31))


def fire(engine: Engine, district: District, username: str, pid: int, event: str, **fields: Any) -> None:
    fire_transition(engine, district.actor(username), TransitionRequest(pid, event, fields))


def approve(engine: Engine, district: District, pid: int) -> None:
    """Through assessment and the vote (approved is published): the setting-up is not under test here."""
    fire(engine, district, "county_finance", pid, "assess", opinion="可行")
    plan.set_plan(engine, district.actor("county_finance"), pid, "central", "3000000")
    fire(engine, district, "committee", pid, "approve", decision_body="县人大常委会", vote_date="2024-02-20")


def set_targets(gql: Gql, pid: int, *targets: dict, username: str = "county_office") -> dict:
    return mutate(gql, username, SET_TARGETS, projectId=gid("Project", pid), targets=list(targets))


FIVE_G = {"name": "5G基站", "unit": "个", "targetValue": "120"}


def audit_count(engine: Engine, pid: int) -> int:
    with orm.db_session:
        return Sql(engine.db).scalar("SELECT COUNT(*) FROM audit_record WHERE project_id = ?", (pid,))


# -- targets --------------------------------------------------------------------------------------------------

def test_a_target_of_120_with_453_built_is_377_50_percent_complete(gql: Gql, district: District) -> None:
    pid = new_project(district)
    result = set_targets(gql, pid, FIVE_G, {"name": "充电桩", "unit": "个", "targetValue": "100", "baseline": "12"})
    assert result["userErrors"] == []
    five_g, charging = result["targets"]
    assert (five_g["targetValue"], five_g["actual"], five_g["completion"]) == ("120", None, None)
    actuals = [{"targetId": five_g["id"], "value": "200", "reportedOn": "2024-01-31"},
               {"targetId": five_g["id"], "value": "453", "reportedOn": "2024-02-29", "note": "超额完成"},
               {"targetId": charging["id"], "value": "169"}]
    result = mutate(gql, "edu_clerk", REPORT_ACTUALS, projectId=gid("Project", pid), actuals=actuals)
    assert result["userErrors"] == []
    five_g, charging = result["targets"]
    assert (five_g["actual"], five_g["actualOn"], five_g["completion"]) == ("453", "2024-02-29", "377.50")
    assert five_g["actuals"] == [
        {"value": "453", "reportedOn": "2024-02-29", "note": "超额完成", "reporterName": "edu_clerk"},
        {"value": "200", "reportedOn": "2024-01-31", "note": None, "reporterName": "edu_clerk"}]
    assert (charging["baseline"], charging["actual"], charging["actualOn"], charging["completion"]) == (
        "12", "169", "2024-03-01", "169.00")


def test_changing_targets_keeps_their_actuals_and_drops_the_ones_left_out(gql: Gql, district: District) -> None:
    pid = new_project(district)
    first, second = set_targets(gql, pid, FIVE_G, {"name": "学位", "unit": "个", "targetValue": "15000"})["targets"]
    mutate(gql, "edu_clerk", REPORT_ACTUALS, projectId=gid("Project", pid),
           actuals=[{"targetId": first["id"], "value": "60"}])
    (kept,) = set_targets(gql, pid, {**FIVE_G, "id": first["id"], "targetValue": "150"})["targets"]
    assert (kept["id"], kept["targetValue"], kept["actual"], kept["completion"]) == (first["id"], "150", "60", "40.00")
    history = gql("county_office", HISTORY, {"id": gid("Project", pid)})["data"]["project"]["history"]
    assert [h["event"] for h in history[:3]] == ["set_targets", "report_actuals", "set_targets"]
    before, after = history[0]["fields"]["targets"]
    assert ([t["name"] for t in before], [(t["name"], t["target"]) for t in after]) == (
        ["5G基站", "学位"], [("5G基站", "150")])


def test_targets_close_at_the_vote_and_open_again_after_a_dynamic_adjustment(gql: Gql, engine: Engine,
                                                                           district: District) -> None:
    pid = new_project(district)
    set_targets(gql, pid, FIVE_G)
    approve(engine, district, pid)
    result = set_targets(gql, pid, {**FIVE_G, "targetValue": "90"})
    assert result["userErrors"] == [{"code": "FORBIDDEN", "path": ["input", "targets"], "message": (
        "targets are set while the project is 征集/提出 (proposed)、评估论证 (assessed) and changed afterwards only "
        "right after 动态调整 (adjust); it is 确定/票决 (approved)")}]
    assert read(gql, "county_office", pid)["targets"][0]["targetValue"] == "120"
    fire(engine, district, "committee", pid, "adjust", decision_no="县人大常委〔2024〕9号", scope="减为90个")
    result = set_targets(gql, pid, {**FIVE_G, "targetValue": "90"})
    assert (result["userErrors"], result["targets"][0]["targetValue"]) == ([], "90")


@pytest.mark.parametrize("target, error", [
    ({**FIVE_G, "targetValue": "-5"}, (["input", "targets", "1", "targetValue"], "must be more than 0, got -5")),
    ({**FIVE_G, "targetValue": "0"}, (["input", "targets", "1", "targetValue"], "must be more than 0, got 0")),
    ({**FIVE_G, "baseline": "-1"}, (["input", "targets", "1", "baseline"], "must not be negative, got -1")),
    ({**FIVE_G, "targetValue": "1.23456"},
     (["input", "targets", "1", "targetValue"], "must have at most 4 decimal places, got 1.23456")),
    ({**FIVE_G, "name": "  "}, (["input", "targets", "1", "name"], "is required")),
    ({**FIVE_G, "id": to_global_id("ScheduleTarget", 999)},
     (["input", "targets", "1", "id"], "target 999 does not exist on this project")),
])
def test_bad_targets_are_refused_naming_the_field_and_nothing_changes(gql: Gql, engine: Engine, district: District,
                                                                     target: dict, error: tuple) -> None:
    pid = new_project(district)
    set_targets(gql, pid, FIVE_G)
    records = audit_count(engine, pid)
    result = set_targets(gql, pid, {"name": "充电桩", "unit": "个", "targetValue": "100"}, target)
    assert result["userErrors"] == [{"code": "INVALID_INPUT", "path": error[0], "message": error[1]}]
    assert result["targets"] is None
    assert [t["name"] for t in read(gql, "county_office", pid)["targets"]] == ["5G基站"]
    assert audit_count(engine, pid) == records


def test_an_actual_for_a_target_that_does_not_exist_is_refused(gql: Gql, engine: Engine, district: District) -> None:
    pid, other = new_project(district), new_project(district)
    (target,) = set_targets(gql, pid, FIVE_G)["targets"]
    (foreign,) = set_targets(gql, other, FIVE_G)["targets"]
    actuals = [{"targetId": target["id"], "value": "10"}, {"targetId": foreign["id"], "value": "10"},
               {"targetId": target["id"], "value": "-1"},
               {"targetId": target["id"], "value": "1", "reportedOn": "2024-03-02"}]
    result = mutate(gql, "edu_clerk", REPORT_ACTUALS, projectId=gid("Project", pid), actuals=actuals)
    foreign_id = foreign["id"]
    assert result["userErrors"] == [
        {"code": "INVALID_INPUT", "path": ["input", "actuals", "1", "targetId"],
         "message": f"target {other_target_id(foreign_id)} does not exist on this project"},
        {"code": "INVALID_INPUT", "path": ["input", "actuals", "2", "value"],
         "message": "must not be negative, got -1"},
        {"code": "INVALID_INPUT", "path": ["input", "actuals", "3", "reportedOn"],
         "message": "cannot be in the future: 2024-03-02 is after today (2024-03-01)"}]
    assert read(gql, "county_office", pid)["targets"][0]["actuals"] == []
    result = mutate(gql, "edu_clerk", REPORT_ACTUALS, projectId=gid("Project", pid),
                    actuals=[{"targetId": gid("Project", pid), "value": "1"}])
    assert result["userErrors"][0]["path"] == ["input", "actuals", "0", "targetId"]


def other_target_id(global_id: str) -> int:
    from engine.api.ids import parse_global_id

    return parse_global_id(global_id, [])[1]


# -- measures and cooperating units ---------------------------------------------------------------------------

def plan_with_housing(gql: Gql, district: District, pid: int) -> list[dict]:
    """Housing cooperates; one measure for the lead unit (edu), one for housing (weight 3)."""
    result = mutate(gql, "county_office", SET_UNITS, projectId=gid("Project", pid),
                    unitIds=[gid("Unit", district.units["housing"])])
    assert (result["userErrors"], result["cooperatingUnits"]) == ([], [{"code": "housing"}])
    measures = [{"title": "完成设计招标", "unitId": gid("Unit", district.units["edu"]), "dueDate": "2024-04-30"},
                {"title": "管网迁改", "unitId": gid("Unit", district.units["housing"]), "dueDate": "2024-12-31",
                 "weight": "3"}]
    result = mutate(gql, "county_office", SET_MEASURES, projectId=gid("Project", pid), measures=measures)
    assert result["userErrors"] == []
    return result["measures"]


def test_measures_name_their_unit_as_lead_or_cooperating_and_weigh_equally_by_default(gql: Gql,
                                                                                    district: District) -> None:
    pid = new_project(district)
    design, pipes = plan_with_housing(gql, district, pid)
    assert {k: design[k] for k in ("title", "unitName", "role", "dueDate", "weight", "done")} == {
        "title": "完成设计招标", "unitName": "县教育局", "role": "LEAD", "dueDate": "2024-04-30", "weight": "1.00",
        "done": False}
    assert (pipes["unitName"], pipes["role"], pipes["weight"]) == ("县住建局", "COOPERATING", "3.00")
    done = mutate(gql, "edu_clerk", MARK_DONE, measureId=design["id"], doneOn="2024-02-28", evidence="中标通知书")
    assert done == {"measure": {"title": "完成设计招标", "done": True, "doneOn": "2024-02-28", "evidence": "中标通知书",
                                "doneBy": "edu_clerk"}, "userErrors": []}
    renamed = {"id": design["id"], "title": "设计招标", "unitId": design["unitId"], "dueDate": "2024-05-31"}
    (kept,) = mutate(gql, "county_office", SET_MEASURES, projectId=gid("Project", pid), measures=[renamed])["measures"]
    assert (kept["title"], kept["done"], kept["evidence"]) == ("设计招标", True, "中标通知书")


@pytest.mark.parametrize("measure, error", [
    ({"dueDate": "2025-01-15"}, (["input", "measures", "0", "dueDate"],
                                 "must not be after the project's planned end (2024-12-31), got 2025-01-15")),
    ({"unit": "housing"}, (["input", "measures", "0", "unitId"], "unit {housing} is neither the project's lead unit "
                           "(牵头单位) nor one of its cooperating units (配合单位, setCooperatingUnits)")),
    ({"weight": "0"}, (["input", "measures", "0", "weight"], "must be more than 0, got 0")),
    ({"title": ""}, (["input", "measures", "0", "title"], "is required")),
])
def test_bad_measures_are_refused_naming_the_field(gql: Gql, engine: Engine, district: District, measure: dict,
                                                  error: tuple) -> None:
    pid = new_project(district)
    records = audit_count(engine, pid)
    unit = district.units[measure.pop("unit", "edu")]
    item = {"title": "完成设计招标", "unitId": gid("Unit", unit), "dueDate": "2024-04-30", **measure}
    result = mutate(gql, "county_office", SET_MEASURES, projectId=gid("Project", pid), measures=[item])
    message = error[1].format(housing=district.units["housing"])
    assert result["userErrors"] == [{"code": "INVALID_INPUT", "path": error[0], "message": message}]
    assert (read(gql, "county_office", pid)["measures"], audit_count(engine, pid)) == ([], records)


def test_cooperating_units_refuse_the_lead_unit_repeats_and_one_still_responsible(gql: Gql,
                                                                                  district: District) -> None:
    pid = new_project(district)
    edu, housing = gid("Unit", district.units["edu"]), gid("Unit", district.units["housing"])
    result = mutate(gql, "county_office", SET_UNITS, projectId=gid("Project", pid), unitIds=[edu, housing, housing])
    assert result["userErrors"] == [
        {"code": "INVALID_INPUT", "path": ["input", "unitIds", "0"],
         "message": f"unit {district.units['edu']} is the project's lead unit (牵头单位), not a cooperating one"},
        {"code": "INVALID_INPUT", "path": ["input", "unitIds", "2"],
         "message": f"unit {district.units['housing']} is listed twice"}]
    plan_with_housing(gql, district, pid)
    result = mutate(gql, "county_office", SET_UNITS, projectId=gid("Project", pid), unitIds=[])
    assert result["userErrors"] == [{"code": "INVALID_INPUT", "path": ["input", "unitIds"], "message": (
        f"unit {district.units['housing']} is responsible for the measure '管网迁改'; give the measure to another "
        "unit (setMeasures) before removing it")}]
    assert read(gql, "county_office", pid)["cooperatingUnits"] == [{"code": "housing"}]


# -- progress reports -----------------------------------------------------------------------------------------

def report(gql: Gql, pid: int, username: str = "edu_clerk", **values: Any) -> dict:
    return mutate(gql, username, REPORT, projectId=gid("Project", pid), **values)


def test_progress_reports_newest_first_and_the_latest_is_the_current_progress(gql: Gql, district: District) -> None:
    pid = new_project(district)
    first = report(gql, pid, percent=20, reportedOn="2024-01-31", narrative="完成招标", problems="拆迁滞后",
                   nextSteps="进场施工")
    assert first == {"report": {"percent": 20, "reportedOn": "2024-01-31", "narrative": "完成招标",
                                "problems": "拆迁滞后", "nextSteps": "进场施工", "reason": None,
                                "reporterName": "edu_clerk"}, "userErrors": []}
    report(gql, pid, percent=35, reportedOn="2024-02-29")
    report(gql, pid, percent=30, reason="返工：基础验收不合格")
    project = read(gql, "edu_clerk", pid)
    assert [e["node"]["percent"] for e in project["progressReports"]["edges"]] == [30, 35, 20]
    assert (project["latestProgress"]["percent"], project["latestProgress"]["reason"]) == (30, "返工：基础验收不合格")
    page = gql("edu_clerk", "query($id: ID!, $after: String) { project(id: $id) { progressReports(first: 2, "
                            "after: $after) { edges { node { percent } } pageInfo { hasNextPage endCursor } } } }",
               {"id": gid("Project", pid)})["data"]["project"]["progressReports"]
    assert ([e["node"]["percent"] for e in page["edges"]], page["pageInfo"]["hasNextPage"]) == ([30, 35], True)
    rest = gql("edu_clerk", "query($id: ID!, $after: String) { project(id: $id) { progressReports(first: 2, "
                            "after: $after) { edges { node { percent } } pageInfo { hasNextPage } } } }",
               {"id": gid("Project", pid), "after": page["pageInfo"]["endCursor"]})["data"]["project"]
    assert rest["progressReports"] == {"edges": [{"node": {"percent": 20}}], "pageInfo": {"hasNextPage": False}}
    bad = gql("edu_clerk", "query($id: ID!) { project(id: $id) { progressReports(after: \"Zm9vOjE=\") { pageInfo "
                           "{ hasNextPage } } } }", {"id": gid("Project", pid)})
    assert [(e["message"], e["extensions"]["code"]) for e in bad["errors"]] == [
        ("'Zm9vOjE=' is not a cursor from this API", "INVALID_INPUT")]


@pytest.mark.parametrize("values, error", [
    ({"percent": 130}, (["input", "percent"], "must be from 0 to 100 (percent complete), got 130")),
    ({"percent": -1}, (["input", "percent"], "must be from 0 to 100 (percent complete), got -1")),
    ({"percent": 40}, (["input", "percent"], "is lower than the latest report's 50% (2024-02-29); give a reason "
                                             "to lower it")),
    ({"percent": 60, "reportedOn": "2024-02-01"},
     (["input", "reportedOn"], "must not be before the latest report (2024-02-29), got 2024-02-01")),
    ({"percent": 60, "reportedOn": "2024-03-05"},
     (["input", "reportedOn"], "cannot be in the future: 2024-03-05 is after today (2024-03-01)")),
])
def test_bad_progress_reports_are_refused_naming_the_field(gql: Gql, engine: Engine, district: District,
                                                          values: dict, error: tuple) -> None:
    pid = new_project(district)
    report(gql, pid, percent=50, reportedOn="2024-02-29")
    records = audit_count(engine, pid)
    result = report(gql, pid, **values)
    assert result == {"report": None, "userErrors": [{"code": "INVALID_INPUT", "path": error[0], "message": error[1]}]}
    assert read(gql, "edu_clerk", pid)["latestProgress"]["percent"] == 50
    assert audit_count(engine, pid) == records


def test_progress_reports_are_audited_in_the_hash_chain_and_it_verifies(gql: Gql, engine: Engine, district: District,
                                                                      db_url: str, capsys: Any) -> None:
    pid = new_project(district)
    report(gql, pid, percent=10, narrative="进场")
    report(gql, pid, percent=25)
    history = gql("county_office", HISTORY, {"id": gid("Project", pid)})["data"]["project"]["history"]
    assert [(h["kind"], h["event"]) for h in history[:2]] == [("progress", "report_progress")] * 2
    assert (history[1]["fields"]["percent"], history[1]["fields"]["narrative"],
            history[0]["fields"]["previous_percent"], history[0]["actorName"]) == (10, "进场", 10, "edu_clerk")
    assert main(["audit", "verify", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip().endswith("1 chain(s) checked, 0 broken")
    tamper(engine, "UPDATE audit_record SET fields = ? WHERE project_id = ? AND seq = ?",
           ('{"percent":90}', pid, history[1]["seq"]))
    assert main(["audit", "verify", "--db", db_url]) == 1
    assert "content does not match its hash (altered)" in capsys.readouterr().out


# -- scoping: the lead unit, a cooperating unit, a town office of another area, the public --------------------

@pytest.fixture
def published(gql: Gql, engine: Engine, district: District) -> dict:
    """A published (approved) county project led by edu, housing cooperating, with targets, measures and a report."""
    pid = new_project(district)
    (target,) = set_targets(gql, pid, FIVE_G)["targets"]
    design, pipes = plan_with_housing(gql, district, pid)
    approve(engine, district, pid)
    mutate(gql, "edu_clerk", REPORT_ACTUALS, projectId=gid("Project", pid),
           actuals=[{"targetId": target["id"], "value": "453", "note": "含共建站"}])
    report(gql, pid, percent=40, narrative="主体完工", problems="资金未到位", nextSteps="验收")
    return {"pid": pid, "project": gid("Project", pid), "target": target["id"], "design": design["id"],
            "pipes": pipes["id"]}


def attempts(p: dict, district: District) -> dict[str, tuple[str, dict]]:
    """One input per mutation (markMeasureDone twice: the lead's measure and housing's)."""
    edu = gid("Unit", district.units["edu"])
    return {
        "reportActuals": (REPORT_ACTUALS, {"projectId": p["project"], "actuals": [{"targetId": p["target"],
                                                                                   "value": "460"}]}),
        "setMeasures": (SET_MEASURES, {"projectId": p["project"], "measures": [
            {"id": p["design"], "title": "设计招标", "unitId": edu, "dueDate": "2024-05-31"},
            {"id": p["pipes"], "title": "管网迁改", "unitId": gid("Unit", district.units["housing"]),
             "dueDate": "2024-11-30"}]}),
        "markMeasureDone": (MARK_DONE, {"measureId": p["design"], "evidence": "中标通知书"}),
        "markMeasureDone:own": (MARK_DONE, {"measureId": p["pipes"], "evidence": "迁改验收单"}),
        "reportProgress": (REPORT, {"projectId": p["project"], "percent": 45}),
        "setCooperatingUnits": (SET_UNITS, {"projectId": p["project"],
                                            "unitIds": [gid("Unit", district.units["housing"])]}),
    }


def outcome(gql: Gql, username: str | None, query: str, values: dict) -> tuple[str, list[str]] | str:
    body = gql(username, query, {"input": values})
    assert "errors" not in body, body
    (result,) = body["data"].values()
    if not result["userErrors"]:
        return "ok"
    (error,) = result["userErrors"]
    return error["code"], error["path"]


PROJECT_PATH, MEASURE_PATH = ["input", "projectId"], ["input", "measureId"]
EXPECTED = {
    "edu_clerk": dict.fromkeys(["reportActuals", "setMeasures", "markMeasureDone", "markMeasureDone:own",
                                "reportProgress", "setCooperatingUnits"], "ok"),
    "housing_clerk": {"reportActuals": ("FORBIDDEN", []), "setMeasures": ("FORBIDDEN", []),
                      "markMeasureDone": ("FORBIDDEN", MEASURE_PATH), "markMeasureDone:own": "ok",
                      "reportProgress": ("FORBIDDEN", []), "setCooperatingUnits": ("FORBIDDEN", [])},
    "town_b_office": {"reportActuals": ("NOT_FOUND", PROJECT_PATH), "setMeasures": ("NOT_FOUND", PROJECT_PATH),
                      "markMeasureDone": ("NOT_FOUND", MEASURE_PATH),
                      "markMeasureDone:own": ("NOT_FOUND", MEASURE_PATH),
                      "reportProgress": ("NOT_FOUND", PROJECT_PATH),
                      "setCooperatingUnits": ("NOT_FOUND", PROJECT_PATH)},
    None: dict.fromkeys(["reportActuals", "setMeasures", "markMeasureDone", "markMeasureDone:own", "reportProgress",
                         "setCooperatingUnits"], ("FORBIDDEN", [])),
}


@pytest.mark.parametrize("username", ["edu_clerk", "housing_clerk", "town_b_office", None])
def test_every_mutation_is_scoped(gql: Gql, engine: Engine, district: District, published: dict,
                                  username: str | None) -> None:
    for name, (query, values) in attempts(published, district).items():
        records = audit_count(engine, published["pid"])
        got = outcome(gql, username, query, values)
        assert (name, got) == (name, EXPECTED[username][name])
        if got != "ok":  # a refused write changes nothing
            assert audit_count(engine, published["pid"]) == records


def test_a_cooperating_unit_is_refused_with_a_reason_and_cannot_act_on_the_core(gql: Gql, district: District,
                                                                               published: dict) -> None:
    query, values = attempts(published, district)["reportProgress"]
    (error,) = gql("housing_clerk", query, {"input": values})["data"]["reportProgress"]["userErrors"]
    assert error["message"] == ("only the lead unit (牵头单位) may report a project's progress (进度报告); a "
                                "cooperating unit (配合单位) may only mark its own measures done")
    query, values = attempts(published, district)["markMeasureDone"]
    (error,) = gql("housing_clerk", query, {"input": values})["data"]["markMeasureDone"]["userErrors"]
    assert error["message"] == ("a cooperating unit (配合单位) may mark only its own measures done; this one is "
                                "another unit's")
    start = {"projectId": published["project"], "event": "start", "fields": {"start_date": "2024-03-01"}}
    (error,) = gql("housing_clerk", FIRE, {"input": start})["data"]["fireTransition"]["userErrors"]
    assert (error["code"], error["path"]) == ("NOT_FOUND", ["input", "projectId"])
    options = gql("housing_clerk", "query($id: ID!) { project(id: $id) { availableTransitions { event allowed "
                                   "reasons } } }", {"id": published["project"]})["data"]["project"]
    assert options["availableTransitions"] and all(
        not o["allowed"] and o["reasons"][0].startswith("only the lead unit (牵头单位) acts on this project")
        for o in options["availableTransitions"])


def test_targets_are_scoped_like_every_mutation(gql: Gql, district: District) -> None:
    pid = new_project(district)
    mutate(gql, "county_office", SET_UNITS, projectId=gid("Project", pid),
           unitIds=[gid("Unit", district.units["housing"])])
    assert set_targets(gql, pid, FIVE_G, username="edu_clerk")["userErrors"] == []
    (error,) = set_targets(gql, pid, FIVE_G, username="housing_clerk")["userErrors"]
    assert (error["code"], error["path"]) == ("FORBIDDEN", [])
    (error,) = set_targets(gql, pid, FIVE_G, username="town_b_office")["userErrors"]
    assert (error["code"], error["path"]) == ("NOT_FOUND", ["input", "projectId"])
    (error,) = set_targets(gql, pid, FIVE_G, username=None)["userErrors"]  # not published: not there for the public
    assert (error["code"], error["path"]) == ("NOT_FOUND", ["input", "projectId"])


def test_what_each_reader_sees(gql: Gql, district: District, published: dict) -> None:
    pid = published["pid"]
    lead, cooperating = read(gql, "edu_clerk", pid), read(gql, "housing_clerk", pid)
    assert lead == cooperating
    assert lead["targets"][0]["actuals"] == [{"value": "453", "reportedOn": "2024-03-01", "note": "含共建站",
                                              "reporterName": "edu_clerk"}]
    assert [m["title"] for m in lead["measures"]] == ["完成设计招标", "管网迁改"]
    assert lead["latestProgress"] == {"percent": 40, "reportedOn": "2024-03-01", "narrative": "主体完工",
                                      "problems": "资金未到位", "nextSteps": "验收", "reason": None,
                                      "reporterName": "edu_clerk"}
    assert read(gql, "town_b_office", pid) is None
    public = read(gql, None, pid)
    assert {k: public["targets"][0][k] for k in ("name", "targetValue", "actual", "completion", "actuals")} == {
        "name": "5G基站", "targetValue": "120", "actual": "453", "completion": "377.50",
        "actuals": [{"value": "453", "reportedOn": "2024-03-01", "note": None, "reporterName": None}]}
    assert (public["measures"], public["progressReports"], public["cooperatingUnits"]) == (
        None, None, [{"code": "housing"}])
    assert public["latestProgress"] == {"percent": 40, "reportedOn": "2024-03-01", "narrative": None,
                                        "problems": None, "nextSteps": None, "reason": None, "reporterName": None}
    history = gql(None, HISTORY, {"id": published["project"]})["data"]["project"]["history"]
    assert {h["kind"] for h in history} == {"create", "transition"}


def test_a_cooperating_unit_finds_the_project_in_its_list(gql: Gql, district: District, published: dict) -> None:
    listing = "{ projects(first: 50) { edges { node { databaseId } } } }"
    other = new_project(district)

    def ids(username: str) -> set[int]:
        edges = gql(username, listing)["data"]["projects"]["edges"]
        return {e["node"]["databaseId"] for e in edges}

    assert ids("housing_clerk") == {published["pid"]}
    assert ids("edu_clerk") == {published["pid"], other}


# -- two reports at once --------------------------------------------------------------------------------------

def test_reports_at_once_never_go_below_the_one_before_without_a_reason(http: Any, engine: Engine,
                                                                        district: District) -> None:
    pid = new_project(district)
    percents = [70, 60, 50, 40, 30, 20]
    barrier = threading.Barrier(len(percents))
    outcomes: list[str] = []
    headers = {"Authorization": f"Bearer {district.tokens['edu_clerk']}"}

    def attempt(percent: int) -> None:
        barrier.wait()
        body = http.post("/graphql", headers=headers, json={"query": REPORT, "variables": {
            "input": {"projectId": gid("Project", pid), "percent": percent}}}).json()
        errors = body["data"]["reportProgress"]["userErrors"]
        outcomes.append(errors[0]["code"] if errors else "ok")

    threads = [threading.Thread(target=attempt, args=(p,)) for p in percents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with orm.db_session:
        stored = [r[0] for r in Sql(engine.db).all("SELECT percent FROM schedule_progress_report WHERE project_id = ?"
                                                   " ORDER BY id", (pid,))]
    assert stored == sorted(stored) and len(stored) == outcomes.count("ok") >= 1
    assert sorted(outcomes) == sorted(["ok"] * len(stored) + ["INVALID_INPUT"] * (len(percents) - len(stored)))


def test_retried_actuals_and_targets_with_an_idempotency_key_are_written_once(gql: Gql, district: District) -> None:
    pid = new_project(district)
    values = {"projectId": gid("Project", pid), "targets": [FIVE_G], "idempotencyKey": "targets-1"}
    first = mutate(gql, "county_office", SET_TARGETS, **values)
    assert mutate(gql, "county_office", SET_TARGETS, **values) == first
    target = first["targets"][0]["id"]
    actuals = {"projectId": gid("Project", pid), "actuals": [{"targetId": target, "value": "60"}],
               "idempotencyKey": "actuals-1"}
    once = mutate(gql, "edu_clerk", REPORT_ACTUALS, **actuals)
    twice = mutate(gql, "edu_clerk", REPORT_ACTUALS, **actuals)
    assert once["userErrors"] == [] and twice == once and len(twice["targets"][0]["actuals"]) == 1
    history = gql("county_office", HISTORY, {"id": gid("Project", pid)})["data"]["project"]["history"]
    assert [h["event"] for h in history[:3]] == ["report_actuals", "set_targets", "create"]
