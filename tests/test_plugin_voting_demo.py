"""The voting plugin's demo: a 15 → 10 list by tally for 2024 (published, two objections), and 15 → 10 by
electronic ballot for 2025, as the public and the committee read them over HTTP."""
from __future__ import annotations

from starlette.testclient import TestClient

from engine.api.app import ApiSettings, create_app
from engine.clock import Clock
from engine.core import Engine
from engine.demo import build_demo

LISTS = """{ candidateLists { year title rules { places margin } session { method present ballotsReturned status }
  candidates { code votesFor outcome } chosen { code } publishedAt objections { projectCode text answer } } }"""


def test_the_demo_has_both_years_lists_voted_and_the_2024_list_published_with_two_objections(db_url):
    engine = Engine.open(db_url, disabled=[], clock=Clock(), entry_points=False)
    try:
        demo = build_demo(engine)
        with TestClient(create_app(engine, ApiSettings())) as http:
            def read(token: str | None) -> list[dict]:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                body = http.post("/graphql", json={"query": LISTS}, headers=headers).json()
                assert "errors" not in body, body
                return body["data"]["candidateLists"]

            lists = {item["year"]: item for item in read(demo.tokens["committee"])}
            public = read(None)
    finally:
        engine.close()
    assert sorted(lists) == [2024, 2025]
    for year, method in ((2024, "tally"), (2025, "electronic")):
        item = lists[year]
        assert item["session"]["method"] == method and item["session"]["status"] == "closed"
        assert len(item["candidates"]) == 15 and len(item["chosen"]) == 10
        assert item["rules"] == {"places": 10, "margin": 5}
    assert lists[2025]["session"]["ballotsReturned"] == 20
    assert [o["answer"] is not None for o in lists[2024]["objections"]] == [True, False]
    assert [item["year"] for item in public] == [2024]  # only the published list is public
    assert len(public[0]["objections"]) == 2 and public[0]["candidates"][0]["votesFor"] == 108
