"""Administrators over GraphQL: regions, units and actors, a region's own workflow — each change logged, each
scoped to the administrator's own region and what lies below (anything else answers like something missing)."""
from __future__ import annotations

import pytest

from engine.api.ids import to_global_id
from engine.directory.admin import add_actor

ME = "query { me { username } }"


@pytest.fixture
def admins(engine, district):
    """A county administrator and a town administrator (town_a)."""
    for username, region in [("county_admin", "county"), ("town_a_admin", "town_a")]:
        district.tokens[username] = add_actor(engine, username, username, ["admin"], region)
    return district


def call(gql, who, mutation: str, input: dict, fields: str = "") -> dict:
    name = mutation[0].upper() + mutation[1:]
    kind = {"createRegion": "CreateRegion", "renameRegion": "Rename", "setRegionWorkflow": "SetRegionWorkflow",
            "createUnit": "CreateUnit", "renameUnit": "Rename", "moveUnit": "MoveUnit",
            "createActor": "CreateActor", "disableActor": "Actor", "rotateToken": "Actor"}[mutation]
    body = gql(who, f"mutation($input: {kind}Input!) {{ {mutation}(input: $input) {{ {fields} "
                    "userErrors { code message path } } }", {"input": input})
    assert "errors" not in body, body
    assert name
    return body["data"][mutation]


def errors(result: dict) -> list[tuple[str, str, list[str]]]:
    return [(e["code"], e["message"], e["path"]) for e in result["userErrors"]]


def test_an_administrator_builds_a_region_with_a_unit_and_a_clerk_who_can_sign_in(gql, admins):
    created = call(gql, "county_admin", "createRegion",
                   {"code": "town_c", "name": "南山镇", "level": "town", "parent": "county"}, "region { code name }")
    assert created == {"region": {"code": "town_c", "name": "南山镇"}, "userErrors": []}
    unit = call(gql, "county_admin", "createUnit", {"code": "water", "name": "县水利局", "region": "county"},
                "unit { code name }")
    assert unit["unit"] == {"code": "water", "name": "县水利局"}
    actor = call(gql, "county_admin", "createActor", {"username": "water_clerk", "name": "水利局经办人",
                                                      "roles": ["unit"], "region": "county", "unit": "water"},
                 "username token")
    assert actor["userErrors"] == [] and actor["token"].startswith("msk_")
    admins.tokens["water_clerk"] = actor["token"]
    assert gql("water_clerk", ME)["data"]["me"]["username"] == "water_clerk"
    renamed = call(gql, "county_admin", "renameRegion", {"code": "town_c", "name": "南山街道"}, "region { name }")
    assert renamed["region"] == {"name": "南山街道"}
    moved = call(gql, "county_admin", "moveUnit", {"code": "water", "region": "town_c"}, "unit { code regionId }")
    assert moved["unit"]["regionId"] == to_global_id("Region", _region_id(gql, "town_c"))
    log = gql("county_admin", "query { adminLog { actorName action subject details } }")["data"]["adminLog"]
    assert [e["action"] for e in log[:5]] == ["move_unit", "rename_region", "create_actor", "create_unit",
                                              "create_region"]
    assert log[1]["details"] == {"name": ["南山镇", "南山街道"]} and log[0]["actorName"] == "county_admin"
    assert all("msk_" not in str(e["details"]) for e in log)  # tokens are never logged


def _region_id(gql, code: str) -> int:
    from engine.api.ids import from_global_id

    regions = gql("county_admin", "query { regions { id code children { id code children { id code } } } }")
    todo = list(regions["data"]["regions"])
    while todo:
        region = todo.pop()
        if region["code"] == code:
            return from_global_id(region["id"], "Region", [])
        todo.extend(region.get("children") or [])
    raise AssertionError(code)


def _status(http, token: str) -> int:
    return http.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}).status_code


def test_rotating_and_disabling_stop_the_old_token_at_once(gql, http, admins):
    old = admins.tokens["edu_clerk"]
    rotated = call(gql, "county_admin", "rotateToken", {"username": "edu_clerk"}, "token")
    assert rotated["userErrors"] == [] and rotated["token"] != old
    assert (_status(http, old), _status(http, rotated["token"])) == (401, 200)  # the old token no longer works
    assert call(gql, "county_admin", "disableActor", {"username": "edu_clerk"})["userErrors"] == []
    assert _status(http, rotated["token"]) == 401
    assert errors(call(gql, "county_admin", "disableActor", {"username": "county_admin"})) == [
        ("INVALID_INPUT", "you cannot disable yourself", ["input", "username"])]


