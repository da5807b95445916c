"""One error shape everywhere: every mutation (plugins' too) answers with a payload carrying
``userErrors { code message path }``; every top-level error has a message and ``extensions.code``; unexpected
exceptions come back masked; each userError code, over HTTP, with its exact message and path."""
from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Callable

import pytest

from engine.api.ids import to_global_id
from engine.transition import TransitionRequest, fire_transition
from tests.district import District

Gql = Callable[..., dict]

TYPE_REF = "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"
SCHEMA = f"""{{ __schema {{ mutationType {{ name }} types {{ name kind enumValues {{ name }}
  fields {{ name args {{ name defaultValue type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }}
  inputFields {{ name defaultValue type {{ {TYPE_REF} }} }} }} }} }}"""
SCALARS = {"ID": lambda: to_global_id("Project", 999999), "String": lambda: "x", "Int": lambda: 1,
           "Float": lambda: 1.0, "Boolean": lambda: True, "Decimal": lambda: "1", "Date": lambda: "2024-03-01",
           "DateTime": lambda: "2024-03-01T09:00:00", "JSON": lambda: {},
           "Upload": lambda: "a,b"}  # sent as JSON, not as a multipart file: refused with a userError


@pytest.fixture
def types(gql: Gql, district: District) -> dict[str, dict]:
    return {t["name"]: t for t in gql("county_office", SCHEMA)["data"]["__schema"]["types"]}


def type_string(ref: dict) -> str:
    if ref["kind"] == "NON_NULL":
        return type_string(ref["ofType"]) + "!"
    if ref["kind"] == "LIST":
        return f"[{type_string(ref['ofType'])}]"
    return ref["name"]


def sample(ref: dict, types: dict[str, dict], project: str) -> Any:
    """A value of the type: required input fields filled, optional ones left out."""
    if ref["kind"] == "NON_NULL":
        return sample(ref["ofType"], types, project)
    if ref["kind"] == "LIST":
        return [sample(ref["ofType"], types, project)]
    if ref["kind"] == "ENUM":
        return types[ref["name"]]["enumValues"][0]["name"]
    if ref["kind"] == "INPUT_OBJECT":
        return {f["name"]: sample(f["type"], types, project) for f in types[ref["name"]]["inputFields"]
                if f["type"]["kind"] == "NON_NULL" and f["defaultValue"] is None}
    return project if ref["name"] == "ID" else SCALARS[ref["name"]]()


def mutations(types: dict[str, dict]) -> list[dict]:
    return types["Mutation"]["fields"]


def test_the_schema_has_the_core_and_plugin_mutations(types: dict[str, dict]) -> None:
    names = {m["name"] for m in mutations(types)}
    assert {"createProject", "updateProject", "fireTransition"} <= names


def test_every_mutation_returns_a_payload_with_user_errors(types: dict[str, dict]) -> None:
    user_error = {f["name"]: type_string(f["type"]) for f in types["UserError"]["fields"]}
    assert user_error == {"code": "String!", "message": "String!", "path": "[String!]!"}
    for mutation in mutations(types):
        payload = mutation["type"]
        assert payload["kind"] == "NON_NULL" and payload["ofType"]["kind"] == "OBJECT", mutation["name"]
        fields = {f["name"]: type_string(f["type"]) for f in types[payload["ofType"]["name"]]["fields"]}
        assert fields.get("userErrors") == "[UserError!]!", mutation["name"]


@pytest.mark.parametrize("who", ["county_office", "edu_clerk", None])
def test_every_mutation_refuses_with_user_errors_not_server_errors(gql: Gql, district: District,
                                                                   types: dict[str, dict], who: str | None) -> None:
    """Each mutation, called with well-typed nonsense (a missing project, then a real one), answers in its
    payload: no top-level errors, and every userError has a code, a message and a path."""
    real = to_global_id("Project", district.project())
    for mutation in mutations(types):
        for project in (to_global_id("Project", 999999), real):
            args = mutation["args"]
            variables = {a["name"]: sample(a["type"], types, project) for a in args}
            declared = ", ".join(f"${a['name']}: {type_string(a['type'])}" for a in args)
            passed = ", ".join(f"{a['name']}: ${a['name']}" for a in args)
            query = (f"mutation({declared}) {{ {mutation['name']}({passed}) {{ userErrors {{ code message path }} }} }}"
                     if args else f"mutation {{ {mutation['name']} {{ userErrors {{ code message path }} }} }}")
            body = gql(who, query, variables)
            assert "errors" not in body, (mutation["name"], body)
            for error in body["data"][mutation["name"]]["userErrors"]:
                assert error["code"].isupper() and error["message"] and isinstance(error["path"], list), error


BAD_QUERIES = [
    ("{ projects(first: 101) { totalCount } }", None),
    ("{ projects { edges { node { nonsense } } } }", None),
    ("{ projects(", None),
    ("query($id: ID!) { project(id: $id) { id } }", {}),
    ("query($n: Int!) { projects(first: $n) { totalCount } }", {"n": "many"}),
    ("{ node(id: \"%%%\") { id } }", None),
    ("{ __type(name: \"Project\") { name } }", None),
]


