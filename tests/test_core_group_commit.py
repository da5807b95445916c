"""Group commit (engine.commits): transitions queued while another batch commits run in one transaction, each under
its own savepoint. Each stays atomic and ordered, a failing one rolls back alone, and every caller gets its own
answer, on SQLite and on PostgreSQL (where group commit is off by default and switched on here)."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

import pytest
from starlette.testclient import TestClient

from engine.api.app import create_app
from engine.api.ids import to_global_id
from engine.api.settings import ApiSettings
from engine.core import Engine
from engine.errors import GuardFailed
from engine.hookspecs import hookimpl
from engine.transition import TransitionRecord, TransitionRequest, fire_transition
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW
from tests.district import District, build_district
from tests.test_core_faults import Faults
from tests.test_core_transitions import snapshot

FIRE = ("mutation($input: FireTransitionInput!) { fireTransition(input: $input) { toState seq "
        "userErrors { code } } }")


@pytest.fixture
def grouped(db_url: str, clock: Any) -> Iterator[Engine]:
    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False,
                         workflow_files=[DEFAULT_WORKFLOW, SIMPLE_WORKFLOW], group_commit=True)
    yield engine
    engine.close()


@pytest.fixture
def place(grouped: Engine) -> District:
    return build_district(grouped)


class Gate:
    """Holds the transition of project ``held`` inside its transaction until ``open()``; meanwhile the others
    queue up, and the next batch takes them all."""

    def __init__(self, held: int, then: Callable[[], None] | None = None) -> None:
        self.held, self.then, self.entered, self.opened = held, then, threading.Event(), threading.Event()

    @hookimpl
    def minsheng_transition(self, record: TransitionRecord) -> None:
        if record.project.id == self.held and not self.opened.is_set():
            self.entered.set()
            assert self.opened.wait(30)

    @hookimpl
    def minsheng_after_commit(self, record: TransitionRecord) -> None:
        if record.project.id == self.held and self.then is not None:
            self.then()  # the gated batch has committed; the next one has not begun


class Breaks:
    """An in-transaction hook that fails for one project, after the transition wrote its row and audit record."""

    def __init__(self, broken: int) -> None:
        self.broken = broken

    @hookimpl
    def minsheng_transition(self, record: TransitionRecord) -> None:
        if record.project.id == self.broken:
            raise RuntimeError("a plugin failed inside the transaction")


def batch_of(engine: Engine, place: District, writes: list[Callable[[], Any]],
             then: Callable[[], None] | None = None) -> list[Any]:
    """Run ``writes`` (each in its own thread) as one batch: a gated transition leads first, the writes queue
    behind it, then the gate opens (``then`` runs between the two batches). Returns each write's result or
    exception, in order."""
    held = place.project()
    fire_transition(engine, place.actor("committee"), TransitionRequest(held, "approve", {"decision_no": "G"}))
    gate = Gate(held, then)
    engine.plugins.register(gate)
    try:
        leader = threading.Thread(target=fire_transition, args=(engine, place.actor("county_office"),
                                                                TransitionRequest(held, "pause")))
        leader.start()
        assert gate.entered.wait(30)
        outcomes: list[Any] = [None] * len(writes)

        def run(i: int) -> None:
            try:
                outcomes[i] = writes[i]()
            except Exception as exc:  # the caller's own answer
                outcomes[i] = exc

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(writes))]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while engine.commits.queued < len(writes):
            assert time.monotonic() < deadline, "the writes never queued"
            time.sleep(0.01)
        gate.opened.set()
        for t in [leader, *threads]:
            t.join(60)
        return outcomes
    finally:
        engine.plugins.unregister(gate)


def approve(engine: Engine, place: District, pid: int, **kw: Any) -> Callable[[], Any]:
    return lambda: fire_transition(engine, place.actor("committee"),
                                   TransitionRequest(pid, "approve", {"decision_no": "X"}, **kw))


def test_a_failing_transition_in_a_batch_rolls_back_alone(grouped: Engine, place: District) -> None:
    good = [place.project() for _ in range(3)]
    broken, blocked, twice = place.project(), place.project(lead_unit_id=None), place.project()
    grouped.plugins.register(Breaks(broken))
    before = {pid: snapshot(grouped, pid) for pid in (broken, blocked)}
    writes = [approve(grouped, place, pid) for pid in good]
    writes += [approve(grouped, place, broken), approve(grouped, place, blocked),
               approve(grouped, place, twice, expected_version=1), approve(grouped, place, twice, expected_version=1)]
    outcomes = batch_of(grouped, place, writes)
    assert all(isinstance(o, TransitionRecord) and o.dest == "approved" for o in outcomes[:3]), outcomes
    assert isinstance(outcomes[3], RuntimeError)  # its own error, and nothing of it kept
    assert isinstance(outcomes[4], GuardFailed)
    assert sorted(type(o).__name__ for o in outcomes[5:]) == ["Conflict", "TransitionRecord"]  # one winner
    for pid in (broken, blocked):
        assert snapshot(grouped, pid) == before[pid]
    for pid in (*good, twice):
        (state, _, version, seq, _), history, _ = snapshot(grouped, pid)
        assert (state, version, seq, [h[1] for h in history]) == ("approved", 2, 2, ["create", "approve"])


def test_transitions_of_one_project_in_a_batch_keep_their_order(grouped: Engine, place: District) -> None:
    pid = place.project()
    fire_transition(grouped, place.actor("committee"), TransitionRequest(pid, "approve", {"decision_no": "X"}))
    office = place.actor("county_office")
    events = ["pause", "resume", "pause", "resume"]
    writes = [lambda e=event: fire_transition(grouped, office, TransitionRequest(pid, e)) for event in events]
    outcomes = batch_of_in_order(grouped, place, writes)
    assert [o.event for o in outcomes] == events and [o.seq for o in outcomes] == [3, 4, 5, 6]
    (state, _, version, _, _), history, _ = snapshot(grouped, pid)
    assert (state, version) == ("approved", 6) and [h[1] for h in history][2:] == events


def batch_of_in_order(engine: Engine, place: District, writes: list[Callable[[], Any]],
                      then: Callable[[], None] | None = None) -> list[Any]:
    """Like ``batch_of``, but each write is queued only after the one before it."""
    staged: list[Callable[[], Any]] = []
    for i, write in enumerate(writes):
        def staged_write(i: int = i, write: Callable[[], Any] = write) -> Any:
            while engine.commits.queued < i:  # the writes before it are queued
                time.sleep(0.005)
            return write()
        staged.append(staged_write)
    return batch_of(engine, place, staged, then)


def test_a_fault_at_any_step_of_a_batch_leaves_each_transition_whole_or_absent(
        grouped: Engine, place: District, monkeypatch: pytest.MonkeyPatch) -> None:
    faults = Faults(monkeypatch)
    committed, failed = 0, 0
    for step in range(1, 60):
        pids = [place.project() for _ in range(3)]
        before = {pid: snapshot(grouped, pid) for pid in pids}

        def arm(step: int = step) -> None:
            faults.steps.clear()
            faults.fail_at = step

        outcomes = batch_of_in_order(grouped, place, [approve(grouped, place, pid) for pid in pids], then=arm)
        steps, faults.fail_at = len(faults.steps), None
        for pid, outcome in zip(pids, outcomes):
            if isinstance(outcome, TransitionRecord):
                committed += 1
                assert snapshot(grouped, pid)[0][0] == "approved"
            else:
                failed += 1
                assert snapshot(grouped, pid) == before[pid], (step, pid, outcome)
        if steps < step:
            assert all(isinstance(o, TransitionRecord) for o in outcomes)
            break  # past the batch's last step: nothing failed
    else:
        pytest.fail("the batch never ran out of steps")
    assert "SAVEPOINT" in faults.steps and committed > 3 and failed >= step - 1


def test_over_http_threads_never_both_win_one_version(grouped: Engine, place: District) -> None:
    projects = [place.project() for _ in range(4)]
    committee = place.actor("committee")
    for pid in projects:
        fire_transition(grouped, committee, TransitionRequest(pid, "approve", {"decision_no": "X"}))
    token = place.tokens["county_office"]
    with TestClient(create_app(grouped, ApiSettings(cache_results=False))) as http:
        for version, event in ((2, "pause"), (3, "resume"), (4, "pause")):
            answers: list[tuple[int, dict]] = []
            lock = threading.Lock()
            barrier = threading.Barrier(len(projects) * 4)

            def attempt(pid: int, version: int = version, event: str = event) -> None:
                barrier.wait()
                body = http.post("/graphql", headers={"Authorization": f"Bearer {token}"}, json={
                    "query": FIRE, "variables": {"input": {"projectId": to_global_id("Project", pid), "event": event,
                                                           "expectedVersion": version}}}).json()
                with lock:
                    answers.append((pid, body["data"]["fireTransition"]))

            threads = [threading.Thread(target=attempt, args=(pid,)) for pid in projects for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            for pid in projects:
                mine = [a for p, a in answers if p == pid]
                assert len([a for a in mine if not a["userErrors"]]) == 1, mine
                assert all(a["userErrors"][0]["code"] == "CONFLICT" for a in mine if a["userErrors"]), mine
    for pid in projects:
        (state, _, version, seq, _), history, _ = snapshot(grouped, pid)
        assert (state, version, seq, len(history)) == ("paused", 5, 5, 5)
