"""Fault injection: the database fails at each step of a transition in turn; nothing may be half-written."""
from __future__ import annotations

import logging

import pytest
from pony.orm import dbapiprovider

from engine.storage import sql as sql_module
from engine.hookspecs import hookimpl
from engine.transition import TransitionRequest, fire_transition
from tests.test_core_transitions import snapshot


class InjectedFault(Exception):
    pass


class Faults:
    """Counts every statement and the commit of a transition; raises at step ``fail_at``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.fail_at: int | None = None
        self.steps: list[str] = []
        real_execute, real_provider_execute = sql_module.Sql.execute, dbapiprovider.DBAPIProvider.execute
        real_commit = dbapiprovider.DBAPIProvider.commit

        def execute(this, statement, params=()):
            self._step(statement)
            return real_execute(this, statement, params)

        def provider_execute(this, cursor, statement, *args, **kwargs):
            self._step(statement)
            return real_provider_execute(this, cursor, statement, *args, **kwargs)

        def commit(this, connection, cache=None):
            self._step("COMMIT")
            return real_commit(this, connection, cache)

        monkeypatch.setattr(sql_module.Sql, "execute", execute)
        monkeypatch.setattr(dbapiprovider.DBAPIProvider, "execute", provider_execute)
        monkeypatch.setattr(dbapiprovider.DBAPIProvider, "commit", commit)

    def _step(self, statement: str) -> None:
        self.steps.append(statement.split()[0].upper())
        if self.fail_at is not None and len(self.steps) == self.fail_at:
            raise InjectedFault(f"database failed at step {self.fail_at}: {statement[:40]}")


def test_database_failing_at_each_step_leaves_everything_unchanged(engine, district, monkeypatch):
    committee = district.actor("committee")
    pid = district.project()
    request = TransitionRequest(pid, "approve", {"decision_no": "X"}, idempotency_key="key-1")
    before = snapshot(engine, pid)
    faults = Faults(monkeypatch)
    fire_transition(engine, committee, request)  # a dry run on a twin project to count the steps
    steps = list(faults.steps)
    assert "COMMIT" in steps and steps.count("INSERT") >= 2 and "UPDATE" in steps
    # the dry run changed the project: make a fresh one and fail it at each step
    pid = district.project()
    request = TransitionRequest(pid, "approve", {"decision_no": "X"}, idempotency_key="key-2")
    before = snapshot(engine, pid)
    for step in range(1, len(steps) + 1):
        faults.steps.clear()
        faults.fail_at = step
        with pytest.raises(Exception):
            fire_transition(engine, committee, request)
        faults.fail_at = None
        assert snapshot(engine, pid) == before, f"changed after a fault at step {step} ({steps[step - 1]})"
    record = fire_transition(engine, committee, request)
    assert record.dest == "approved" and not record.replayed


class BrokenInTransaction:
    @hookimpl
    def minsheng_transition(self, record, db):
        raise RuntimeError("an in-transaction plugin failed")


class BrokenAfterCommit:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def minsheng_after_commit(self, record):
        self.seen.append(record.event)
        raise RuntimeError("the notification service is down")


def test_in_transaction_hook_failure_rolls_back(engine, district):
    pid = district.project()
    before = snapshot(engine, pid)
    engine.plugins.register(BrokenInTransaction(), name="broken_in_tx")
    with pytest.raises(RuntimeError, match="in-transaction plugin failed"):
        fire_transition(engine, district.actor("committee"), TransitionRequest(pid, "approve", {"decision_no": "X"}))
    assert snapshot(engine, pid) == before


def test_after_commit_hook_failure_is_logged_and_keeps_the_transition(engine, district, caplog):
    pid = district.project()
    plugin = BrokenAfterCommit()
    engine.plugins.register(plugin, name="broken_after_commit")
    with caplog.at_level(logging.ERROR, logger="minsheng"):
        record = fire_transition(engine, district.actor("committee"),
                                 TransitionRequest(pid, "approve", {"decision_no": "X"}))
    assert plugin.seen == ["approve"] and record.dest == "approved"
    assert "after-commit hook of plugin 'broken_after_commit' failed" in caplog.text
    (state, *_), _, _ = snapshot(engine, pid)
    assert state == "approved"
