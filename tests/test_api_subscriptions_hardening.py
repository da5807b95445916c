"""Subscriptions under attack: every error over graphql-sse and graphql-transport-ws carries ``extensions.code``,
and a subscription ends once its token is rotated or its actor deactivated — in this process or another one."""
from __future__ import annotations

import json
from typing import Any

import pytest
from pony import orm
from starlette.testclient import TestClient

from engine.directory import actors
from engine.api.app import ApiSettings, create_app
from engine.api.ids import to_global_id
from engine.clock import Clock
from engine.storage.sql import Sql
from tests.conftest import backend
from tests.district import District
from tests.test_api_subscriptions import (SUBSCRIBE, approve, engine, fire, open_engine,  # noqa: F401 - fixture
                                          subscribed, wait_for_subscribers, ws)

HUGE_PROJECT_ID = "UHJvamVjdDoxMDAwMDAwMDAwMDAwMDAwMDAwMDA="  # Project:100000000000000000000
REVOKED = ("the bearer token this subscription was opened with is no longer valid (it was replaced, or its holder "
           "deactivated); subscribe again with a valid token")


def sse_errors(http: TestClient, query: str, variables: dict | None = None, token: str | None = None) -> list:
    """The errors of the first graphql-sse message answering ``query``."""
    headers = {"Accept": "text/event-stream", **({"Authorization": f"Bearer {token}"} if token else {})}
    with http.stream("POST", "/graphql/stream", json={"query": query, "variables": variables or {}},
                     headers=headers) as response:
        assert response.status_code == 200, response.read()
        lines = response.iter_lines()
        line = next(lines)
        while not line.startswith("data: "):
            line = next(lines)
    return json.loads(line.removeprefix("data: "))["errors"]


@pytest.mark.parametrize("query, variables, code", [
    ("subscription { noSuchField }", None, "GRAPHQL_VALIDATION_FAILED"),
    ("subscription($p: ID) { projectEvents(projectId: $p) { seq } }", {"p": ["not", "an", "id"]},
     "GRAPHQL_VALIDATION_FAILED"),
    (SUBSCRIBE, {"projectId": to_global_id("Project", 999)}, "NOT_FOUND"),
    (SUBSCRIBE, {"projectId": HUGE_PROJECT_ID}, "INVALID_INPUT"),
    ("{ me { username } }", None, "BAD_REQUEST"),
])
def test_every_sse_error_has_a_code(http: TestClient, district: District, query: str, variables: Any,
                                    code: str) -> None:
    [error] = sse_errors(http, query, variables, district.tokens["county_office"])
    assert error["extensions"]["code"] == code, error


def test_every_websocket_error_has_a_code(http: TestClient, app: Any, district: District) -> None:
    cases = [("subscription { noSuchField }", {}, "GRAPHQL_VALIDATION_FAILED"),
             (SUBSCRIBE, {"projectId": HUGE_PROJECT_ID}, "INVALID_INPUT"),
             (SUBSCRIBE, {"projectId": to_global_id("Project", 999)}, "NOT_FOUND")]
    with ws(http, district.tokens["county_office"]) as client:
        for n, (query, variables, code) in enumerate(cases):
            client.subscribe(variables, op_id=str(n), query=query)
            message = client.receive()
            assert message["type"] == "error", message
            assert message["payload"][0]["extensions"]["code"] == code, message
    assert app.state.broker.count == 0


def rotate(district: District, username: str) -> None:
    """What ``minsheng actor token`` does: a new token replaces the old one."""
    with orm.db_session:
        actors.issue_token(Sql(district.engine.db), district.actor(username).id)


def deactivate(district: District, username: str) -> None:
    with orm.db_session:
        Sql(district.engine.db).execute("UPDATE actor SET active = ? WHERE username = ?", (False, username))


@pytest.mark.parametrize("revoke", [rotate, deactivate])
def test_a_subscription_ends_when_its_token_stops_working(http: TestClient, app: Any, gql: Any,
                                                          district: District, revoke: Any) -> None:
    first, second = district.project(), district.project()
    with subscribed(http, app, district.tokens["county_office"]) as client:
        approve(gql, first)
        assert client.next_event()["seq"] == 2
        revoke(district, "county_office")
        approve(gql, second)
        message = client.receive()
        assert message["type"] == "next" and message["payload"]["data"] is None, message
        [error] = message["payload"]["errors"]
        assert (error["message"], error["extensions"]["code"]) == (REVOKED, "UNAUTHENTICATED")
        assert client.receive()["type"] == "complete"
        wait_for_subscribers(app, 0)
        client.subscribe(op_id="again")  # the connection still carries the old token: refused at once
        message = client.receive()
        assert message["type"] == "error" and message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert app.state.broker.count == 0


def test_other_actors_subscriptions_go_on(http: TestClient, app: Any, gql: Any, district: District) -> None:
    pid = district.project()
    with subscribed(http, app, district.tokens["committee"]) as client:
        rotate(district, "county_office")
        approve(gql, pid)
        assert client.next_event()["seq"] == 2


@pytest.mark.skipif(backend() != "postgres", reason="another process hears events only through PostgreSQL")
def test_a_rotation_ends_subscriptions_in_other_processes(http: TestClient, gql: Any, district: District,
                                                          db_url: str, clock: Clock) -> None:
    pid = district.project()
    other = open_engine(db_url, clock)
    try:
        app2 = create_app(other, ApiSettings())
        with TestClient(app2) as http2, subscribed(http2, app2, district.tokens["county_office"]) as client:
            rotate(district, "county_office")
            approve(gql, pid)
            message = client.receive()
            assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", message
    finally:
        other.close()


@pytest.mark.parametrize("text", ['{"type": "connection_init", "payload": {"x": "\\ud800"}}', "[" * 20_000])
def test_a_websocket_message_that_is_not_clean_json_closes_with_4400(http: TestClient, text: str) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as closed:
        with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as session:
            session.send_text(text)
            session.receive_text()
    assert closed.value.code == 4400
