"""Two clerks acting on one project at once must never both win: threads against the real database."""
from __future__ import annotations

import threading

import pytest
from pony import orm

from engine.errors import Conflict, InvalidEvent
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition

THREADS = 8
ROUNDS = 20


def race(engine, actor, project_id, event, fields):
    barrier = threading.Barrier(THREADS)
    outcomes: list[object] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            result: object = fire_transition(engine, actor, TransitionRequest(project_id, event, fields))
        except (Conflict, InvalidEvent) as exc:
            result = exc
        except Exception as exc:  # anything else is a failure of the test
            result = exc
        finally:
            engine.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_eight_threads_fire_one_transition_exactly_one_wins(engine, district):
    committee = district.actor("committee")
    for _ in range(ROUNDS):
        pid = district.project()
        outcomes = race(engine, committee, pid, "approve", {"decision_no": "X"})
        winners = [o for o in outcomes if not isinstance(o, Exception)]
        losers = [o for o in outcomes if isinstance(o, Exception)]
        assert len(outcomes) == THREADS
        assert len(winners) == 1, outcomes
        assert all(isinstance(o, (Conflict, InvalidEvent)) for o in losers), losers
        with orm.db_session:
            sql = Sql(engine.db)
            events = sql.all("SELECT event FROM audit_record WHERE project_id = ? ORDER BY seq", (pid,))
            state, version = sql.one("SELECT state, version FROM project WHERE id = ?", (pid,))
        assert [e[0] for e in events] == ["create", "approve"]
        assert (state, version) == ("approved", 2)


def test_concurrent_transitions_on_different_projects_all_succeed(engine, district):
    committee = district.actor("committee")
    projects = [district.project() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    errors: list[Exception] = []

    def attempt(pid: int) -> None:
        barrier.wait()
        try:
            fire_transition(engine, committee, TransitionRequest(pid, "approve", {"decision_no": "X"}))
        except Exception as exc:
            errors.append(exc)
        finally:
            engine.close()

    threads = [threading.Thread(target=attempt, args=(pid,)) for pid in projects]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with orm.db_session:
        states = Sql(engine.db).all("SELECT state FROM project ORDER BY id")
    assert [s[0] for s in states] == ["approved"] * THREADS


@pytest.mark.parametrize("second_event", ["pause", "drop"])
def test_two_different_events_at_once_only_one_lands(engine, district, second_event):
    """pause (office) and drop (committee) from the same state: the loser sees the state has moved on."""
    pid = district.project()
    fire_transition(engine, district.actor("committee"), TransitionRequest(pid, "approve", {"decision_no": "X"}))
    barrier = threading.Barrier(2)
    results: list[object] = []
    requests = [(district.actor("county_office"), "pause", {}),
                (district.actor("committee"), second_event, {"reason": "撤销"})]

    def attempt(actor, event, fields) -> None:
        barrier.wait()
        try:
            results.append(fire_transition(engine, actor, TransitionRequest(pid, event, fields, expected_version=2)))
        except (Conflict, InvalidEvent) as exc:
            results.append(exc)
        finally:
            engine.close()

    threads = [threading.Thread(target=attempt, args=r) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    with orm.db_session:
        count = Sql(engine.db).scalar("SELECT COUNT(*) FROM audit_record WHERE project_id = ?", (pid,))
    assert count == 3
