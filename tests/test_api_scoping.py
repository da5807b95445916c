"""Read and write scoping, role × region × operation: nothing outside an actor's scope is visible or changeable,
and the answer for an out-of-scope project is byte-identical to the one for an id that does not exist.

Actors: the county office (sees the whole county), the office of another town (town B), a lead unit's clerk
(edu_clerk: only projects the education bureau leads, within its area), the same clerk holding a second role
(edu_deputy: unit,deputy, still only its unit's projects; edu_resident: unit,resident, only its unit's published
ones: roles combine by the narrowest, engine.directory.access) and the public (only published projects, no history details,
no available transitions, no changes: every core mutation answers FORBIDDEN)."""
from __future__ import annotations

import json
from typing import Any

import pytest
from pony import orm

from engine.directory.admin import add_actor
from engine.api.ids import to_global_id
from engine.api.mutations import PUBLIC_REFUSAL
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from tests.district import District

ACTORS = ["county_office", "town_b_office", "edu_clerk", "edu_deputy", "edu_resident", None]
WRITERS = [a for a in ACTORS if a is not None]
PROJECTS = ["town", "seat", "published"]
VISIBLE = {  # which of the projects each actor may read
    "county_office": {"town", "seat", "published"},
    "town_b_office": set(),
    "edu_clerk": {"town", "published"},  # "seat" is led by the housing bureau
    "edu_deputy": {"town", "published"},  # being a deputy too widens nothing
    "edu_resident": {"published"},  # a resident too: its unit's projects, and only the published ones
    None: {"published"},
}
MISSING = 987654

NESTED = """query($id: ID!) { project(id: $id) { id title state { name } region { name } leadUnit { name }
  history { seq event actorName fields comment } availableTransitions { event allowed reasons } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on Project { title history { seq } } } }"""
LIST = "{ projects(first: 100) { edges { node { id } } totalCount } }"
UPDATE = """mutation($input: UpdateProjectInput!) { updateProject(input: $input) { project { id version }
  userErrors { code message path } } }"""
FIRE = """mutation($input: FireTransitionInput!) { fireTransition(input: $input) { project { id version }
  userErrors { code message path } } }"""


@pytest.fixture
def world(district: District) -> dict[str, int]:
    """A draft project in town A led by education, a draft one in the county seat led by housing, and a
    published (approved) one in town A led by education; the education bureau's combined-role clerks."""
    for username, roles in [("edu_deputy", ["unit", "deputy"]), ("edu_resident", ["unit", "resident"])]:
        district.tokens[username] = add_actor(district.engine, username, username, roles, "county", "edu")
    projects = {
        "town": district.project(region="town_a"),
        "seat": district.project(lead_unit_id=district.units["housing"]),
        "published": district.project(region="town_a", title="东城镇文化广场"),
    }
    fire_transition(district.engine, district.actor("committee"),
                    TransitionRequest(projects["published"], "approve", {"decision_no": "A-1"}, comment="内部意见"))
    return projects


def post(http: Any, district: District, who: str | None, query: str, variables: dict) -> bytes:
    headers = {"Authorization": f"Bearer {district.tokens[who]}"} if who else {}
    response = http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return without_budget(response.content)


def without_budget(body: bytes) -> bytes:
    """The body as sent, but for the caller's remaining budget in ``extensions.cost`` (which moves with every
    request): the requested cost stays, so two answers compare equal only if they cost the same."""
    head, _, extensions = body.partition(b',"extensions":')
    cost = json.loads(extensions[:-1])["cost"]
    return head + f',"cost":{cost["requested"]}}}'.encode()


def gid(project_id: int) -> str:
    return to_global_id("Project", project_id)


def versions(district: District) -> list[tuple]:
    with orm.db_session:
        return Sql(district.engine.db).all("SELECT id, version, state, title, audit_seq FROM project ORDER BY id")


def as_missing(http: Any, district: District, who: str | None, query: str, variables: Any, project_id: int) -> None:
    """The response about ``project_id`` equals, byte for byte, the one about a project that does not exist."""
    real = post(http, district, who, query, variables(gid(project_id)))
    missing = post(http, district, who, query, variables(gid(MISSING)))
    assert real.replace(gid(project_id).encode(), b"<id>") == missing.replace(gid(MISSING).encode(), b"<id>")


@pytest.mark.parametrize("who", ACTORS)
def test_the_list_shows_exactly_the_visible_projects(http: Any, district: District, world: dict[str, int],
                                                     who: str | None) -> None:
    body = json.loads(post(http, district, who, LIST, {}))["data"]["projects"]
    expected = sorted(gid(world[name]) for name in VISIBLE[who])
    assert sorted(edge["node"]["id"] for edge in body["edges"]) == expected
    assert body["totalCount"] == len(expected)


@pytest.mark.parametrize("query", [NESTED, NODE], ids=["project", "node"])
@pytest.mark.parametrize("name", PROJECTS)
@pytest.mark.parametrize("who", ACTORS)
def test_reading_one_project(http: Any, district: District, world: dict[str, int], who: str | None, name: str,
                             query: str) -> None:
    def variables(project: str) -> dict:
        return {"id": project}

    if name not in VISIBLE[who]:
        as_missing(http, district, who, query, variables, world[name])
        return
    data = json.loads(post(http, district, who, query, variables(gid(world[name]))))["data"]
    project = data["project" if query is NESTED else "node"]
    assert project["id"] == gid(world[name])
    assert project["history"][-1]["seq"] == 1


