"""The core's root queries over HTTP: the projects connection and its filters, one project with everything a
front end shows, node(id), regions, units, workflows and me; and the cost of a list page."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

import pytest
from pony import orm

from engine.api.ids import to_global_id
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from tests.district import District

Gql = Callable[..., dict]

PAGE = """query($filter: ProjectFilter, $first: Int!, $after: String) {
  projects(filter: $filter, first: $first, after: $after) {
    edges { cursor node { code } } pageInfo { hasNextPage endCursor } totalCount } }"""

PROJECT = """query($id: ID!) { project(id: $id) {
  id databaseId code title year category budget description target plannedStart plannedEnd
  state { name label } version workflow { name version } region { id name level } leadUnit { id code name }
  history { seq kind event fromState toState actorName fields comment }
  availableTransitions { event label to allowed reasons fields { name label type required } } } }"""


def gid(kind: str, database_id: int) -> str:
    return to_global_id(kind, database_id)


def approve(district: District, project_id: int, decision: str = "A-1") -> None:
    fire_transition(district.engine, district.actor("committee"),
                    TransitionRequest(project_id, "approve", {"decision_no": decision}))


@pytest.fixture
def four(district: District) -> dict[str, int]:
    """Four projects across the district, one of them approved."""
    units = district.units
    projects = {
        "seat": district.project(),
        "road": district.project(region="town_a", title="东城镇道路改造", category="交通", lead_unit_id=units["housing"]),
        "water": district.project(region="village_a1", title="东村饮水安全", year=2023),
        "odd": district.project(region="town_b", title="西河镇 100% 覆盖_工程", lead_unit_id=None),
    }
    approve(district, projects["road"])
    return projects


def codes(body: dict) -> list[str]:
    return [edge["node"]["code"] for edge in body["data"]["projects"]["edges"]]


def page(gql: Gql, filter: dict | None = None, first: int = 20, after: str | None = None,
         who: str | None = "county_office") -> dict:
    return gql(who, PAGE, {"filter": filter, "first": first, "after": after})


def code_of(district: District, project_id: int) -> str:
    with orm.db_session:
        return Sql(district.engine.db).scalar("SELECT code FROM project WHERE id = ?", (project_id,))


@pytest.mark.parametrize("filter, expected", [
    ({"year": 2023}, ["water"]),
    ({"state": "approved"}, ["road"]),
    ({"category": "教育"}, ["seat", "water", "odd"]),
    ({"text": "改造"}, ["seat", "road"]),
    ({"text": "100%"}, ["odd"]),
    ({"text": "_"}, ["odd"]),
    ({"year": 2024, "category": "教育"}, ["seat", "odd"]),
    ({"workflow": "simple"}, ["seat", "road", "water", "odd"]),
    ({"workflow": "minsheng"}, []),
])
def test_filters(gql: Gql, district: District, four: dict[str, int], filter: dict, expected: list[str]) -> None:
    assert codes(page(gql, filter)) == [code_of(district, four[name]) for name in expected]


def test_region_filter_includes_everything_below(gql: Gql, district: District, four: dict[str, int]) -> None:
    town_a = {"region": gid("Region", district.regions["town_a"])}
    assert codes(page(gql, town_a)) == [code_of(district, four["road"]), code_of(district, four["water"])]
    village = {"region": gid("Region", district.regions["village_a1"])}
    assert codes(page(gql, village)) == [code_of(district, four["water"])]
    assert codes(page(gql, {"region": gid("Region", 999)})) == []


def test_lead_unit_filter(gql: Gql, district: District, four: dict[str, int]) -> None:
    housing = {"leadUnit": gid("Unit", district.units["housing"])}
    assert codes(page(gql, housing)) == [code_of(district, four["road"])]


def test_pages_follow_cursors_and_count_everything(gql: Gql, district: District, four: dict[str, int]) -> None:
    first = page(gql, first=3)["data"]["projects"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][-1]["cursor"]}
    assert first["totalCount"] == 4
    rest = page(gql, first=3, after=first["pageInfo"]["endCursor"])["data"]["projects"]
    assert [e["node"]["code"] for e in rest["edges"]] == [code_of(district, four["odd"])]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert rest["totalCount"] == 4


@pytest.mark.parametrize("first", [0, 101, -5])
def test_first_is_capped_at_100(gql: Gql, district: District, first: int) -> None:
    body = page(gql, first=first)
    assert body["data"] is None
    assert body["errors"][0]["message"] == f"first must be between 1 and 100, got {first}"
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "inputPath": ["first"]}


def test_a_foreign_cursor_is_invalid_input(gql: Gql, district: District) -> None:
    body = page(gql, after="bm90LWEtY3Vyc29y")
    assert body["errors"][0]["message"] == "'bm90LWEtY3Vyc29y' is not a cursor from this API"
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "inputPath": ["after"]}


def test_one_project_with_everything_a_front_end_shows(gql: Gql, district: District) -> None:
    pid = district.project(region="town_a", description="塑胶跑道", target="一个标准运动场",
                           planned_start="2024-04-01", planned_end="2024-09-30")
    approve(district, pid, "县人大〔2024〕3号")
    project = gql("county_office", PROJECT, {"id": gid("Project", pid)})["data"]["project"]
    history = project.pop("history")
    options = project.pop("availableTransitions")
    assert project == {
        "id": gid("Project", pid), "databaseId": pid, "code": f"2024-{pid:05d}", "title": "城区学校运动场改造",
        "year": 2024, "category": "教育", "budget": "3000000.00", "description": "塑胶跑道",
        "target": "一个标准运动场", "plannedStart": "2024-04-01", "plannedEnd": "2024-09-30",
        "state": {"name": "approved", "label": "已批准"}, "version": 2, "workflow": {"name": "simple", "version": 1},
        "region": {"id": gid("Region", district.regions["town_a"]), "name": "东城镇", "level": "town"},
        "leadUnit": {"id": gid("Unit", district.units["edu"]), "code": "edu", "name": "县教育局"}}
    assert [(h["seq"], h["kind"], h["event"], h["fromState"], h["toState"], h["actorName"]) for h in history] == [
        (2, "transition", "approve", "draft", "approved", "committee"), (1, "create", "create", None, "draft", "county_office")]
    assert history[0]["fields"] == {"decision_no": "县人大〔2024〕3号"}
    assert history[1]["fields"]["title"] == "城区学校运动场改造"
    assert options == [
        {"event": "finish", "label": "完成", "to": "done", "allowed": True, "reasons": [], "fields": []},
        {"event": "pause", "label": "暂缓", "to": "paused", "allowed": True, "reasons": [], "fields": []},
        {"event": "drop", "label": "撤销", "to": "dropped", "allowed": False, "reasons": ["only 人大常委会 may 撤销"],
         "fields": [{"name": "reason", "label": "reason", "type": "text", "required": True}]}]


def test_available_transitions_give_every_reason(gql: Gql, district: District) -> None:
    pid = district.project(lead_unit_id=None, budget=Decimal("500"))
    options = gql("county_office", PROJECT, {"id": gid("Project", pid)})["data"]["project"]["availableTransitions"]
    assert options[0] == {"event": "approve", "label": "批准", "to": "approved", "allowed": False, "reasons": [
        "only 人大常委会 may 批准", "no lead unit (牵头单位) has been assigned to the project",
        "the budget 500.00 yuan is below the required 1000 yuan"], "fields": [
        {"name": "decision_no", "label": "文号", "type": "string", "required": True},
        {"name": "votes_for", "label": "votes_for", "type": "int", "required": False}]}


def test_history_pages_newest_first(gql: Gql, district: District) -> None:
    pid = district.project()
    approve(district, pid)
    query = """query($id: ID!, $before: Int) { project(id: $id) { history(first: 1, beforeSeq: $before) { seq } } }"""
    assert gql("committee", query, {"id": gid("Project", pid)})["data"]["project"]["history"] == [{"seq": 2}]
    older = gql("committee", query, {"id": gid("Project", pid), "before": 2})["data"]["project"]["history"]
    assert older == [{"seq": 1}]


def test_node_fetches_projects_regions_and_units(gql: Gql, district: District) -> None:
    pid = district.project()
    query = """query($id: ID!) { node(id: $id) { id __typename ... on Project { title } ... on Region { name }
      ... on Unit { name } } }"""
    fetch: Callable[[str], Any] = lambda global_id: gql("county_office", query, {"id": global_id})["data"]["node"]
    assert fetch(gid("Project", pid)) == {"id": gid("Project", pid), "__typename": "Project", "title": "城区学校运动场改造"}
    region = gid("Region", district.regions["town_b"])
    assert fetch(region) == {"id": region, "__typename": "Region", "name": "西河镇"}
    unit = gid("Unit", district.units["housing"])
    assert fetch(unit) == {"id": unit, "__typename": "Unit", "name": "县住建局"}
    assert fetch(gid("Gadget", 1)) is None
    body = gql("county_office", query, {"id": "not an id"})
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "inputPath": ["id"]}


def region_names(regions: list[dict]) -> list[Any]:
    return [(r["name"], region_names(r["children"])) for r in regions]


def test_regions_are_a_tree_of_the_callers_area(gql: Gql, district: District) -> None:
    query = "{ regions { name children { name children { name children { name } } } } }"
    county = [("平安县", [("东城镇", [("东村", [])]), ("西河镇", [("西村", [])])])]
    assert region_names(gql("county_office", query)["data"]["regions"]) == county
    assert region_names(gql(None, query)["data"]["regions"]) == county
    assert region_names(gql("town_b_office", query)["data"]["regions"]) == [("西河镇", [("西村", [])])]


def test_units_and_me(gql: Gql, district: District) -> None:
    units = gql("town_a_office", "{ units { code name regionId } }")["data"]["units"]
    assert units == [{"code": "edu", "name": "县教育局", "regionId": gid("Region", district.regions["county"])},
                     {"code": "housing", "name": "县住建局", "regionId": gid("Region", district.regions["county"])}]
    query = "{ me { username roles isPublic region { name } unitId } }"
    assert gql("edu_clerk", query)["data"]["me"] == {"username": "edu_clerk", "roles": ["unit"], "isPublic": False,
                                                     "region": {"name": "平安县"}, "unitId": gid("Unit", district.units["edu"])}
    assert gql(None, query)["data"]["me"] == {"username": "public", "roles": [], "isPublic": True, "region": None,
                                              "unitId": None}


def test_workflows_with_states_transitions_fields_and_diagram(gql: Gql, district: District) -> None:
    query = """{ workflows { name version initial states { name label editable public final }
      transitions { event sources to roles fields { name label required } guards { name params } } mermaid } }"""
    workflows = {w["name"]: w for w in gql(None, query)["data"]["workflows"]}
    assert set(workflows) == {"minsheng", "simple"}
    workflow = workflows["simple"]
    assert (workflow["name"], workflow["version"], workflow["initial"]) == ("simple", 1, "draft")
    assert workflow["states"][0] == {"name": "draft", "label": "草稿", "editable": True, "public": False, "final": False}
    approve_ = workflow["transitions"][0]
    assert approve_["fields"][0] == {"name": "decision_no", "label": "文号", "required": True}
    assert approve_["guards"] == [{"name": "core.lead_unit_assigned", "params": {}},
                                  {"name": "core.budget_at_least", "params": {"amount": 1000}}]
    assert workflow["transitions"][3] == {"event": "resume", "sources": ["paused"], "to": "@return",
                                          "roles": ["office"], "fields": [], "guards": []}
    assert workflow["mermaid"].startswith("stateDiagram-v2\n")
    assert "draft --> approved: 批准" in workflow["mermaid"]


def test_a_page_of_50_is_one_sql_query(gql: Gql, district: District, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(55):
        district.project(region="town_a" if n % 2 else "county", title=f"项目{n}")
    statements: list[str] = []
    execute = Sql.execute

    def counting(self: Sql, sql: str, params: Any = ()) -> Any:
        statements.append(sql)
        return execute(self, sql, params)

    monkeypatch.setattr(Sql, "execute", counting)
    query = """{ projects(first: 50) { edges { node { code title state { name label } region { name }
      leadUnit { name } workflow { name } budget } } pageInfo { hasNextPage } } }"""
    body = gql("county_office", query)
    assert len(body["data"]["projects"]["edges"]) == 50
    assert body["data"]["projects"]["pageInfo"]["hasNextPage"] is True
    assert [s for s in statements if "project" in s] == [statements[-1]]
    statements = [s for s in statements if "data_generation" not in s]  # SQLite: the result cache's check
    statements = [s for s in statements if "FROM workflow_version" not in s]  # the look for published versions
    assert len(statements) == 2  # the token, then the page
