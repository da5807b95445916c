"""What a transition sends to the database: a fixed, small number of statements on SQLite and on PostgreSQL,
however long the project's history and however many projects there are; over HTTP, the request adds only the
caller's sign-in and the payload's read, and reuses its thread's connection."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

import pytest
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.api.ids import to_global_id
from engine.api.settings import ApiSettings
from engine.core import Engine
from engine.transition import TransitionRequest, fire_transition
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW
from tests.district import District, build_district
from tests.statements import Statements, watch_statements

MAX_TRANSITION = 10  # BEGIN, the locked project row (with its cooperating units), UPDATE, audit INSERT, the plugins'
#                      in-transaction work (the schedule standing: its project row, latest report, stopped intervals
#                      with the moves since, the intervals kept, the standing), COMMIT
FIRE = ("mutation($input: FireTransitionInput!) { fireTransition(input: $input) { toState "
        "project { version } userErrors { code } } }")


@pytest.fixture
def watched(db_url: str, clock: Any) -> Iterator[tuple[Statements, Engine, District]]:
    with watch_statements() as log:
        engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False,
                             workflow_files=[DEFAULT_WORKFLOW, SIMPLE_WORKFLOW])
        engine.workflow_poll_seconds = float("inf")  # the look for published versions (every 2 s) is not counted
        yield log, engine, build_district(engine)
        engine.close()


def transition_statements(log: Statements, engine: Engine, district: District, pid: int, event: str) -> list[str]:
    office = district.actor("county_office")
    with log.counting() as sent:
        fire_transition(engine, office, TransitionRequest(pid, event))
    return [s for s in sent if not s.upper().startswith("PRAGMA")]


def test_a_transition_is_a_fixed_small_number_of_statements(watched: Any) -> None:
    log, engine, district = watched
    planned = {"planned_start": dt.date(2024, 1, 1), "planned_end": dt.date(2024, 12, 31)}  # a standing to keep
    fresh, seasoned = district.project(**planned), district.project(**planned)
    for pid in (fresh, seasoned):
        fire_transition(engine, district.actor("committee"), TransitionRequest(pid, "approve", {"decision_no": "X"}))
    for _ in range(30):  # a long history of moves in and out of a state that stops the clock
        for event in ("pause", "resume"):
            fire_transition(engine, district.actor("county_office"), TransitionRequest(seasoned, event))
    first = transition_statements(log, engine, district, fresh, "pause")
    later = transition_statements(log, engine, district, seasoned, "pause")
    kinds = [s.split(None, 1)[0].upper() for s in first]
    assert len(first) == len(later) <= MAX_TRANSITION, first
    assert kinds[0] == "BEGIN" and kinds[-1] == "COMMIT" and kinds.count("UPDATE") == 1
    assert not any(s.upper().startswith("DISCARD") for s in first + later)


def test_a_transition_over_http_adds_only_sign_in_and_the_payload(watched: Any) -> None:
    log, engine, district = watched
    pids = [district.project() for _ in range(3)]
    for pid in pids:
        fire_transition(engine, district.actor("committee"), TransitionRequest(pid, "approve", {"decision_no": "X"}))
    headers = {"Authorization": f"Bearer {district.tokens['county_office']}"}
    with TestClient(create_app(engine, ApiSettings(threads=2))) as http:
        counts, opened = [], log.connections
        for round_ in range(4):
            for pid in pids:
                event = ("pause", "resume")[round_ % 2]
                with log.counting() as sent:
                    body = http.post("/graphql", headers=headers, json={"query": FIRE, "variables": {
                        "input": {"projectId": to_global_id("Project", pid), "event": event}}}).json()
                assert body["data"]["fireTransition"]["userErrors"] == []
                counts.append(len([s for s in sent if not s.upper().startswith("PRAGMA")]))
        assert len(set(counts)) == 1 and counts[0] <= MAX_TRANSITION + 2, counts
        assert log.connections - opened <= 4  # the worker threads' connections, each opened once, not per request
