"""Subscriptions: projectEvents pushes committed transitions only, and only to subscribers allowed to see them,
over graphql-transport-ws (in-process and on a real uvicorn server) and graphql-sse.

"Receives nothing" is proven without sleeping: after the event that must not arrive, a real transition is
committed and the first message the subscriber gets must be that one.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterator

import anyio
import httpx
import pytest
import uvicorn
from websockets.sync.client import connect as ws_connect

from engine.api.app import ApiSettings, create_app
from engine.api.broker import Broker, SubscriberTooSlow
from engine.api.ids import to_global_id
from engine.clock import Clock
from engine.core import Engine
from engine.errors import Forbidden
from engine.hookspecs import hookimpl
from tests.conftest import SIMPLE_WORKFLOW, backend
from tests.district import District

if TYPE_CHECKING:
    from starlette.testclient import TestClient

TIMEOUT = 5.0
EVENT_FIELDS = "projectId regionId code title event fromState toState stateLabel version seq actorName at"
SUBSCRIBE = ("subscription($projectId: ID, $region: ID) { projectEvents(projectId: $projectId, region: $region) "
             f"{{ {EVENT_FIELDS} }} }}")
FIRE = ("mutation($input: FireTransitionInput!) { fireTransition(input: $input) "
        "{ toState seq userErrors { code message } } }")
REFUSE = "refuse after write"


class RefuseAfterWrite:
    """A plugin whose in-transaction hook fails after the state change and audit record were written."""

    @hookimpl
    def minsheng_transition(self, record: Any, db: Any) -> None:
        if record.comment == REFUSE:
            raise Forbidden("this test plugin refuses the transition after it was written")


def open_engine(db_url: str, clock: Clock) -> Engine:
    return Engine.open(db_url, disabled=[], clock=clock, entry_points=False, workflow_files=[SIMPLE_WORKFLOW],
                       extra_plugins=[RefuseAfterWrite()])


@pytest.fixture
def engine(db_url: str, clock: Clock) -> Iterator[Engine]:
    """The simple workflow (with its public states) and a plugin that can roll a transition back late."""
    engine = open_engine(db_url, clock)
    yield engine
    engine.close()


def fire(gql: Callable, user: str, pid: int, event: str, fields: dict | None = None, comment: str = "") -> dict:
    variables = {"input": {"projectId": to_global_id("Project", pid), "event": event, "fields": fields or {},
                           "comment": comment}}
    return gql(user, FIRE, variables)["data"]["fireTransition"]


def approve(gql: Callable, pid: int) -> dict:
    result = fire(gql, "committee", pid, "approve", {"decision_no": "县人大〔2024〕1号"})
    assert result["userErrors"] == [] and result["toState"] == "approved", result
    return result


def wait_for_subscribers(app: Any, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while app.state.broker.count < count:
        assert time.monotonic() < deadline, "the subscription never became active"
        time.sleep(0.005)


class WsClient:
    """A graphql-transport-ws client on starlette's TestClient, with bounded waits."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def receive(self) -> dict:
        async def within() -> Any:
            with anyio.fail_after(TIMEOUT):
                return await self.session._send_rx.receive()  # receive_json() would wait forever

        message = self.session.portal.call(within)
        self.session._raise_on_close(message)
        return json.loads(message["text"])

    def subscribe(self, variables: dict | None = None, op_id: str = "1", query: str = SUBSCRIBE) -> None:
        self.session.send_json({"id": op_id, "type": "subscribe",
                                "payload": {"query": query, "variables": variables or {}}})

    def next_event(self) -> dict:
        message = self.receive()
        assert message["type"] == "next", message
        return message["payload"]["data"]["projectEvents"]


@contextlib.contextmanager
def ws(http: TestClient, token: str | None = None, in_payload: bool = False) -> Iterator[WsClient]:
    auth = {"Authorization": f"Bearer {token}"} if token else {}
    headers = {} if in_payload else auth
    with http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers=headers) as session:
        client = WsClient(session)
        session.send_json({"type": "connection_init", "payload": auth if in_payload else {}})
        assert client.receive()["type"] == "connection_ack"
        yield client


@contextlib.contextmanager
def subscribed(http: TestClient, app: Any, token: str | None, variables: dict | None = None,
               in_payload: bool = False) -> Iterator[WsClient]:
    before = app.state.broker.count
    with ws(http, token, in_payload) as client:
        client.subscribe(variables)
        wait_for_subscribers(app, before + 1)
        yield client


