"""createProject, updateProject and fireTransition over HTTP: what they change, that every change shows in the
project's history, and how refusals read (field labels, GraphQL input paths)."""
from __future__ import annotations

from typing import Callable


from engine.api.ids import to_global_id
from engine.transition import TransitionRequest, fire_transition
from tests.district import District

Gql = Callable[..., dict]

FIELDS = """project { id code title budget plannedStart state { name } version leadUnit { code }
  history { seq kind event fromState toState actorName fields } } userErrors { code message path }"""
CREATE = f"mutation($input: CreateProjectInput!) {{ createProject(input: $input) {{ {FIELDS} }} }}"
UPDATE = f"mutation($input: UpdateProjectInput!) {{ updateProject(input: $input) {{ {FIELDS} }} }}"
FIRE = f"""mutation($input: FireTransitionInput!) {{ fireTransition(input: $input) {{ fromState toState seq replayed
  {FIELDS} }} }}"""


def new_input(district: District, **extra: object) -> dict:
    return {"regionId": to_global_id("Region", district.regions["town_a"]), "title": "东城镇农贸市场改造",
            "year": 2024, "category": "商贸", "budget": "1250000.50", "workflow": "simple",
            "leadUnitId": to_global_id("Unit", district.units["housing"]), "plannedStart": "2024-05-01", **extra}


def test_create_project(gql: Gql, district: District) -> None:
    result = gql("committee", CREATE, {"input": new_input(district)})["data"]["createProject"]
    project = result["project"]
    assert result["userErrors"] == []
    assert (project["title"], project["budget"], project["plannedStart"], project["state"], project["version"],
            project["leadUnit"]) == ("东城镇农贸市场改造", "1250000.50", "2024-05-01", {"name": "draft"}, 1,
                                     {"code": "housing"})
    [created] = project["history"]
    assert (created["kind"], created["toState"], created["actorName"]) == ("create", "draft", "committee")
    assert created["fields"]["budget"] == "1250000.50"


def test_create_refusals_name_fields_by_label_at_their_input_path(gql: Gql, district: District) -> None:
    bad = new_input(district, budget="10.125", year=1999, title="x" * 201)
    errors = gql("committee", CREATE, {"input": bad})["data"]["createProject"]["userErrors"]
    assert errors == [
        {"code": "INVALID_INPUT", "message": "项目名称 must be at most 200 characters", "path": ["input", "title"]},
        {"code": "INVALID_INPUT", "message": "年度 must be at least 2000", "path": ["input", "year"]},
        {"code": "INVALID_INPUT", "message": "预算（元） must have at most 2 decimal places", "path": ["input", "budget"]}]


def test_create_in_an_unknown_region_or_workflow(gql: Gql, district: District) -> None:
    region = to_global_id("Region", 404)
    errors = gql("committee", CREATE, {"input": new_input(district, regionId=region)})["data"]["createProject"]
    assert errors["userErrors"] == [{"code": "NOT_FOUND", "message": f"region {region} does not exist",
                                     "path": ["input", "regionId"]}]
    errors = gql("committee", CREATE, {"input": new_input(district, workflow="nope")})["data"]["createProject"]
    assert errors["userErrors"] == [{"code": "INVALID_INPUT", "message": "no workflow named 'nope'",
                                     "path": ["input", "workflow"]}]


def edit(gql: Gql, project_id: int, **changes: object) -> dict:
    result = gql("committee", UPDATE, {"input": {"projectId": to_global_id("Project", project_id), **changes}})
    assert result["data"]["updateProject"]["userErrors"] == []
    return result["data"]["updateProject"]["project"]


def test_update_is_audited_and_shows_in_history(gql: Gql, district: District) -> None:
    pid = district.project()
    project = edit(gql, pid, title="城区学校运动场及看台改造", plannedStart="2024-06-01", expectedVersion=1)
    assert (project["title"], project["plannedStart"], project["version"]) == ("城区学校运动场及看台改造", "2024-06-01", 2)
    latest = project["history"][0]
    assert {k: latest[k] for k in ("seq", "kind", "event", "fromState", "toState", "actorName")} == {
        "seq": 2, "kind": "edit", "event": "update", "fromState": "draft", "toState": "draft", "actorName": "committee"}
    assert latest["fields"] == {"planned_start": [None, "2024-06-01"],
                                "title": ["城区学校运动场改造", "城区学校运动场及看台改造"]}


