"""Hardening of /graphql: query depth, token and alias limits, page size, body size, no batching, POST only
(GraphiQL aside), introspection switch, bearer tokens."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient

from engine.api.app import ApiSettings, create_app
from engine.core import Engine
from tests.district import District


def errors_of(http: Any, query: str, status: int = 200, **extra: Any) -> list[dict]:
    response = http.post("/graphql", json={"query": query, **extra})
    assert response.status_code == status, response.text
    return response.json()["errors"]


def only(errors: list[dict]) -> tuple[str, dict]:
    [error] = errors
    return error["message"], error["extensions"]


def nested_regions(depth: int) -> str:
    """``{ regions { children { ... { name } } } }`` whose deepest field is ``depth`` levels below the root field
    (the limiter's measure: ``{ regions { name } }`` has depth 1)."""
    return "{ regions { " + "children { " * (depth - 1) + "name" + " }" * depth + " }"


def test_depth_10_passes_and_11_is_refused(http: Any, district: District) -> None:
    assert "errors" not in http.post("/graphql", json={"query": nested_regions(10)}).json()
    message, extensions = only(errors_of(http, nested_regions(11)))
    assert message == "'anonymous' exceeds maximum operation depth of 10"
    assert extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


def many_tokens(repeats: int) -> str:
    """5 + 13 × ``repeats`` tokens."""
    repeated = "transitions { event label to sources roles fields { name label } }"
    return "{ workflows { " + " ".join(repeated for _ in range(repeats)) + " } }"


def test_more_than_2000_tokens_is_refused(http: Any, district: District) -> None:
    assert "errors" not in http.post("/graphql", json={"query": many_tokens(153)}).json()  # 1994 tokens
    message, extensions = only(errors_of(http, many_tokens(154)))  # 2007 tokens
    assert message == "Syntax Error: Document contains more than 2000 tokens. Parsing aborted."
    assert extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


def test_more_than_30_aliases_is_refused(http: Any, district: District) -> None:
    aliased = lambda n: "{ " + " ".join(f"a{i}: me {{ name }}" for i in range(n)) + " }"  # noqa: E731
    assert "errors" not in http.post("/graphql", json={"query": aliased(30)}).json()
    message, extensions = only(errors_of(http, aliased(31)))
    assert message == "31 aliases found. Allowed: 30"
    assert extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


def test_first_over_100_is_invalid_input(http: Any, district: District) -> None:
    message, extensions = only(errors_of(http, "{ projects(first: 101) { totalCount } }"))
    assert message == "first must be between 1 and 100, got 101"
    assert extensions == {"code": "INVALID_INPUT", "inputPath": ["first"]}


def test_a_body_over_64_kib_is_413(http: Any, district: District) -> None:
    padding = " " * (64 * 1024)
    response = http.post("/graphql", json={"query": "{ me { name } }" + padding})
    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": "request body over 65536 bytes",
                                           "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}


def test_a_streamed_body_over_64_kib_is_413(http: Any, district: District) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": "{ me { name } }", "x": "'
        for _ in range(70):
            yield b"x" * 1024
        yield b'"}'

    response = http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}


def test_batching_is_off(http: Any, district: District) -> None:
    response = http.post("/graphql", json=[{"query": "{ me { name } }"}, {"query": "{ me { name } }"}])
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": "batched operations are not accepted: send one operation per "
                                                      "request", "extensions": {"code": "BAD_REQUEST"}}]}


@pytest.mark.parametrize("body, message", [
    (b"{not json", "the body is not JSON"),
    (b'{"variables": {}}', "the body must be a JSON object with a 'query' string"),
    (b'{"query": "{ me { name } }", "variables": [1]}', "'variables' must be a JSON object"),
    (b'{"query": "{ me { name } }", "operationName": 3}', "'operationName' must be a string"),
    (b'{"query": "query A { me { name } }", "operationName": "B"}', 'Unknown operation named "B".'),
    (b'{"query": ""}', "the query is empty"),
])
def test_malformed_requests_are_400_with_the_error_shape(http: Any, district: District, body: bytes,
                                                         message: str) -> None:
    response = http.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}


def test_get_queries_are_refused(http: Any, district: District) -> None:
    response = http.get("/graphql", params={"query": "{ me { name } }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"errors": [{"message": "send GraphQL operations with POST",
                                           "extensions": {"code": "METHOD_NOT_ALLOWED"}}]}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_get_the_same_error_shape(http: Any, method: str) -> None:
    response = http.request(method, "/graphql", json={"query": "{ me { name } }"})
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"] == {"code": "METHOD_NOT_ALLOWED"}


def client(engine: Engine, **settings: Any) -> TestClient:
    return TestClient(create_app(engine, ApiSettings(**settings)))


def test_graphiql_is_the_only_get_and_only_when_enabled(engine: Engine, district: District) -> None:
    with client(engine, graphiql=True) as http:
        page = http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        assert http.get("/graphql", params={"query": "{ me { name } }"}).status_code == 405
    with client(engine) as http:
        assert http.get("/graphql", headers={"accept": "text/html"}).status_code == 405


def test_introspection_can_be_turned_off(engine: Engine, district: District) -> None:
    query = "{ __schema { queryType { name } } }"
    with client(engine, introspection=True) as http:
        assert http.post("/graphql", json={"query": query}).json()["data"] == {"__schema": {"queryType": {
            "name": "Query"}}}
    with client(engine, introspection=False) as http:
        errors = errors_of(http, query)
        assert errors[0]["message"] == ("GraphQL introspection has been disabled, but the requested query contained "
                                        "the field '__schema'.")
        assert {e["extensions"]["code"] for e in errors} == {"GRAPHQL_VALIDATION_FAILED"}
        assert http.post("/graphql", json={"query": "{ me { isPublic } }"}).json()["data"] == {"me": {
            "isPublic": True}}


@pytest.mark.parametrize("header", ["Bearer msk_not-a-token", "Bearer ", "Basic dXNlcjpwYXNz", "msk_token"])
def test_credentials_that_do_not_work_are_401(http: Any, district: District, header: str) -> None:
    response = http.post("/graphql", json={"query": "{ me { name } }"}, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"errors": [{"message": "the bearer token is not valid",
                                           "extensions": {"code": "UNAUTHENTICATED"}}]}


def test_a_valid_token_authenticates(http: Any, district: District) -> None:
    headers = {"Authorization": f"Bearer {district.tokens['town_a_office']}"}
    assert http.post("/graphql", json={"query": "{ me { username } }"}, headers=headers).json()["data"] == {
        "me": {"username": "town_a_office"}}