def test_a_town_administrator_reaches_only_its_town(gql, admins):
    """Outside its town everything answers exactly as if it did not exist."""
    for mutation, input, message, path in [
        ("renameRegion", {"code": "town_b", "name": "x"}, "region 'town_b' does not exist", "region"),
        ("renameRegion", {"code": "nowhere", "name": "x"}, "region 'nowhere' does not exist", "region"),
        ("createRegion", {"code": "v9", "name": "x", "level": "village", "parent": "town_b"},
         "region 'town_b' does not exist", "parent"),
        ("renameUnit", {"code": "edu", "name": "x"}, "unit 'edu' does not exist", "unit"),
        ("rotateToken", {"username": "county_office"}, "actor 'county_office' does not exist", "username"),
        ("disableActor", {"username": "town_b_office"}, "actor 'town_b_office' does not exist", "username"),
        ("setRegionWorkflow", {"code": "county", "workflow": "simple"}, "region 'county' does not exist", "region"),
    ]:
        assert errors(call(gql, "town_a_admin", mutation, input)) == [("NOT_FOUND", message, ["input", path])]
    ok = call(gql, "town_a_admin", "createRegion", {"code": "v_new", "name": "新村", "level": "village",
                                                    "parent": "town_a"}, "region { code }")
    assert ok["userErrors"] == []
    log = gql("town_a_admin", "query { adminLog { subject } }")["data"]["adminLog"]
    assert {e["subject"] for e in log} == {  # its own area only (the rest was set up from the command line)
        "region v_new", "region town_a", "region village_a1", "actor town_a_office", "actor town_a_admin"}


def test_only_administrators_may_manage(gql, admins):
    input = {"code": "town_a", "name": "改名"}
    for who in ("county_office", "committee", None):
        result = call(gql, who, "renameRegion", input)
        assert [e["code"] for e in result["userErrors"]] == ["FORBIDDEN"], who
    assert gql("county_office", "query { adminLog { subject } }")["data"]["adminLog"] == []


def test_bad_input_names_the_field(gql, admins):
    assert errors(call(gql, "county_admin", "createActor", {"username": "x1", "name": "x", "roles": ["mayor"],
                                                            "region": "county"})) == [
        ("INVALID_INPUT", "unknown role(s) mayor; known: " + _known_roles(admins), ["input", "roles"])]
    assert errors(call(gql, "county_admin", "createRegion", {"code": "t9", "name": " ", "level": "town",
                                                             "parent": "county"})) == [
        ("INVALID_INPUT", "must not be blank", ["input", "name"])]
    assert errors(call(gql, "county_admin", "createRegion", {"code": "t9", "name": "x", "level": "county",
                                                             "parent": "county"})) == [
        ("INVALID_INPUT", "a county cannot lie under a county", ["input", "level"])]
    assert errors(call(gql, "county_admin", "setRegionWorkflow", {"code": "town_a", "workflow": "nope"}))[0][2] == [
        "input", "workflow"]


def _known_roles(district) -> str:
    from engine.directory.admin import known_roles

    return ", ".join(sorted(known_roles(district.engine)))


CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { workflow { name } } userErrors { code message path } } }"""


def test_a_region_s_workflow_is_inherited_by_the_regions_below(gql, admins):
    """A town adopting a workflow gets it for its villages too; createProject without a workflow uses it."""
    def create(region: str, **extra) -> dict:
        input = {"regionId": to_global_id("Region", admins.regions[region]), "title": "村道硬化", "year": 2024,
                 "category": "交通", "budget": "100000", **extra}
        return gql("county_office", CREATE, {"input": input})["data"]["createProject"]

    assert create("village_a1")["project"]["workflow"]["name"] == "minsheng"  # nobody names one: the default
    result = call(gql, "county_admin", "setRegionWorkflow", {"code": "town_a", "workflow": "simple"}, "workflow")
    assert result == {"workflow": "simple", "userErrors": []}
    assert create("village_a1")["project"]["workflow"]["name"] == "simple"  # inherited from the town
    assert create("town_a")["project"]["workflow"]["name"] == "simple"
    assert create("village_b1")["project"]["workflow"]["name"] == "minsheng"  # another town
    assert create("village_a1", workflow="minsheng")["project"]["workflow"]["name"] == "minsheng"  # named wins
    call(gql, "county_admin", "setRegionWorkflow", {"code": "town_a", "workflow": None})
    assert create("village_a1")["project"]["workflow"]["name"] == "minsheng"