@pytest.mark.parametrize("query, variables", BAD_QUERIES)
def test_every_top_level_error_has_a_message_and_a_code(http: Any, district: District, query: str,
                                                        variables: dict | None) -> None:
    for token in (None, district.tokens["county_office"]):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        errors = response.json().get("errors", [])
        if query.startswith("{ __type"):
            assert not errors  # introspection is on in the test app
        for error in errors:
            assert isinstance(error["message"], str) and error["message"]
            assert isinstance(error["extensions"]["code"], str) and error["extensions"]["code"].isupper()


def test_an_unexpected_error_in_a_query_is_masked_and_logged(gql: Gql, http: Any, district: District,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    def broken(ctx: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("engine.api.queries.me", broken)
    with caplog.at_level(logging.ERROR):
        response = http.post("/graphql", json={"query": "{ me { name } }"})
    assert "secret internals" not in response.text
    assert response.json()["errors"] == [{"message": "Unexpected error.", "locations": [{"line": 1, "column": 3}],
                                          "path": ["me"], "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)


def test_an_unexpected_error_in_a_mutation_is_masked(gql: Gql, district: District,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("engine.api.mutations.fire_transition", broken)
    query = """mutation($input: FireTransitionInput!) { fireTransition(input: $input) { userErrors { code } } }"""
    body = gql("committee", query, {"input": {"projectId": to_global_id("Project", district.project()),
                                              "event": "approve"}})
    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("Unexpected error.", {"code": "INTERNAL_SERVER_ERROR"})]
    assert "secret" not in str(body)


def test_a_failure_outside_graphql_keeps_the_shape(http: Any, district: District,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("engine.api.http.authenticate", broken)
    response = http.post("/graphql", json={"query": "{ me { name } }"})
    assert response.status_code == 500
    assert response.json() == {"errors": [{"message": "Unexpected error.",
                                           "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}


def test_expected_errors_are_not_logged_as_errors(gql: Gql, district: District,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        gql("county_office", "{ projects(first: 500) { totalCount } }")
        gql("county_office", "{ nonsense }")
        gql("deputy", FIRE, {"input": {"projectId": to_global_id("Project", district.project()), "event": "approve"}})
    assert [r for r in caplog.records if r.name.startswith("strawberry")] == []


# --- each userError code over HTTP, with its exact message and path

FIRE = """mutation($input: FireTransitionInput!) { fireTransition(input: $input) { toState
  userErrors { code message path } } }"""


def fire(gql: Gql, who: str | None, project: str, event: str, **extra: Any) -> list[dict]:
    result = gql(who, FIRE, {"input": {"projectId": project, "event": event, **extra}})["data"]["fireTransition"]
    assert result["toState"] is None
    return result["userErrors"]


def test_not_found(gql: Gql, district: District) -> None:
    missing = to_global_id("Project", 4242)
    assert fire(gql, "committee", missing, "approve") == [
        {"code": "NOT_FOUND", "message": f"project {missing} does not exist", "path": ["input", "projectId"]}]


def test_forbidden(gql: Gql, district: District) -> None:
    pid = to_global_id("Project", district.project())
    assert fire(gql, "deputy", pid, "approve", fields={"decision_no": "1"}) == [
        {"code": "FORBIDDEN", "message": "only 人大常委会 may 批准", "path": ["input", "event"]}]


def test_invalid_input(gql: Gql, district: District) -> None:
    pid = to_global_id("Project", district.project())
    assert fire(gql, "committee", pid, "approve", fields={}) == [
        {"code": "INVALID_INPUT", "message": "文号 is required", "path": ["input", "fields", "decision_no"]}]
    assert fire(gql, "committee", "Project:1", "approve") == [
        {"code": "INVALID_INPUT", "message": "'Project:1' is not a valid id", "path": ["input", "projectId"]}]


def test_guard_failed_lists_every_reason(gql: Gql, district: District) -> None:
    pid = to_global_id("Project", district.project(lead_unit_id=None, budget=Decimal("500")))
    assert fire(gql, "committee", pid, "approve", fields={"decision_no": "1"}) == [
        {"code": "GUARD_FAILED", "message": "no lead unit (牵头单位) has been assigned to the project",
         "path": ["input", "event"]},
        {"code": "GUARD_FAILED", "message": "the budget 500.00 yuan is below the required 1000 yuan",
         "path": ["input", "event"]}]


def test_conflict(gql: Gql, district: District) -> None:
    pid = district.project()
    fire_transition(district.engine, district.actor("committee"), TransitionRequest(pid, "approve", {"decision_no": "1"}))
    assert fire(gql, "county_office", to_global_id("Project", pid), "pause", expectedVersion=1) == [
        {"code": "CONFLICT", "message": "the project is at version 2, you saw version 1: someone changed it; "
                                        "reload and try again", "path": ["input", "expectedVersion"]}]


def test_invalid_event(gql: Gql, district: District) -> None:
    pid = to_global_id("Project", district.project())
    assert fire(gql, "county_office", pid, "finish") == [
        {"code": "INVALID_EVENT", "message": "'finish' is not available while the project is 草稿 (draft)",
         "path": ["input", "event"]}]
    assert fire(gql, "county_office", pid, "fly") == [
        {"code": "INVALID_EVENT", "message": "workflow 'simple' has no event 'fly'", "path": ["input", "event"]}]
