"""Query results are served again while nothing has changed, and never once anything has (SQLite)."""
from __future__ import annotations

from typing import Any

import pytest
from pony import orm

from engine.api.ids import to_global_id
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from tests.conftest import backend

PAGE = "{ projects(first: 10) { edges { node { code title state { name } } } } }"


@pytest.fixture
def page_queries(monkeypatch) -> list[str]:
    """The project-page statements the database actually ran."""
    ran: list[str] = []
    execute = Sql.execute

    def counting(self: Sql, sql: str, params: Any = ()) -> Any:
        if "ORDER BY p.region_path, p.id LIMIT" in sql:  # a page of projects
            ran.append(sql)
        return execute(self, sql, params)

    monkeypatch.setattr(Sql, "execute", counting)
    return ran


def titles(body: dict) -> list[str]:
    return [e["node"]["title"] for e in body["data"]["projects"]["edges"]]


pytestmark = pytest.mark.skipif(backend() != "sqlite", reason="results are cached on SQLite only")


def test_a_repeated_query_is_served_without_the_database(gql, district, page_queries):
    district.project()
    first = gql("county_office", PAGE)
    assert gql("county_office", PAGE) == first
    assert len(page_queries) == 1


def test_a_mutation_makes_the_next_query_read_again(gql, district, page_queries):
    pid = district.project()
    assert titles(gql("county_office", PAGE)) == ["城区学校运动场改造"]
    result = gql("committee", """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
        userErrors { code } } }""", {"input": {"projectId": to_global_id("Project", pid), "title": "运动场改造"}})
    assert result["data"]["updateProject"]["userErrors"] == []
    assert titles(gql("county_office", PAGE)) == ["运动场改造"]
    assert len(page_queries) == 2


def test_a_write_outside_the_server_is_seen_too(gql, district, engine, page_queries):
    """A transition fired by another process (here: straight through the engine, as the CLI would)."""
    pid = district.project()
    gql("committee", PAGE)
    fire_transition(engine, district.actor("committee"), TransitionRequest(pid, "approve", {"decision_no": "X"}))
    assert gql("committee", PAGE)["data"]["projects"]["edges"][0]["node"]["state"] == {"name": "approved"}
    with orm.db_session:  # even a plain SQL write moves the generation on
        Sql(engine.db).execute("UPDATE project SET title = ? WHERE id = ?", ("改名", pid))
    assert titles(gql("committee", PAGE)) == ["改名"]
    assert len(page_queries) == 3


def test_each_caller_gets_its_own_results(gql, district, page_queries):
    district.project(region="town_a")
    assert len(gql("county_office", PAGE)["data"]["projects"]["edges"]) == 1
    assert gql("town_b_office", PAGE)["data"]["projects"]["edges"] == []
    assert len(page_queries) == 2


def test_results_are_kept_for_the_day_of_the_clock_they_were_computed_for(gql, district, clock, page_queries):
    """Reads depend on the clock's date (序时进度, overdue deadlines), not on the time of day: a key does not expire
    with the minute (every key at once), only with the day or the data."""
    district.project()
    gql("county_office", PAGE)
    clock.advance(minutes=1)
    gql("county_office", PAGE)
    clock.advance(hours=3)
    gql("county_office", PAGE)
    assert len(page_queries) == 1
    clock.advance(days=1)
    gql("county_office", PAGE)
    assert len(page_queries) == 2


def test_errors_are_not_kept(gql, district, page_queries):
    for _ in range(2):
        body = gql("county_office", "{ projects(first: 500) { edges { node { code } } } }")
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    district.project()
    gql("county_office", PAGE)
    gql("county_office", PAGE)
    assert len(page_queries) == 1
