"""Who sees which figures: dashboard and redBlackList as a town clerk, a unit clerk, an actor with two roles and
the public. A region outside the reader's area answers exactly like a missing one."""
from __future__ import annotations

import pytest

from engine.api.ids import to_global_id
from engine.directory.admin import add_actor
from tests.dashboard_support import add_projects

COUNTS = """query($region: ID) { dashboard(region: $region, year: 2024) { region { name } projects planned completed
  byState { state count } byRegion { name projects } byLeadUnit { name projects }
  figures { plugin figures { name value } } } }"""
RANKS = """query($region: ID) { redBlackList(region: $region, year: 2024, month: 2) { region { name }
  lists { name entries { name reason } } units { name } regions { name } } }"""


@pytest.fixture
def spread(engine, district):
    """Projects in the county, both towns and a village, of both units, published and not."""
    units, regions = district.units, district.regions
    add_projects(engine, regions["county"], [("in_progress", "approved", 2), ("proposed", None, 1)], units["edu"])
    add_projects(engine, regions["town_a"], [("completed", "in_progress", 3)], units["housing"])
    add_projects(engine, regions["village_a1"], [("approved", "assessed", 1), ("assessed", "proposed", 2)],
                 units["edu"])
    add_projects(engine, regions["town_b"], [("in_progress", "approved", 4)], units["housing"])
    district.tokens["edu_deputy"] = add_actor(engine, "edu_deputy", "教育局人大代表", ["unit", "deputy"], "county", "edu")
    return district


def _missing_region(gql, username, query):
    return gql(username, query, {"region": to_global_id("Region", 999)})["errors"][0]


@pytest.mark.parametrize("query", [COUNTS, RANKS])
def test_a_town_clerk_sees_its_town_and_the_county_answers_like_a_missing_region(gql, spread, query):
    county = gql("town_a_office", query, {"region": to_global_id("Region", spread.regions["county"])})
    missing = _missing_region(gql, "town_a_office", query)
    assert county["data"] is None and county["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert {k: v for k, v in county["errors"][0].items() if k != "message"} == \
           {k: v for k, v in missing.items() if k != "message"}
    assert county["errors"][0]["message"].replace(str(spread.regions["county"]), "?") == \
           missing["message"].replace("999", "?")


def test_a_town_clerk_counts_its_town_only(gql, spread):
    own = gql("town_a_office", COUNTS)["data"]["dashboard"]
    assert own["region"]["name"] == "东城镇" and own["projects"] == 6
    assert [(r["name"], r["projects"]) for r in own["byRegion"]] == [("东城镇（本级）", 3), ("东村", 3)]


@pytest.mark.parametrize("username", ["edu_clerk", "edu_deputy"])
def test_a_unit_clerk_counts_its_units_projects_only_whatever_its_other_roles(gql, spread, username):
    seen = gql(username, COUNTS)["data"]["dashboard"]
    assert seen["projects"] == 6 and seen["planned"] == 3
    assert [(r["name"], r["projects"]) for r in seen["byLeadUnit"]] == [("县教育局", 6)]
    assert [(r["name"], r["projects"]) for r in seen["byRegion"]] == [("平安县（本级）", 3), ("东城镇", 3), ("西河镇", 0)]
    ranks = gql(username, RANKS)["data"]["redBlackList"]
    assert [u["name"] for u in ranks["units"]] == ["县教育局"]


def test_the_county_office_sees_everything(gql, spread):
    seen = gql("county_office", COUNTS)["data"]["dashboard"]
    assert (seen["projects"], seen["planned"], seen["completed"]) == (13, 10, 3)
    ranks = gql("county_office", RANKS)["data"]["redBlackList"]
    assert sorted(u["name"] for u in ranks["units"]) == ["县住建局", "县教育局"]
    assert [r["name"] for r in ranks["regions"]] == ["东城镇", "西河镇"]


def test_the_public_counts_published_projects_and_gets_no_unpublished_figures(gql, spread, engine):
    county = to_global_id("Region", spread.regions["county"])
    body = gql(None, COUNTS, {"region": county})
    seen = body["data"]["dashboard"]
    assert seen["projects"] == 10 and {s["state"] for s in seen["byState"]} == {"in_progress", "completed", "approved"}
    assert [g["plugin"] for g in seen["figures"]] == ["funding", "satisfaction", "schedule"]
    assert gql(None, "{ dashboard { projects } }")["errors"][0]["extensions"]["inputPath"] == ["region"]
    ranks = gql(None, RANKS, {"region": county})["data"]["redBlackList"]
    assert all("督办" not in e["reason"] and "整改" not in e["reason"] for _, entries in
               [(x["name"], x["entries"]) for x in ranks["lists"]] for e in entries)


def test_a_resident_counts_published_projects_only_not_even_its_own(gql, spread, engine):
    """A resident reads the projects it proposed, but a figure is a publication: its own unpublished proposal
    does not count."""
    spread.tokens["resident_a"] = add_actor(engine, "resident_a", "居民", ["resident"], "village_a1")
    own = add_projects(engine, spread.regions["village_a1"], [("proposed", None, 1)],
                       created_by=spread.actor("resident_a").id)
    project = gql("resident_a", "query($id: ID!) { project(id: $id) { state { name } } }",
                  {"id": to_global_id("Project", own[0])})
    assert project["data"]["project"]["state"]["name"] == "proposed"  # it reads its own proposal …
    county = to_global_id("Region", spread.regions["county"])
    seen = gql("resident_a", COUNTS, {"region": county})["data"]["dashboard"]
    assert seen["projects"] == 10 and "proposed" not in {s["state"] for s in seen["byState"]}  # … not in figures