def test_a_budget_edit_records_both_amounts(gql: Gql, district: District) -> None:
    project = edit(gql, district.project(), budget="3200000")
    assert project["budget"] == "3200000.00"
    assert project["history"][0]["fields"] == {"budget": ["3000000.00", "3200000.00"]}


def test_an_update_that_changes_nothing_records_nothing(gql: Gql, district: District) -> None:
    pid = district.project()
    edit = {"projectId": to_global_id("Project", pid), "title": "城区学校运动场改造"}
    project = gql("committee", UPDATE, {"input": edit})["data"]["updateProject"]["project"]
    assert (project["version"], len(project["history"])) == (1, 1)


def test_update_only_in_editable_states(gql: Gql, district: District) -> None:
    pid = district.project()
    fire_transition(district.engine, district.actor("committee"), TransitionRequest(pid, "approve", {"decision_no": "1"}))
    edit = {"projectId": to_global_id("Project", pid), "title": "改名"}
    result = gql("committee", UPDATE, {"input": edit})["data"]["updateProject"]
    assert result == {"project": None, "userErrors": [{
        "code": "FORBIDDEN", "message": "a project cannot be edited while it is 已批准 (approved)", "path": []}]}


def test_update_refuses_emptying_a_required_detail_or_clearing_one(gql: Gql, district: District) -> None:
    pid = to_global_id("Project", district.project())
    result = gql("committee", UPDATE, {"input": {"projectId": pid, "title": " ", "description": None}})
    assert result["data"]["updateProject"]["userErrors"] == [
        {"code": "INVALID_INPUT", "message": "项目名称 is required", "path": ["input", "title"]},
        {"code": "INVALID_INPUT", "message": "建设内容 cannot be cleared: leave it out to keep the current value",
         "path": ["input", "description"]}]


def test_update_with_a_unit_that_does_not_exist(gql: Gql, district: District) -> None:
    pid = to_global_id("Project", district.project())
    unit = to_global_id("Unit", 77)
    result = gql("committee", UPDATE, {"input": {"projectId": pid, "leadUnitId": unit}})["data"]["updateProject"]
    assert result["userErrors"] == [{"code": "NOT_FOUND", "message": f"unit {unit} does not exist",
                                     "path": ["input", "leadUnitId"]}]


def test_fire_transition_and_replay_it(gql: Gql, district: District) -> None:
    pid = district.project()
    fire = {"projectId": to_global_id("Project", pid), "event": "approve", "fields": {"decision_no": "县人大〔2024〕3号"},
            "comment": "票决通过", "expectedVersion": 1, "idempotencyKey": "vote-1"}
    result = gql("committee", FIRE, {"input": fire})["data"]["fireTransition"]
    assert (result["fromState"], result["toState"], result["seq"], result["replayed"], result["userErrors"]) == (
        "draft", "approved", 2, False, [])
    assert (result["project"]["state"], result["project"]["version"]) == ({"name": "approved"}, 2)
    assert result["project"]["history"][0]["fields"] == {"decision_no": "县人大〔2024〕3号"}
    again = gql("committee", FIRE, {"input": fire})["data"]["fireTransition"]
    assert (again["toState"], again["seq"], again["replayed"], again["userErrors"]) == ("approved", 2, True, [])
    assert len(again["project"]["history"]) == 2


def test_fire_field_messages_use_labels_or_names(gql: Gql, district: District) -> None:
    pid = to_global_id("Project", district.project())
    fire = {"projectId": pid, "event": "approve", "fields": {"votes_for": -1, "colour": "red"}}
    errors = gql("committee", FIRE, {"input": fire})["data"]["fireTransition"]["userErrors"]
    assert errors == [
        {"code": "INVALID_INPUT", "message": "unknown field 'colour'", "path": ["input", "fields", "colour"]},
        {"code": "INVALID_INPUT", "message": "文号 is required", "path": ["input", "fields", "decision_no"]},
        {"code": "INVALID_INPUT", "message": "votes_for must be at least 0", "path": ["input", "fields", "votes_for"]}]


def test_fire_refuses_fields_that_are_not_an_object(gql: Gql, district: District) -> None:
    pid = to_global_id("Project", district.project())
    errors = gql("committee", FIRE, {"input": {"projectId": pid, "event": "approve", "fields": [1]}})
    assert errors["data"]["fireTransition"]["userErrors"] == [
        {"code": "INVALID_INPUT", "message": "must be an object of field values", "path": ["input", "fields"]}]
