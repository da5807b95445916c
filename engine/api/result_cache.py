"""Query results kept while nothing has changed: a repeated query (a dashboard's list page, a portal's project
page) is answered from memory as long as the data generation (``engine.storage.generation``) it was computed at is still
current, for the same caller, the same document and variables, within the same minute of the engine's clock.

Only successful query results are kept; mutations never are. Without a generation (PostgreSQL) nothing is kept.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from typing import Any, Hashable

from engine.directory.actors import ActorView

MAX_ENTRIES = 512
MAX_BYTES = 512 * 1024  # larger results are not kept


def cache_key(actor: ActorView, query: str, name: str | None, variables: Any, now: dt.datetime) -> Hashable:
    """Who asks (the actor's id: any change to an actor moves the generation on), what, and the minute."""
    return (actor.id or 0, query, name, json.dumps(variables, sort_keys=True, default=str),
            now.replace(second=0, microsecond=0))


class ResultCache:
    """A bounded, thread-safe map of (key) → (generation, encoded response body, the request's cost)."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[int, bytes, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, generation: int | None) -> tuple[bytes, int] | None:
        if generation is None:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != generation:
                return None
            self._entries.move_to_end(key)
            return entry[1], entry[2]

    def put(self, key: Hashable, generation: int | None, body: bytes, cost: int = 0) -> None:
        if generation is None or len(body) > MAX_BYTES:
            return
        with self._lock:
            self._entries[key] = (generation, body, cost)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
