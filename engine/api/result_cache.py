"""Query results kept while nothing has changed: a repeated query (a dashboard's list page, a portal's project
page) is answered from memory as long as the data generation (``engine.storage.generation``) it was computed at is
still current, for the same caller, the same document and variables, on the same day of the engine's clock.

What a result depends on is its key: the data (the generation), the caller, the document and variables, and the
day — every time-dependent figure of a query (序时进度, overdue deadlines and inspections, a dashboard's today) is
computed for the engine clock's date, never for the time of day, so keys do not all expire together each minute.

Single flight: while one caller computes a key, the others asking for the same key at the same generation wait
for its answer instead of computing it again (a cache stampede). A waiter stops waiting after its own time
limit, or when the computing caller fails (errors are not kept), and then computes the answer itself.

Only successful query results are kept; mutations never are. Without a generation (PostgreSQL) nothing is kept
and nobody waits.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Hashable

from engine.directory.actors import ActorView

MAX_ENTRIES = 512
MAX_BYTES = 512 * 1024  # larger results are not kept


def cache_key(actor: ActorView, query: str, name: str | None, variables: Any, today: dt.date) -> Hashable:
    """Who asks (the actor's id: any change to an actor moves the generation on), what, and the clock's date."""
    return (actor.id or 0, query, name, json.dumps(variables, sort_keys=True, default=str), today)


@dataclass(eq=False)
class Flight:
    """One caller computing a key at a generation; the others wait for ``done``."""

    key: Hashable
    generation: int
    done: threading.Event = field(default_factory=threading.Event)
    waiters: int = 0


class ResultCache:
    """A bounded, thread-safe map of (key) → (generation, encoded response body, the request's cost), with the
    keys being computed right now (``claim`` / ``finish``)."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[int, bytes, int]] = OrderedDict()
        self._flights: dict[tuple[Hashable, int], Flight] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, generation: int | None) -> tuple[bytes, int] | None:
        if generation is None:
            return None
        with self._lock:
            return self._get(key, generation)

    def _get(self, key: Hashable, generation: int) -> tuple[bytes, int] | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != generation:
            return None
        self._entries.move_to_end(key)
        return entry[1], entry[2]

    def put(self, key: Hashable, generation: int | None, body: bytes, cost: int = 0) -> None:
        if generation is None or len(body) > MAX_BYTES:
            return
        with self._lock:
            self._put(key, generation, body, cost)

    def _put(self, key: Hashable, generation: int, body: bytes, cost: int) -> None:
        current = self._entries.get(key)
        if current is not None and current[0] > generation:
            return  # a newer answer is kept already
        self._entries[key] = (generation, body, cost)
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def claim(self, key: Hashable, generation: int | None,
              timeout: float | None) -> tuple[tuple[bytes, int] | None, Flight | None]:
        """The kept answer, ``(answer, None)``; or ``(None, flight)``: the caller computes the key and must call
        ``finish(flight, ...)`` whatever happens; or ``(None, None)``: the caller computes without keeping (no
        generation, or it waited for another caller in vain: that one failed or took longer than ``timeout``
        seconds). Waits while another caller computes the same key at the same generation."""
        if generation is None:
            return None, None
        with self._lock:
            kept = self._get(key, generation)
            if kept is not None:
                return kept, None
            flight = self._flights.get((key, generation))
            if flight is None:
                flight = self._flights[(key, generation)] = Flight(key, generation)
                return None, flight
            flight.waiters += 1
        try:
            flight.done.wait(timeout)
        finally:
            with self._lock:
                flight.waiters -= 1
        # the answer is kept now; or the computing caller failed (an error is not kept) or is too slow: then each
        # waiter computes alone (no chain of waiters each waiting for the next)
        return self.get(key, generation), None

    def finish(self, flight: Flight | None, body: bytes | None, cost: int = 0) -> None:
        """End ``flight``: keep ``body`` (None: the computation failed, nothing to keep) and wake the waiters."""
        if flight is None:
            return
        with self._lock:
            if body is not None and len(body) <= MAX_BYTES:
                self._put(flight.key, flight.generation, body, cost)
            if self._flights.get((flight.key, flight.generation)) is flight:
                del self._flights[(flight.key, flight.generation)]
        flight.done.set()

    def flights(self) -> int:
        """How many keys are being computed now (0 when idle: nothing is left behind)."""
        with self._lock:
            return len(self._flights)
