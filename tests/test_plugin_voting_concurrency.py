"""Two at once never both win: a deputy's two simultaneous ballots count once, two simultaneous closes approve once."""
from __future__ import annotations

import datetime as dt
import threading
from typing import Callable

from pony import orm

from engine.directory.admin import add_actor
from engine.errors import DomainError
from engine.storage.sql import Sql
from plugins.participation.voting import closing, lists, sessions
from plugins.participation.voting.rules import Rules
from tests.voting_support import pool_project


def race(work: Callable[[], object], count: int = 2) -> list[object]:
    """Run ``work`` in ``count`` threads released together; each result or DomainError."""
    barrier, results = threading.Barrier(count), []

    def run() -> None:
        barrier.wait()
        try:
            results.append(work())
        except DomainError as exc:
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_a_deputys_simultaneous_ballots_count_once_and_closes_approve_once(engine, district):
    add_actor(engine, "deputy01", "代表01", ["deputy"], "county")
    projects = [pool_project(district, n) for n in range(3)]
    made = lists.create_list(engine, district.actor("county_office"),
                             lists.NewList(district.regions["county"], 2024, "候选", projects))
    committee = district.actor("committee")
    lists.set_rules(engine, committee, made.id, Rules(2, 1))
    sessions.open_session(engine, committee, made.id, sessions.SessionRequest(
        "electronic", "常委会", dt.date(2024, 1, 20), 2, 2, ["甲"], deputies=["deputy", "deputy01"]))
    voter = district.actor("deputy")
    ballots = race(lambda: sessions.cast_ballot(engine, voter, made.id, [(p, "yes") for p in projects]))
    assert sum(r is None for r in ballots) == 1 and sum(isinstance(r, DomainError) for r in ballots) == 1
    sessions.cast_ballot(engine, district.actor("deputy01"), made.id, [(p, "yes") for p in projects[:1]] +
                         [(p, "no") for p in projects[1:]])
    closes = race(lambda: closing.close_session(engine, committee, made.id))
    assert sum(isinstance(r, closing.Closed) for r in closes) == 1
    with orm.db_session:
        sql = Sql(engine.db)
        assert sql.scalar("SELECT ballots_returned FROM voting_session") == 2
        assert sql.scalar("SELECT COUNT(*) FROM audit_record WHERE event = 'approve'") == 1
