"""A page of projects costs a fixed number of queries whatever its size: every field of Project — the core's and
every plugin's — is loaded for the whole page at once (engine.api.batch), and gives each project exactly what it
gives when that project is read alone."""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.api.settings import ApiSettings
from engine.api.throttle import CostLimits
from engine.core import Engine
from engine.demo import build_demo
from engine.demo.build import add_project
from engine.demo.data import ProjectSeed
from engine.directory.admin import add_actor
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW
from tests.statements import Statements, watch_statements

FIELDS = """id code title state { name label } region { name } leadUnit { name } workflow { name version }
 history(first: 5) { seq event actorName fields }
 funding { planned received paid inPlaceRate bySource { source planned } planLines { source amount }
           receipts { amount } payments { amount } rewards { amount } }
 satisfaction { responses rate byKind { kind responses } grading { rate } latestGrade { grade rate }
                deputyVotes { verdict present } }
 inspections { kind date result inspectors } rectifications { description status unit { name } }
 open: rectifications(status: OPEN) { id deadline }
 targets { name targetValue actual actuals { value reportedOn } } measures { title done }
 cooperatingUnits { name } latestProgress { percent reportedOn }
 progressReports(first: 2) { edges { node { percent narrative } } pageInfo { hasNextPage } }
 progress { expected reported status colour }
 deadlines { key dueOn status steps { step on issued } } notices { status stepLabel }
 custody { custodian endsOn reviews { event } }"""
PAGE = "query($n: Int!) { projects(first: $n) { edges { node { %s } } } }"
ONE = "query($id: ID!) { project(id: $id) { %s } }"
READERS = ("office", "qingshi_office", "unit", "unit_deputy", None)  # None: the public


@pytest.fixture
def watched(db_url: str, clock: Any) -> Iterator[tuple[Statements, TestClient, dict[str, str]]]:
    """The demo district with 55 projects, served over HTTP, every connection's statements counted."""
    with watch_statements() as log:
        engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False,
                             workflow_files=[DEFAULT_WORKFLOW, SIMPLE_WORKFLOW])
        engine.workflow_poll_seconds = float("inf")  # the look for published versions (every 2 s) is not counted
        demo = build_demo(engine)
        for n in range(20):
            add_project(demo, ProjectSeed(f"P-{n:03d}", "dongmen", "edu", "in_progress", "教育", "100",
                                          f"项目{n}", "目标"), n)
        tokens = dict(demo.tokens)
        tokens["unit_deputy"] = add_actor(engine, "unit_deputy", "两个角色", ["unit", "deputy"], "pingan", "edu")
        settings = ApiSettings(cache_results=False, cost_limits=CostLimits(max_cost=10**7, actor_rate=10**8,
                                                                           public_rate=10**8))
        with TestClient(create_app(engine, settings)) as http:
            yield log, http, tokens
        engine.close()


def ask(http: TestClient, token: str | None, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = http.post("/graphql", json={"query": query, "variables": variables}, headers=headers).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def counted(log: Statements, http: TestClient, token: str | None, query: str, n: int) -> tuple[int, list]:
    """(statements the request sent — not counting a new worker thread's connection set-up —, the projects)."""
    with log.counting() as sent:
        edges = ask(http, token, query, {"n": n})["projects"]["edges"]
    return len([s for s in sent if not s.upper().startswith("PRAGMA")]), [e["node"] for e in edges]


def test_a_page_with_every_project_field_costs_the_same_for_5_and_50_projects(watched: Any) -> None:
    log, http, tokens = watched
    for reader in READERS:
        token = tokens.get(reader) if reader else None
        five, small = counted(log, http, token, PAGE % FIELDS, 5)
        fifty, large = counted(log, http, token, PAGE % FIELDS, 50)
        assert five == fifty, (reader, five, fifty)
        assert fifty <= 32, (reader, fifty)
        assert large[:5] == small
    _, office_page = counted(log, http, tokens["office"], PAGE % FIELDS, 50)
    assert len(office_page) == 50
    assert any(p["funding"]["receipts"] for p in office_page) and any(p["inspections"] for p in office_page)
    assert any(p["satisfaction"]["responses"] for p in office_page) and any(p["notices"] for p in office_page)
    assert any(p["custody"] for p in office_page) and any(p["progressReports"]["edges"] for p in office_page)


def test_available_transitions_of_a_page_cost_one_query_per_guard_figure(watched: Any) -> None:
    log, http, tokens = watched
    plain, _ = counted(log, http, tokens["office"], PAGE % "id state { name }", 50)
    explained, page = counted(log, http, tokens["office"], PAGE % "id availableTransitions { event allowed reasons }", 50)
    figures = 6  # funds planned and received, acceptance, open rectifications, answers, tally: what guards read
    assert explained <= plain + 2 + figures, explained  # + the page's rows and cooperating units
    assert any(not o["allowed"] and o["reasons"] for p in page for o in p["availableTransitions"])


@pytest.mark.parametrize("reader", READERS)
def test_each_project_of_a_page_reads_as_it_reads_alone(watched: Any, reader: str | None) -> None:
    log, http, tokens = watched
    token = tokens.get(reader) if reader else None
    fields = FIELDS + " availableTransitions { event allowed reasons }"
    page = ask(http, token, PAGE % fields, {"n": 60})["projects"]["edges"]
    assert page, reader
    for edge in page:
        alone = ask(http, token, ONE % fields, {"id": edge["node"]["id"]})["project"]
        assert alone == edge["node"], (reader, edge["node"]["code"])


def test_the_server_writes_the_bytes_the_standard_library_would(watched: Any) -> None:
    """Responses are written with orjson (``engine.api.http.encode``): for a page with every field — Chinese text,
    decimals, dates, floats, nulls, nested lists — the bytes are what ``json.dumps`` writes, compact and in UTF-8."""
    _, http, tokens = watched
    response = http.post("/graphql", json={"query": PAGE % FIELDS, "variables": {"n": 50}},
                         headers={"Authorization": f"Bearer {tokens['office']}"})
    body = json.loads(response.content)
    assert len(body["data"]["projects"]["edges"]) == 50 and "errors" not in body
    assert response.content == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