def test_subscriber_receives_each_committed_transition_once(http, app, gql, district: District) -> None:
    pid = district.project()
    with subscribed(http, app, district.tokens["county_office"]) as client:
        approve(gql, pid)
        event = client.next_event()
        assert event["projectId"] == to_global_id("Project", pid)
        assert event["regionId"] == to_global_id("Region", district.regions["county"])
        assert (event["event"], event["fromState"], event["toState"], event["stateLabel"]) == \
            ("approve", "draft", "approved", "已批准")
        assert (event["version"], event["seq"], event["actorName"]) == (2, 2, "committee")
        assert event["title"] == "城区学校运动场改造" and event["at"].startswith("2024-03-01T09:00:00")
        assert fire(gql, "county_office", pid, "pause")["userErrors"] == []
        second = client.next_event()  # not a second copy of the first (one delivery path per backend)
        assert (second["event"], second["seq"], second["version"]) == ("pause", 3, 3)


def test_rolled_back_attempts_publish_nothing(http, app, gql, district: District) -> None:
    cheap, pid, other = district.project(budget=Decimal("10.00")), district.project(), district.project()
    with subscribed(http, app, district.tokens["county_office"]) as client:
        blocked = fire(gql, "committee", cheap, "approve", {"decision_no": "1"})
        assert [e["code"] for e in blocked["userErrors"]] == ["GUARD_FAILED"]
        missing = fire(gql, "committee", pid, "approve", {})
        assert [e["code"] for e in missing["userErrors"]] == ["INVALID_INPUT"]
        late = fire(gql, "committee", pid, "approve", {"decision_no": "1"}, comment=REFUSE)
        assert [e["code"] for e in late["userErrors"]] == ["FORBIDDEN"]
        approve(gql, other)
        event = client.next_event()
        assert (event["projectId"], event["event"], event["seq"]) == (to_global_id("Project", other), "approve", 2)
    history = gql("committee", "query($id: ID!) { project(id: $id) { state { name } history { seq } } }",
                  {"id": to_global_id("Project", pid)})["data"]["project"]
    assert history == {"state": {"name": "draft"}, "history": [{"seq": 1}]}  # the late refusal left no trace


def test_officer_of_another_town_receives_nothing_from_outside_their_area(http, app, gql, district) -> None:
    in_a, in_b = district.project(region="town_a"), district.project(region="town_b")
    with subscribed(http, app, district.tokens["town_b_office"], in_payload=True) as client:
        approve(gql, in_a)
        approve(gql, in_b)
        assert client.next_event()["projectId"] == to_global_id("Project", in_b)


def test_region_and_project_filters(http, app, gql, district: District) -> None:
    county, in_a, village_b = district.project(), district.project(region="town_a"), \
        district.project(region="village_b1")
    region_b = to_global_id("Region", district.regions["town_b"])
    with subscribed(http, app, district.tokens["county_office"], {"region": region_b}) as by_region, \
            subscribed(http, app, district.tokens["county_office"],
                       {"projectId": to_global_id("Project", in_a)}) as by_project:
        approve(gql, county)
        approve(gql, village_b)
        approve(gql, in_a)
        assert by_region.next_event()["projectId"] == to_global_id("Project", village_b)
        assert by_project.next_event()["projectId"] == to_global_id("Project", in_a)


def test_filters_outside_the_area_answer_like_missing(http, app, district: District) -> None:
    in_a = to_global_id("Project", district.project(region="town_a"))
    cases = [({"region": to_global_id("Region", district.regions["town_a"])}, "region"),
             ({"region": to_global_id("Region", 999)}, "region"),
             ({"projectId": in_a}, "projectId"), ({"projectId": to_global_id("Project", 999)}, "projectId")]
    with ws(http, district.tokens["town_b_office"]) as client:
        for n, (variables, argument) in enumerate(cases):
            client.subscribe(variables, op_id=str(n))
            message = client.receive()
            assert message["type"] == "error", message
            assert message["payload"][0]["extensions"] == {"code": "NOT_FOUND", "inputPath": [argument]}, message
    assert app.state.broker.count == 0


def test_only_subscriptions_run_over_websocket(http, district: District) -> None:
    with ws(http, district.tokens["county_office"]) as client:
        client.subscribe(query="{ me { username } }")
        message = client.receive()
        assert message["type"] == "error" and "not allowed" in message["payload"][0]["message"], message


