"""What one request may cost, in time and work: linear validation of fragment fan-out, the cost estimate and its
maximum, per-caller budgets (THROTTLED with Retry-After), the time limit (TIMEOUT), and the GraphQL-over-HTTP
rules that go with them (media types, status codes, operationName, no suggestions without introspection)."""
from __future__ import annotations

import threading
import time
from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient

from engine.api import queries
from engine.api.ids import to_global_id
from engine.api.app import ApiSettings, create_app
from engine.api.throttle import CostLimits
from engine.core import Engine
from tests.district import District

PAGE = "{ projects(first: 50) { edges { node { id title } } } }"  # 1 + 50 × (edges 1 + node 1 + id 1 + title 1)


def client(engine: Engine, **settings: Any) -> TestClient:
    return TestClient(create_app(engine, ApiSettings(**settings)))


@pytest.fixture
def tight(engine: Engine, district: District) -> Iterator[TestClient]:
    """A server whose public budget holds 300 and restores 1 per second; the office's 10,000."""
    limits = CostLimits(max_cost=1000, actor_rate=200, public_rate=6, burst_seconds=50)
    with client(engine, cost_limits=limits, cache_results=False) as http:
        yield http


def fan_out(levels: int, leaf: str = "me { name }") -> str:
    """``{ ...F0 }`` with ``F<i>`` spreading ``F<i+1>`` twice: 2^levels copies of ``leaf`` once expanded."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "{ ...F0 } " + " ".join(fragments) + f" fragment F{levels} on Query {{ {leaf} }}"


def test_fragment_fan_out_is_measured_once_per_fragment(http: Any, district: District) -> None:
    # 2^40 expanded copies: measured by walking each fragment once, or this would never finish
    body = http.post("/graphql", json={"query": fan_out(40, "a: me { name }")}).json()
    assert "data" not in body
    assert body["errors"] == [{"message": f"{2 ** 40} aliases found. Allowed: 30",
                               "locations": [{"line": 1, "column": 1}],
                               "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]


def test_fragment_fan_out_without_aliases_is_over_the_cost_limit(http: Any, district: District) -> None:
    body = http.post("/graphql", json={"query": fan_out(30)}).json()
    # me { name } repeated is merged by execution, but each spread of a fragment is counted: an upper bound
    assert body["errors"][0]["extensions"] == {"code": "COST_LIMIT_EXCEEDED"}
    assert body["errors"][0]["message"].startswith(f"this request would cost {2 ** 31}, over the maximum of 25000")
    assert body["extensions"]["cost"]["requested"] == 2 ** 31
    assert "data" not in body


def test_a_page_costs_the_fields_it_would_resolve(gql: Any, http: Any, district: District) -> None:
    district.project()
    body = http.post("/graphql", json={"query": PAGE}).json()
    cost = body["extensions"]["cost"]
    assert cost["requested"] == 1 + 50 * 4
    assert cost["maximum"] == 25000
    assert cost["budget"]["capacity"] == 2000 * 50 and cost["budget"]["restorePerSecond"] == 2000
    again = http.post("/graphql", json={"query": PAGE}).json()  # from the result cache: charged and reported alike
    assert again["data"] == body["data"]
    assert {**again["extensions"]["cost"], "budget": {}} == {**cost, "budget": {}}
    assert again["extensions"]["cost"]["budget"]["remaining"] <= cost["budget"]["remaining"]
    # variables count: a page of 10 costs a fifth
    body = http.post("/graphql", json={"query": "query($n: Int!) { projects(first: $n) { edges { node { id } } } }",
                                       "variables": {"n": 10}}).json()
    assert body["extensions"]["cost"]["requested"] == 1 + 10 * 3


def test_many_aliased_full_pages_are_refused_before_running(http: Any, district: District) -> None:
    district.project()
    fields = ("id code title budget history { seq event } availableTransitions { event allowed reasons } "
              "funding { inPlaceRate disbursementRate }")
    query = "{ " + " ".join(f"p{i}: projects(first: 100) {{ edges {{ node {{ {fields} }} }} }}"
                            for i in range(29)) + " }"
    headers = {"Authorization": f"Bearer {district.tokens['county_office']}"}
    body = http.post("/graphql", json={"query": query}, headers=headers).json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {"code": "COST_LIMIT_EXCEEDED"}
    assert body["extensions"]["cost"]["requested"] > 25000


def test_a_caller_over_its_budget_is_throttled_with_retry_after(tight: TestClient, district: District) -> None:
    district.project()
    first = tight.post("/graphql", json={"query": "{ projects(first: 50) { edges { node { id } } } }"})
    assert first.status_code == 200 and first.json()["extensions"]["cost"]["requested"] == 151
    tight.post("/graphql", json={"query": "{ projects(first: 40) { edges { node { id } } } }"})  # 121: 272 of 300
    refused = tight.post("/graphql", json={"query": "{ projects(first: 50) { edges { node { id } } } }"})
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    body = refused.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": "THROTTLED"}
    assert body["errors"][0]["message"].startswith("over your budget of 300 (this request costs 151): try again in ")
    # a signed-in actor has its own budget
    headers = {"Authorization": f"Bearer {district.tokens['county_office']}"}
    assert tight.post("/graphql", json={"query": PAGE}, headers=headers).status_code == 200


def test_cached_answers_are_charged_too(engine: Engine, district: District) -> None:
    district.project()
    limits = CostLimits(max_cost=1000, actor_rate=200, public_rate=4, burst_seconds=50)  # public: 200
    with client(engine, cost_limits=limits) as http:
        assert http.post("/graphql", json={"query": PAGE.replace("50", "30")}).status_code == 200  # 121
        again = http.post("/graphql", json={"query": PAGE.replace("50", "30")})  # from the cache: still 121
        assert again.status_code == 429
        assert again.json()["errors"][0]["extensions"] == {"code": "THROTTLED"}


def test_one_request_over_the_maximum_is_refused_whatever_the_budget(tight: TestClient, district: District) -> None:
    fields = "id title code budget year category description target"
    body = tight.post("/graphql", json={"query": f"{{ projects(first: 100) {{ edges {{ node {{ {fields} }} }} }} }}"})
    assert body.status_code == 200
    assert body.json()["errors"] == [{"message": "this request would cost 1001, over the maximum of 1000 per request: "
                                                 "ask for smaller pages or fewer fields",
                                      "extensions": {"code": "COST_LIMIT_EXCEEDED"}}]
    assert body.json()["extensions"]["cost"]["budget"]["remaining"] == 300  # nothing was charged


def test_a_request_over_the_time_limit_is_stopped_with_timeout(engine: Engine, district: District,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    slow_tree = queries.region_tree

    def region_tree(*args: Any) -> Any:
        time.sleep(0.3)
        return slow_tree(*args)

    monkeypatch.setattr(queries, "region_tree", region_tree)
    with client(engine, timeout_seconds=0.1) as http:
        response = http.post("/graphql", json={"query": "{ regions { name children { name } } me { name } }"})
        assert response.status_code == 200
        assert response.json() == {"errors": [{
            "message": "the request took longer than 0.1 s and was stopped: ask for less (a smaller page, fewer "
                       "fields) or try again later", "extensions": {"code": "TIMEOUT"}}],
            "extensions": response.json()["extensions"]}
        strict = http.post("/graphql", json={"query": "{ regions { name } }"},
                           headers={"Accept": "application/graphql-response+json"})
        assert strict.status_code == 504
    monkeypatch.setattr(queries, "region_tree", slow_tree)
    with client(engine, timeout_seconds=5) as http:  # a generous limit: the check is that nothing stayed stuck
        assert http.post("/graphql", json={"query": "{ me { name } }"}).json()["data"] == {"me": {"name": "公众"}}


def test_a_long_list_is_abandoned_at_the_deadline_not_finished(engine: Engine, district: District,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.api import project_type

    for _ in range(20):
        district.project()
    explain, calls = project_type.available_transitions, []

    def slow_transitions(*args: Any) -> Any:  # per project: a page's guards are explained one project at a time
        calls.append(1)
        time.sleep(0.1)
        return explain(*args)

    monkeypatch.setattr(project_type, "available_transitions", slow_transitions)
    headers = {"Authorization": f"Bearer {district.tokens['county_office']}"}
    with client(engine, timeout_seconds=0.3) as http:
        body = http.post("/graphql", json={"query": "{ projects(first: 20) { edges { node { availableTransitions "
                                                    "{ event } } } } }"}, headers=headers).json()
    assert body["errors"][0]["extensions"] == {"code": "TIMEOUT"} and "data" not in body
    assert 2 <= len(calls) < 10  # stopped at the list item after the deadline, not after all 20


def test_two_operations_need_an_operation_name(http: Any, district: District) -> None:
    query = "query A { me { name } } query B { me { username } }"
    response = http.post("/graphql", json={"query": query})
    assert response.status_code == 400
    assert response.json() == {"errors": [{
        "message": "the document has 2 operations: name the one to run in 'operationName'",
        "extensions": {"code": "BAD_REQUEST"}}]}
    named = http.post("/graphql", json={"query": query, "operationName": "B"}).json()
    assert named["data"] == {"me": {"username": "public"}}


def test_no_suggestions_reveal_names_when_introspection_is_off(engine: Engine, district: District) -> None:
    query = "{ projcts { totalCount } }"
    with client(engine, introspection=True) as http:
        assert "Did you mean 'projects' or 'project'?" in http.post("/graphql", json={"query": query}).json()["errors"][0][
            "message"]
    with client(engine, introspection=False) as http:
        body = http.post("/graphql", json={"query": query}).json()
        assert body == {"errors": [{"message": "Cannot query field 'projcts' on type 'Query'.",
                                    "locations": [{"line": 1, "column": 3}],
                                    "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}


@pytest.mark.parametrize("query", ["{ me { name ", "{ nope }"])
def test_graphql_response_json_answers_400_without_data(http: Any, district: District, query: str) -> None:
    strict = http.post("/graphql", json={"query": query}, headers={"Accept": "application/graphql-response+json"})
    assert strict.status_code == 400
    assert strict.headers["content-type"] == "application/graphql-response+json"
    assert "data" not in strict.json()
    assert strict.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    plain = http.post("/graphql", json={"query": query})
    assert plain.status_code == 200 and plain.headers["content-type"] == "application/json"
    assert "data" not in plain.json()


def test_variables_that_do_not_coerce_are_400_in_graphql_response_json(http: Any, district: District) -> None:
    query = "query($n: Int!) { projects(first: $n) { totalCount } }"
    response = http.post("/graphql", json={"query": query, "variables": {"n": "many"}},
                         headers={"Accept": "application/graphql-response+json"})
    assert response.status_code == 400
    assert "data" not in response.json()


def test_media_types_and_content_types(http: Any, district: District) -> None:
    refused = http.post("/graphql", json={"query": "{ me { name } }"}, headers={"Accept": "text/html"})
    assert refused.status_code == 406
    assert refused.json()["errors"][0]["extensions"] == {"code": "NOT_ACCEPTABLE"}
    untyped = http.post("/graphql", content=b'{"query": "{ me { name } }"}', headers={"content-type": ""})
    assert untyped.status_code == 415
    assert untyped.json() == {"errors": [{"message": "send the operation as application/json (Content-Type was "
                                                     "'missing')", "extensions": {"code": "UNSUPPORTED_MEDIA_TYPE"}}]}
    bad_extensions = http.post("/graphql", json={"query": "{ me { name } }", "extensions": "x"})
    assert bad_extensions.status_code == 400


@pytest.mark.parametrize("readers", [None, 2])
def test_queries_wait_for_a_reader_slot_and_the_wait_counts_against_the_time_limit(
        engine: Engine, district: District, monkeypatch: pytest.MonkeyPatch, readers: int | None) -> None:
    """On SQLite one query executes at a time by default (``reader_threads``): a second waits for the first and,
    past its time limit, is answered TIMEOUT without running; mutations do not wait. On PostgreSQL, or with two
    reader slots, the second runs at once."""
    entered, release, tree = threading.Event(), threading.Event(), queries.region_tree

    def held(*args: Any) -> Any:
        entered.set()
        release.wait(10)
        return tree(*args)

    monkeypatch.setattr(queries, "region_tree", held)
    pid = district.project()
    fire = ("mutation($input: FireTransitionInput!) { fireTransition(input: $input) { toState userErrors { code } } }")
    with client(engine, timeout_seconds=0.5, threads=4, reader_threads=readers, cache_results=False) as http:
        first = threading.Thread(target=lambda: http.post("/graphql", json={"query": "{ regions { name } }"}))
        first.start()
        try:
            assert entered.wait(5)
            started = time.monotonic()
            second = http.post("/graphql", json={"query": "{ me { name } }"}).json()
            waited = time.monotonic() - started
            moved = http.post("/graphql", headers={"Authorization": f"Bearer {district.tokens['committee']}"}, json={
                "query": fire, "variables": {"input": {"projectId": to_global_id("Project", pid), "event": "approve",
                                                       "fields": {"decision_no": "A-1"}}}}).json()
        finally:
            release.set()
            first.join(10)
        assert moved["data"]["fireTransition"] == {"toState": "approved", "userErrors": []}
        if engine.db.provider.dialect == "SQLite" and readers is None:
            assert second == {"errors": [{"message": "the request took longer than 0.5 s and was stopped: ask for "
                                                     "less (a smaller page, fewer fields) or try again later",
                                          "extensions": {"code": "TIMEOUT"}}]}
            assert waited >= 0.45
        else:
            assert second["data"] == {"me": {"name": "公众"}} and waited < 0.45
        assert http.post("/graphql", json={"query": "{ me { name } }"}).json()["data"] == {"me": {"name": "公众"}}
