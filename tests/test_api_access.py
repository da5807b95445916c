"""The one read/write rule (engine.directory.access) over HTTP: a unit clerk with another role (unit,resident; unit,deputy)
reaches only its unit's projects in reads, core and plugin mutations and subscriptions; a resident reads exactly
what the public reads plus what it submitted itself; workflow files that disagree on a role's scope do not load."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from engine.directory.access import AccessPolicy
from engine.directory.actors import ActorView
from engine.directory.admin import add_actor
from engine.api.ids import to_global_id
from engine.clock import Clock
from engine.core import Engine
from engine.errors import InvalidDefinition
from engine.transition import TransitionRequest, fire_transition
from engine.workflow.model import RoleScope
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW, TESTS
from tests.district import District
from tests.test_api_scoping import MISSING, NESTED, gid, post, versions
from tests.test_api_subscriptions import subscribed

SUGGESTIONS = TESTS / "workflows" / "suggestions.yaml"
COMBINED = ["edu_resident", "edu_deputy"]
LIST = "{ projects(first: 100) { edges { node { id } } totalCount } }"
FIRE = """mutation($input: FireTransitionInput!) { fireTransition(input: $input) { project { id version }
  userErrors { code message path } } }"""
UPDATE = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) { project { id version }
  userErrors { code message path } } }"""
RECEIVED = """mutation($input: RecordFundsReceivedInput!) { recordFundsReceived(input: $input) {
  receipt { amount } userErrors { code message path } } }"""
INSPECT = """mutation($input: RecordInspectionInput!) { recordInspection(input: $input) {
  inspection { result } userErrors { code message path } } }"""
RATE = """mutation($input: RateProjectInput!) { rateProject(input: $input) { rating { verdict }
  userErrors { code message path } } }"""
CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id }
  userErrors { code message path } } }"""


@pytest.fixture
def engine(db_url: str, clock: Clock) -> Iterator[Engine]:
    """The default and simple workflows, and one where residents submit suggestions."""
    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False,
                         workflow_files=[DEFAULT_WORKFLOW, SIMPLE_WORKFLOW, SUGGESTIONS])
    yield engine
    engine.close()


@pytest.fixture
def world(district: District) -> dict[str, int]:
    """Combined-role clerks of the education bureau, two residents, and projects: education's draft and published
    ones, housing's published one, a resident's own suggestion and another resident's."""
    for username, roles, region, unit in [("edu_resident", ["unit", "resident"], "county", "edu"),
                                          ("edu_deputy", ["unit", "deputy"], "county", "edu"),
                                          ("resident", ["resident"], "town_a", None),
                                          ("neighbour", ["resident"], "town_a", None)]:
        district.tokens[username] = add_actor(district.engine, username, username, roles, region, unit)
    projects = {"edu_draft": district.project(region="town_a"),
                "edu_published": district.project(region="town_a", title="东城镇文化广场"),
                "housing_published": district.project(lead_unit_id=district.units["housing"], title="老旧小区改造")}
    for name in ("edu_published", "housing_published"):
        fire_transition(district.engine, district.actor("committee"),
                        TransitionRequest(projects[name], "approve", {"decision_no": "A-1"}, comment="内部意见"))
    projects["own"] = suggest(district, "resident", "小区加装电梯")
    projects["neighbours"] = suggest(district, "neighbour", "增设公交站")
    return projects


def suggest(district: District, who: str, title: str) -> int:
    from engine.projects import NewProject, create_project

    values = {"title": title, "year": 2024, "category": "民生", "budget": "0"}
    return create_project(district.engine, district.actor(who),
                          NewProject(district.regions["town_a"], values, workflow="suggestions"))


def as_missing(http: Any, district: District, who: str | None, query: str, variables: Any, project_id: int) -> None:
    """The response about ``project_id`` equals, byte for byte, the one about a project that does not exist, but
    for the id itself (the plugins' messages name the database id, the core's the global id)."""
    def masked(pid: int) -> bytes:
        body = post(http, district, who, query, variables(gid(pid)))
        return body.replace(gid(pid).encode(), b"<id>").replace(f"project {pid} ".encode(), b"project <id> ")

    assert masked(project_id) == masked(MISSING)


