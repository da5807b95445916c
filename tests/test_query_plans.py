"""A page of projects costs what the page costs: the list queries the API sends (captured from real requests over
HTTP) walk an index in page order — region path, then id — whatever the filter, so the database reads about as
many rows as the page holds instead of every project of the area and a sort of them. Checked on the plans:
``EXPLAIN QUERY PLAN`` on SQLite (on pony's own connection, with the ``case_sensitive_like`` pragma pony sets),
``EXPLAIN`` on PostgreSQL with sequential scans and sorts priced out (so a plan that *needs* a sort still shows
one). ``totalCount`` costs a query only when it is asked for."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from pony import orm
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.api.ids import to_global_id
from engine.api.settings import ApiSettings
from engine.api.throttle import CostLimits
from engine.core import Engine
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW
from tests.district import District, build_district
from tests.statements import Statements, watch_statements

PAGE = """query($filter: ProjectFilter, $after: String) { projects(first: 50, filter: $filter, after: $after) {
  %s edges { node { id code region { name } } } pageInfo { hasNextPage endCursor } } }"""
PAGE_INDEXES = ("idx_project_region_path_id", "idx_project_state_region_path_id")


@pytest.fixture
def served(db_url: str, clock: Any) -> Iterator[tuple[Statements, TestClient, District]]:
    """The test district with projects in the county, both towns and a village, over HTTP (result cache off),
    every statement recorded with its parameters."""
    with watch_statements() as log:
        engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False,
                             workflow_files=[DEFAULT_WORKFLOW, SIMPLE_WORKFLOW])
        district = build_district(engine)
        for n in range(12):  # interleaved ids, so region order and id order differ
            district.project(region=("county", "town_a", "village_a1", "town_b")[n % 4], title=f"项目{n}",
                             year=2024 + n % 2)
        settings = ApiSettings(cache_results=False, cost_limits=CostLimits(max_cost=10**7, actor_rate=10**8,
                                                                           public_rate=10**8))
        with TestClient(create_app(engine, settings)) as http:
            yield log, http, district
        engine.close()


def page(log: Statements, http: TestClient, district: District, username: str, filter: dict | None = None,
         after: str | None = None, total: bool = True) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """The page's data and the statements (with parameters) the request sent."""
    log.clear()
    response = http.post("/graphql", json={"query": PAGE % ("totalCount" if total else ""),
                                           "variables": {"filter": filter, "after": after}},
                         headers={"Authorization": f"Bearer {district.tokens[username]}"})
    body = response.json()
    assert "errors" not in body, body
    with log.lock:
        return body["data"]["projects"], list(log.bound)