def test_invalid_token_is_refused(http, district: District) -> None:
    from starlette.websockets import WebSocketDisconnect

    with pytest.raises(WebSocketDisconnect) as refused:
        with ws(http, "msk_not_a_token", in_payload=True):
            pass
    assert refused.value.code == 4403
    response = http.post("/graphql/stream", json={"query": SUBSCRIBE},
                         headers={"Accept": "text/event-stream", "Authorization": "Bearer msk_not_a_token"})
    assert response.status_code == 401 and response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_public_receives_only_projects_entering_public_states(http, app, gql, district: District) -> None:
    hidden, shown = district.project(), district.project()
    with subscribed(http, app, None) as client:
        assert fire(gql, "committee", hidden, "drop", {"reason": "合并到其他项目"})["userErrors"] == []
        approve(gql, shown)
        event = client.next_event()
        assert (event["projectId"], event["toState"]) == (to_global_id("Project", shown), "approved")
        assert event["actorName"] == ""


def test_slow_subscriber_is_dropped_with_a_clear_error() -> None:
    async def scenario() -> str:
        broker = Broker(limit=2)
        async with broker.subscribe(lambda event: True) as subscriber:
            publisher = threading.Thread(target=lambda: [broker.publish({"n": n}) for n in range(3)])
            publisher.start()
            publisher.join()
            with pytest.raises(SubscriberTooSlow) as dropped:
                async with asyncio.timeout(TIMEOUT):
                    async for _ in subscriber:
                        pass
            return str(dropped.value)

    assert "fell more than" in asyncio.run(scenario())


@pytest.mark.skipif(backend() != "postgres", reason="LISTEN/NOTIFY crosses processes only on PostgreSQL")
def test_events_cross_processes_through_postgres(http, gql, district: District, db_url: str, clock: Clock) -> None:
    """A second engine and app (as another server process would have) receives what the first one commits."""
    from starlette.testclient import TestClient

    pid = district.project()
    other = open_engine(db_url, clock)
    try:
        app2 = create_app(other, ApiSettings())
        with TestClient(app2) as http2, subscribed(http2, app2, district.tokens["county_office"]) as client:
            approve(gql, pid)
            assert client.next_event()["event"] == "approve"
            assert fire(gql, "county_office", pid, "pause")["userErrors"] == []
            assert client.next_event()["seq"] == 3
    finally:
        other.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """The app on a real uvicorn server in a thread, on a free loopback port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(TIMEOUT)


def fire_over_http(base: str, token: str, pid: int) -> None:
    variables = {"input": {"projectId": to_global_id("Project", pid), "event": "approve",
                           "fields": {"decision_no": "1"}}}
    response = httpx.post(f"http://{base}/graphql", json={"query": FIRE, "variables": variables},
                          headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert response.json()["data"]["fireTransition"]["userErrors"] == [], response.text


def test_websocket_on_real_uvicorn(live_server: str, app: Any, district: District) -> None:
    pid = district.project()
    with ws_connect(f"ws://{live_server}/graphql", subprotocols=["graphql-transport-ws"],
                    open_timeout=TIMEOUT) as conn:
        conn.send(json.dumps({"type": "connection_init",
                              "payload": {"Authorization": f"Bearer {district.tokens['county_office']}"}}))
        assert json.loads(conn.recv(timeout=TIMEOUT))["type"] == "connection_ack"
        conn.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
        wait_for_subscribers(app, 1)
        fire_over_http(live_server, district.tokens["committee"], pid)
        message = json.loads(conn.recv(timeout=TIMEOUT))
    assert message["type"] == "next" and message["id"] == "1"
    assert message["payload"]["data"]["projectEvents"]["projectId"] == to_global_id("Project", pid)


def test_sse_on_real_uvicorn(live_server: str, app: Any, district: District) -> None:
    pid = district.project()
    headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {district.tokens['county_office']}"}
    body = {"query": SUBSCRIBE, "variables": {"projectId": to_global_id("Project", pid)}}
    with httpx.stream("POST", f"http://{live_server}/graphql/stream", json=body, headers=headers,
                      timeout=TIMEOUT) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        wait_for_subscribers(app, 1)
        fire_over_http(live_server, district.tokens["committee"], pid)
        lines = response.iter_lines()
        assert next(lines) == "event: next"
        data = json.loads(next(lines).removeprefix("data: "))
    event = data["data"]["projectEvents"]
    assert (event["projectId"], event["event"], event["actorName"]) == (to_global_id("Project", pid), "approve",
                                                                        "committee")


def test_a_unit_clerk_hears_only_its_units_projects(http, app, gql, district: District) -> None:
    housing = district.project(lead_unit_id=district.units["housing"])
    edu = district.project()
    with subscribed(http, app, district.tokens["edu_clerk"]) as client:
        approve(gql, housing)
        approve(gql, edu)
        assert client.next_event()["projectId"] == to_global_id("Project", edu)