def listed(http: Any, district: District, who: str | None) -> list[str]:
    body = json.loads(post(http, district, who, LIST, {}))["data"]["projects"]
    assert body["totalCount"] == len(body["edges"])
    return sorted(edge["node"]["id"] for edge in body["edges"])


@pytest.mark.parametrize("who, expected", [("edu_resident", ["edu_published"]),
                                           ("edu_deputy", ["edu_draft", "edu_published"])])
def test_a_second_role_never_widens_a_unit_clerks_reads(http: Any, district: District, world: dict[str, int],
                                                         who: str, expected: list[str]) -> None:
    """unit,resident: its unit's projects that are also published; unit,deputy: its unit's projects."""
    assert listed(http, district, who) == sorted(gid(world[name]) for name in expected)
    for name in {"edu_draft", "housing_published", "own", "neighbours"} - set(expected):
        as_missing(http, district, who, NESTED, lambda p: {"id": p}, world[name])


def fire_input(project: str) -> dict:
    return {"input": {"projectId": project, "event": "finish"}}


def update_input(project: str) -> dict:
    return {"input": {"projectId": project, "title": "改名"}}


def received_input(project: str) -> dict:
    return {"input": {"projectId": project, "source": "COUNTY", "amount": "100"}}


def inspect_input(project: str) -> dict:
    return {"input": {"projectId": project, "kind": "SUPERVISION", "date": "2024-02-28", "result": "PASS",
                      "inspectors": ["张三"]}}


def rate_input(project: str) -> dict:
    return {"input": {"projectId": project, "verdict": "SATISFIED", "deviceToken": "d" * 32}}


MUTATIONS = {"fireTransition": (FIRE, fire_input), "updateProject": (UPDATE, update_input),
             "recordFundsReceived": (RECEIVED, received_input), "recordInspection": (INSPECT, inspect_input),
             "rateProject": (RATE, rate_input)}


@pytest.mark.parametrize("mutation", MUTATIONS)
@pytest.mark.parametrize("who", COMBINED)
def test_combined_role_clerks_change_nothing_of_another_unit(http: Any, district: District, world: dict[str, int],
                                                             who: str, mutation: str) -> None:
    """Another unit's project answers exactly like a missing one, and nothing changes."""
    query, variables = MUTATIONS[mutation]
    before = versions(district)
    as_missing(http, district, who, query, variables, world["housing_published"])
    [error] = next(iter(json.loads(post(http, district, who, query, variables(gid(MISSING))))["data"].values()))[
        "userErrors"]
    assert (error["code"], error["path"]) == ("NOT_FOUND", ["input", "projectId"])
    assert versions(district) == before


@pytest.mark.parametrize("who, mutation", [("edu_deputy", "fireTransition"), ("edu_resident", "fireTransition"),
                                           ("edu_deputy", "recordFundsReceived"),
                                           ("edu_resident", "recordFundsReceived"),
                                           ("edu_deputy", "recordInspection"), ("edu_deputy", "rateProject")])
def test_combined_role_clerks_do_act_on_their_units_projects(gql: Any, world: dict[str, int], who: str,
                                                             mutation: str) -> None:
    query, variables = MUTATIONS[mutation]
    if mutation == "rateProject":  # answers are taken in an open survey round (调查轮次)
        opened = gql("county_office", """mutation($input: OpenSurveyRoundInput!) { openSurveyRound(input: $input) {
            userErrors { code } } }""", {"input": {"projectId": gid(world["edu_published"])}})
        assert opened["data"]["openSurveyRound"]["userErrors"] == []
    payload = next(iter(gql(who, query, variables(gid(world["edu_published"])))["data"].values()))
    assert payload["userErrors"] == []


@pytest.mark.parametrize("who", COMBINED)
def test_combined_role_clerks_hear_only_their_units_events(http: Any, app: Any, district: District,
                                                          world: dict[str, int], who: str) -> None:
    office = district.actor("county_office")
    with subscribed(http, app, district.tokens[who]) as client:
        fire_transition(district.engine, office, TransitionRequest(world["housing_published"], "pause"))
        fire_transition(district.engine, office, TransitionRequest(world["edu_published"], "pause"))
        event = client.next_event()
    assert (event["projectId"], event["event"], event["actorName"]) == (
        gid(world["edu_published"]), "pause", "" if who == "edu_resident" else "county_office")