def list_statements(sent: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The page query and the count the request sent (the statements reading ``project p`` for the list)."""
    return [(s, p) for s, p in sent if "FROM project p" in s and ("ORDER BY p.region_path" in s or "COUNT(*)" in s)]


def plan(engine: Engine, statement: str, params: Any) -> list[str]:
    """The plan's lines, as the engine's own connection (with its pragmas) would run ``statement``."""
    with orm.db_session:
        cursor = engine.db.get_connection().cursor()
        if engine.db.provider_name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params or ())
            return [row[-1] for row in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + statement, params)
        return [row[0] for row in cursor.fetchall()]


def assert_walks_index(engine: Engine, statement: str, params: Any) -> None:
    assert statement.count("region_path >=") <= 1, f"two ranges on the path: the wider may be walked\n{statement}"
    lines = plan(engine, statement, params)
    text = "\n".join(lines)
    if engine.db.provider_name == "sqlite":
        assert "TEMP B-TREE" not in text, f"the page sorts its matches:\n{text}\n{statement}"
        project_lines = [line for line in lines if line.startswith(("SCAN p ", "SEARCH p "))]
        assert project_lines and all(any(i in line for i in PAGE_INDEXES) for line in project_lines), text
        assert not any(line.startswith("SCAN p ") and "USING" not in line for line in lines), text
    else:
        assert "Sort" not in text, f"the page sorts its matches:\n{text}\n{statement}"
        assert "Seq Scan on project" not in text, text
        assert any(i in text for i in PAGE_INDEXES), text


@pytest.mark.parametrize("case", ["unfiltered", "town filter", "town clerk", "state filter", "year filter",
                                  "unit clerk", "next page"])
def test_listed_page_queries_walk_their_index_without_sorting(served: Any, case: str) -> None:
    log, http, district = served
    engine = district.engine
    town_a = to_global_id("Region", district.regions["town_a"])
    args: dict[str, Any] = {
        "unfiltered": {"username": "county_office"},
        "town filter": {"username": "county_office", "filter": {"region": town_a}},
        "town clerk": {"username": "town_a_office"},
        "state filter": {"username": "county_office", "filter": {"state": "draft"}},
        "year filter": {"username": "county_office", "filter": {"year": 2024, "state": "draft"}},
        "unit clerk": {"username": "edu_clerk"},
        "next page": {"username": "county_office"},
    }[case]
    if case == "next page":
        args["after"] = _cursor_after(http, district, 5)
    data, sent = page(log, http, district, **args)
    assert data["edges"], "the case must list something"
    statements = list_statements(sent)
    tallied = [s for s, _ in sent if "FROM project_tally" in s]
    if case == "unit clerk":  # a unit's clerk counts its unit's projects: row by row, on the page's index
        assert [("COUNT(*)" in s) for s, _ in statements] == [False, True], [s for s, _ in sent]
        assert tallied == []
    else:  # an office's count is a sum over the maintained aggregates' rows of the region (and filters)
        assert [("COUNT(*)" in s) for s, _ in statements] == [False], [s for s, _ in sent]
        assert len(tallied) == 1 and "WHERE region_path = " in tallied[0], tallied
    for statement, params in statements:
        assert_walks_index(engine, statement, params)


def _cursor_after(http: TestClient, district: District, n: int) -> str:
    """The cursor after the first ``n`` projects of the county office's list (a page of ``n``)."""
    query = "query($n: Int!) { projects(first: $n) { pageInfo { endCursor } } }"
    response = http.post("/graphql", json={"query": query, "variables": {"n": n}},
                         headers={"Authorization": f"Bearer {district.tokens['county_office']}"})
    return response.json()["data"]["projects"]["pageInfo"]["endCursor"]


def test_pages_list_region_by_region_and_the_cursor_continues_in_that_order(served: Any) -> None:
    log, http, district = served
    whole, _ = page(log, http, district, "county_office")
    codes = [e["node"]["code"] for e in whole["edges"]]
    regions = [e["node"]["region"]["name"] for e in whole["edges"]]
    assert whole["totalCount"] == 12 and len(codes) == 12
    assert regions == ["平安县"] * 3 + ["东城镇"] * 3 + ["东村"] * 3 + ["西河镇"] * 3  # a region's subtree together
    seen, after = [], None
    while True:
        response = http.post("/graphql", json={
            "query": "query($a: String) { projects(first: 5, after: $a) { edges { node { code } }"
                     " pageInfo { hasNextPage endCursor } } }", "variables": {"a": after}},
            headers={"Authorization": f"Bearer {district.tokens['county_office']}"})
        got = response.json()["data"]["projects"]
        seen += [e["node"]["code"] for e in got["edges"]]
        if not got["pageInfo"]["hasNextPage"]:
            break
        after = got["pageInfo"]["endCursor"]
    assert seen == codes  # every project once, in the same order


def test_a_town_filter_and_a_town_clerk_see_only_the_town_subtree(served: Any) -> None:
    log, http, district = served
    town_a = to_global_id("Region", district.regions["town_a"])
    filtered, _ = page(log, http, district, "county_office", filter={"region": town_a})
    clerk, _ = page(log, http, district, "town_a_office")
    for data in (filtered, clerk):
        assert data["totalCount"] == 6
        assert {e["node"]["region"]["name"] for e in data["edges"]} == {"东城镇", "东村"}
    town_b, _ = page(log, http, district, "town_b_office")
    assert town_b["totalCount"] == 3 and {e["node"]["region"]["name"] for e in town_b["edges"]} == {"西河镇"}
    county = to_global_id("Region", district.regions["county"])
    wider, _ = page(log, http, district, "town_b_office", filter={"region": county})  # the area still limits
    assert wider["totalCount"] == 3 and {e["node"]["region"]["name"] for e in wider["edges"]} == {"西河镇"}
    other, _ = page(log, http, district, "town_b_office", filter={"region": town_a})  # outside the area
    assert other["totalCount"] == 0 and other["edges"] == []
    missing = to_global_id("Region", 99999)
    none, _ = page(log, http, district, "county_office", filter={"region": missing})
    assert none["totalCount"] == 0 and none["edges"] == []


def test_total_count_is_counted_only_when_asked_for(served: Any) -> None:
    log, http, district = served
    data, sent = page(log, http, district, "county_office", total=False)
    assert "totalCount" not in data and len(data["edges"]) == 12
    assert not any("COUNT(" in s for s, _ in sent), [s for s, _ in sent]
    data, sent = page(log, http, district, "county_office", total=True)
    assert data["totalCount"] == 12
    assert sum("FROM project_tally" in s for s, _ in sent) == 1  # an office's count: the maintained aggregates
    data, sent = page(log, http, district, "edu_clerk", total=False)
    assert not any("COUNT(" in s or "project_tally" in s for s, _ in sent), [s for s, _ in sent]
    data, sent = page(log, http, district, "edu_clerk", total=True)
    assert sum("COUNT(" in s and "FROM project p" in s for s, _ in sent) == 1