def test_what_the_public_sees_of_a_published_project(gql: Any, world: dict[str, int]) -> None:
    project = gql(None, NESTED, {"id": gid(world["published"])})["data"]["project"]
    assert project["history"] == [
        {"seq": 2, "event": "approve", "actorName": None, "fields": None, "comment": None},
        {"seq": 1, "event": "create", "actorName": None, "fields": None, "comment": None}]
    assert project["availableTransitions"] == []
    assert (project["region"], project["leadUnit"]) == ({"name": "东城镇"}, {"name": "县教育局"})
    inside = gql("county_office", NESTED, {"id": gid(world["published"])})["data"]["project"]
    assert inside["history"][0] == {"seq": 2, "event": "approve", "actorName": "committee",
                                    "fields": {"decision_no": "A-1"}, "comment": "内部意见"}


def update_input(project: str) -> dict:
    return {"input": {"projectId": project, "title": "改名", "expectedVersion": 99}}


def fire_input(project: str) -> dict:
    return {"input": {"projectId": project, "event": "pause", "expectedVersion": 99}}


@pytest.mark.parametrize("mutation, variables", [(UPDATE, update_input), (FIRE, fire_input)],
                         ids=["updateProject", "fireTransition"])
@pytest.mark.parametrize("name", PROJECTS)
@pytest.mark.parametrize("who", WRITERS)
def test_changing_one_project(http: Any, district: District, world: dict[str, int], who: str, name: str,
                              mutation: str, variables: Any) -> None:
    """In scope, the stale version reaches the version check (CONFLICT); out of scope, it is NOT_FOUND, exactly
    like a missing project. Nothing changes either way."""
    before = versions(district)
    if name not in VISIBLE[who]:
        as_missing(http, district, who, mutation, variables, world[name])
    else:
        body = json.loads(post(http, district, who, mutation, variables(gid(world[name]))))
        [error] = next(iter(body["data"].values()))["userErrors"]
        assert (error["code"], error["path"]) == ("CONFLICT", ["input", "expectedVersion"])
    assert versions(district) == before


@pytest.mark.parametrize("mutation, variables", [(UPDATE, update_input), (FIRE, fire_input)],
                         ids=["updateProject", "fireTransition"])
@pytest.mark.parametrize("name", PROJECTS)
def test_the_public_cannot_change_anything(gql: Any, http: Any, district: District, world: dict[str, int],
                                           name: str, mutation: str, variables: Any) -> None:
    before = versions(district)
    body = gql(None, mutation, variables(gid(world[name])))
    assert next(iter(body["data"].values())) == {"project": None, "userErrors": [
        {"code": "FORBIDDEN", "message": PUBLIC_REFUSAL, "path": []}]}
    as_missing(http, district, None, mutation, variables, world[name])
    assert versions(district) == before


def test_in_scope_actors_do_change_projects(gql: Any, district: District, world: dict[str, int]) -> None:
    """The same mutations succeed where the actor's scope and roles allow them (so the refusals above are
    about scope, not about broken mutations)."""
    paused = gql("county_office", FIRE, {"input": {"projectId": gid(world["published"]), "event": "pause"}})
    assert paused["data"]["fireTransition"] == {"project": {"id": gid(world["published"]), "version": 3},
                                                "userErrors": []}
    edited = gql("committee", UPDATE, {"input": {"projectId": gid(world["town"]), "title": "改名"}})
    assert edited["data"]["updateProject"] == {"project": {"id": gid(world["town"]), "version": 2}, "userErrors": []}


def test_a_unit_clerk_acts_on_its_own_projects(gql: Any, district: District, world: dict[str, int]) -> None:
    fire_transition(district.engine, district.actor("committee"),
                    TransitionRequest(world["seat"], "approve", {"decision_no": "A-2"}))
    finish = {"input": {"projectId": gid(world["published"]), "event": "finish"}}
    assert gql("edu_clerk", FIRE, finish)["data"]["fireTransition"]["userErrors"] == []
    refused = gql("edu_clerk", FIRE, {"input": {"projectId": gid(world["seat"]), "event": "finish"}})
    assert refused["data"]["fireTransition"]["userErrors"] == [
        {"code": "NOT_FOUND", "message": f"project {gid(world['seat'])} does not exist", "path": ["input", "projectId"]}]


@pytest.mark.parametrize("who, region, expected", [
    ("town_b_office", "town_a", []), ("town_b_office", "county", []), ("edu_clerk", "county", ["town", "published"]),
    (None, "town_a", ["published"]), ("county_office", "town_a", ["town", "published"]),
])
def test_a_region_filter_never_widens_the_scope(gql: Any, district: District, world: dict[str, int], who: str | None,
                                                region: str, expected: list[str]) -> None:
    query = """query($r: ID!) { projects(filter: {region: $r}) { edges { node { id } } totalCount } }"""
    body = gql(who, query, {"r": to_global_id("Region", district.regions[region])})["data"]["projects"]
    assert [e["node"]["id"] for e in body["edges"]] == [gid(world[name]) for name in expected]
    assert body["totalCount"] == len(expected)


def test_regions_outside_the_area_answer_like_missing_ones(http: Any, district: District) -> None:
    query = """query($id: ID!) { node(id: $id) { id ... on Region { name } } }"""
    real = post(http, district, "town_b_office", query, {"id": to_global_id("Region", district.regions["town_a"])})
    missing = post(http, district, "town_b_office", query, {"id": to_global_id("Region", 999)})
    assert real == missing == b'{"data":{"node":null},"cost":3}'