def test_a_resident_reads_the_public_page_plus_its_own_submission(http: Any, district: District,
                                                                  world: dict[str, int]) -> None:
    public = listed(http, district, None)
    assert public == sorted(gid(world[name]) for name in ("edu_published", "housing_published"))
    assert listed(http, district, "resident") == sorted([*public, gid(world["own"])])
    assert listed(http, district, "neighbour") == sorted([*public, gid(world["neighbours"])])


def test_a_resident_sees_a_published_project_exactly_as_the_public(http: Any, district: District,
                                                                   world: dict[str, int]) -> None:
    variables = {"id": gid(world["edu_published"])}
    assert post(http, district, "resident", NESTED, variables) == post(http, district, None, NESTED, variables)
    assert b"\xe5\x86\x85\xe9\x83\xa8\xe6\x84\x8f\xe8\xa7\x81" not in post(http, district, "resident", NESTED,
                                                                           variables)  # 内部意见


def test_a_resident_reads_its_own_submission_redacted_and_no_one_elses(http: Any, district: District,
                                                                       world: dict[str, int]) -> None:
    own = json.loads(post(http, district, "resident", NESTED, {"id": gid(world["own"])}))["data"]["project"]
    assert (own["state"], own["history"], own["availableTransitions"]) == (
        {"name": "submitted"}, [{"seq": 1, "event": "create", "actorName": None, "fields": None, "comment": None}], [])
    for name in ("neighbours", "edu_draft"):
        as_missing(http, district, "resident", NESTED, lambda p: {"id": p}, world[name])


def test_a_resident_submits_through_the_api_and_then_reads_it(gql: Any, district: District,
                                                              world: dict[str, int]) -> None:
    created = gql("resident", CREATE, {"input": {
        "regionId": to_global_id("Region", district.regions["town_a"]), "title": "修缮健身路径", "year": 2024,
        "category": "体育", "budget": "0", "workflow": "suggestions"}})["data"]["createProject"]
    assert created["userErrors"] == [] and created["project"]["id"]
    assert gql("neighbour", NESTED, {"id": created["project"]["id"]})["data"]["project"] is None


def test_workflow_files_that_disagree_on_a_scope_do_not_load(db_url: str, clock: Clock, tmp_path: Path) -> None:
    other = tmp_path / "wide_units.yaml"
    other.write_text(SIMPLE_WORKFLOW.read_text(encoding="utf-8").replace("name: simple", "name: wide_units")
                     .replace("  unit: 牵头单位", "  unit: {label: 牵头单位, scope: area}"), encoding="utf-8")
    with pytest.raises(InvalidDefinition) as refused:
        Engine.open(db_url, disabled=[], clock=clock, entry_points=False, workflow_files=[SIMPLE_WORKFLOW, other])
    [problem] = refused.value.problems
    assert (problem.file, problem.line, problem.message) == (
        str(other), 9, f"role 'unit' has scope 'area' here but scope 'unit' in {SIMPLE_WORKFLOW} (line 9); "
                       "a role must have one scope in every workflow file")


def test_roles_combine_by_the_narrowest_unless_the_workflow_grants_more() -> None:
    def clerk(*roles: str) -> ActorView:
        return ActorView(7, "c", "c", frozenset(roles), 1, "/1/", unit_id=3)

    narrow = AccessPolicy({"unit": RoleScope("unit"), "deputy": RoleScope("area"), "resident": RoleScope("public")})
    assert narrow.reach(clerk("unit", "deputy")).unit_bound
    both = narrow.reach(clerk("unit", "resident"))
    assert (both.unit_bound, both.published_only, both.region_path) == (True, True, "/1/")
    granted = AccessPolicy({"unit": RoleScope("unit"), "deputy": RoleScope("area", ("unit",))})
    wide = granted.reach(clerk("unit", "deputy"))
    assert (wide.unit_bound, wide.limiting_roles) == (False, frozenset({"deputy"}))
