"""The demo district's call for suggestions, as an office and the public see it over GraphQL."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient

from engine.api.app import ApiSettings, create_app
from engine.demo import build_demo
from tests.participation_support import FATE, LIST

SOURCES = "{ projects(first: 100) { edges { node { code state { name } suggestionSources { title } } } } }"


@pytest.fixture
def api(engine) -> Iterator[Any]:
    demo = build_demo(engine)
    with TestClient(create_app(engine, ApiSettings())) as client:
        def call(username: str | None, query: str, variables: dict | None = None) -> dict:
            headers = {"Authorization": f"Bearer {demo.tokens[username]}"} if username else {}
            body = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers).json()
            assert "errors" not in body, body
            return body["data"]
        yield call


def test_the_demo_has_an_open_call_with_forty_suggestions_screened_in_part(api) -> None:
    [call] = api(None, "{ openSuggestionCalls { title year isOpen opensOn closesOn } }")["openSuggestionCalls"]
    assert call == {"title": "平安区2025年民生实事项目征集", "year": 2025, "isOpen": True, "opensOn": "2024-12-01",
                    "closesOn": "2025-01-31"}
    items = api("office", LIST, {"first": 50})["suggestions"]["items"]
    assert len(items) == 40
    assert {s["channel"] for s in items} == {"WEBSITE", "HOTLINE", "LETTER", "LIAISON_STATION"}
    statuses = [s["status"] for s in items]
    assert (statuses.count("ACCEPTED"), statuses.count("DECLINED"), statuses.count("RECEIVED")) == (14, 5, 21)
    assert len({s["proposalId"] for s in items if s["proposalId"]}) == 3
    assert all(s["contactName"] and s["contactPhone"] for s in items)
    pool = [e["node"] for e in api("office", SOURCES)["projects"]["edges"] if e["node"]["suggestionSources"]]
    assert len(pool) == 9 and {p["state"]["name"] for p in pool} == {"proposed"}
    assert api("qingshi_office", LIST, {})["suggestions"]["items"] == []
    assert api(None, FATE, {"receipt": "AAAA-BBBB-CCCC-DDDD"})["suggestionFate"] is None
