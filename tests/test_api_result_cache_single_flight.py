"""No cache stampede: while one caller computes a result, the others asking for the same key wait for its answer
instead of computing it again — and a failed or slow computation never leaves them waiting for ever, nor leaves
anything behind."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from engine.api.result_cache import ResultCache
from engine.storage.sql import Sql
from tests.conftest import backend

PAGE = "{ projects(first: 10) { edges { node { code title state { name } } } } }"
CLIENTS = 8


def wait_for_waiters(cache: ResultCache, n: int, flight: Any) -> None:
    """Until ``n`` callers wait on ``flight`` (so the test does not race its own threads)."""
    deadline = time.monotonic() + 10
    while flight.waiters < n:
        assert time.monotonic() < deadline, f"only {flight.waiters} of {n} callers waited"
        time.sleep(0.001)


def compute_once(cache: ResultCache, key: str, computed: list[int], answer: bytes | None,
                 timeout: float | None = 10) -> bytes:
    """What a caller of the HTTP layer does: claim; compute when leading (or alone); finish."""
    kept, flight = cache.claim(key, 7, timeout)
    if kept is not None:
        return kept[0]
    try:
        computed.append(1)
        if flight is not None:
            time.sleep(0.05)  # long enough for the others to pile up behind
        if answer is None:
            raise RuntimeError("the computation failed")
        return answer
    finally:
        cache.finish(flight, answer)


def test_concurrent_callers_of_one_key_compute_it_once() -> None:
    cache, computed = ResultCache(), []
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda _: compute_once(cache, "k", computed, b'{"data":1}'), range(CLIENTS)))
    assert answers == [b'{"data":1}'] * CLIENTS
    assert len(computed) == 1
    assert cache.flights() == 0


def test_waiters_of_a_failed_computation_compute_alone_and_nothing_is_left_behind() -> None:
    cache, computed = ResultCache(), []
    kept, leader = cache.claim("k", 7, 10)
    assert kept is None and leader is not None
    with ThreadPoolExecutor(CLIENTS) as pool:
        waiting = [pool.submit(compute_once, cache, "k", computed, b"mine") for _ in range(CLIENTS)]
        wait_for_waiters(cache, CLIENTS, leader)
        cache.finish(leader, None)  # the leader failed: nothing kept
        assert [f.result(timeout=10) for f in waiting] == [b"mine"] * CLIENTS
    assert len(computed) == CLIENTS  # each computed its own answer, none waited for another waiter
    assert cache.flights() == 0


def test_a_leader_raising_wakes_its_waiters() -> None:
    cache, computed = ResultCache(), []
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [pool.submit(compute_once, cache, "k", computed, None) for _ in range(CLIENTS)]
        errors = [f.exception(timeout=10) for f in results]
    assert all(isinstance(e, RuntimeError) for e in errors)
    assert cache.flights() == 0 and cache.get("k", 7) is None


def test_a_slow_leader_is_waited_for_no_longer_than_the_timeout() -> None:
    cache, computed = ResultCache(), []
    kept, leader = cache.claim("k", 7, 10)
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: compute_once(cache, "k", computed, b"alone", timeout=0.2), range(4)))
    assert answers == [b"alone"] * 4 and len(computed) == 4
    assert time.monotonic() - started < 5
    cache.finish(leader, b"late")
    assert cache.get("k", 7) == (b"late", 0) and cache.flights() == 0


def test_another_generation_or_key_does_not_wait() -> None:
    cache = ResultCache()
    _, leader = cache.claim("k", 7, 10)
    assert cache.claim("k", 8, 0.01)[1] is not None  # a newer generation is another computation
    assert cache.claim("other", 7, 0.01)[1] is not None
    assert cache.claim("k", None, 0.01) == (None, None)  # no generation (PostgreSQL): nothing kept, nobody waits
    cache.finish(leader, b"x")


@pytest.mark.skipif(backend() != "sqlite", reason="results are cached on SQLite only")
def test_concurrent_identical_requests_run_the_page_query_once(http, district, monkeypatch) -> None:
    """Over HTTP: 8 clients ask for the same page while it is being computed; the database runs it once and all
    get the same answer."""
    district.project()
    ran: list[str] = []
    execute = Sql.execute

    def slow_page(self: Sql, sql: str, params: Any = ()) -> Any:
        if "ORDER BY p.region_path, p.id LIMIT" in sql:
            ran.append(sql)
            time.sleep(0.3)  # the others arrive meanwhile
        return execute(self, sql, params)

    monkeypatch.setattr(Sql, "execute", slow_page)
    headers = {"Authorization": f"Bearer {district.tokens['county_office']}"}
    barrier = threading.Barrier(CLIENTS)

    def ask(_: int) -> dict:
        barrier.wait()
        response = http.post("/graphql", json={"query": PAGE}, headers=headers)
        assert response.status_code == 200
        body = response.json()
        body.pop("extensions", None)
        return body

    with ThreadPoolExecutor(CLIENTS) as pool:
        bodies = list(pool.map(ask, range(CLIENTS)))
    assert len(ran) == 1
    assert all(b == bodies[0] for b in bodies) and bodies[0]["data"]["projects"]["edges"]
