"""Budgets over time: a leaky bucket per key (an actor, a client address, a project).

A bucket holds at most ``capacity`` units and drains at ``rate`` units per second; a request that would overflow it
is refused and told how long to wait (the ``Retry-After`` of a ``THROTTLED`` answer). Buckets live in this process's
memory: with several server processes each keeps its own, so a deployment's effective budget is the per-process
budget times the number of processes. Idle keys are forgotten (a bucket that has drained empty is the same as none),
and at most ``max_keys`` are kept, so a flood of fresh client addresses cannot grow memory without bound.
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable


@dataclass(frozen=True)
class CostLimits:
    max_cost: int = 25_000  # one request (a page of 50 projects with a dozen fields costs about 950)
    actor_rate: int = 10_000  # a signed-in actor's budget, restored per second …
    public_rate: int = 2_000  # … and one client address's of the public
    burst_seconds: int = 50  # a bucket holds this many seconds of its rate: the largest burst

    @property
    def actor_capacity(self) -> int:
        return self.actor_rate * self.burst_seconds

    @property
    def public_capacity(self) -> int:
        return self.public_rate * self.burst_seconds


@dataclass(frozen=True)
class Refusal:
    """Why a take was refused: how long until it would fit, in whole seconds (at least 1)."""

    retry_after: int
    level: float  # the bucket's content when refused
    capacity: float


class LeakyBucket:
    def __init__(self, capacity: float, rate: float, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if capacity <= 0 or rate <= 0:
            raise ValueError("a bucket needs a positive capacity and rate")
        self.capacity, self.rate, self.max_keys, self.clock = float(capacity), float(rate), max_keys, clock
        self._levels: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()  # key -> (level, at)
        self._lock = threading.Lock()

    def level(self, key: Hashable) -> float:
        """The bucket's content now (0 for a key never seen or drained)."""
        with self._lock:
            return self._drained(key, self.clock())

    def take(self, key: Hashable, amount: float = 1.0) -> Refusal | None:
        """Add ``amount`` to ``key``'s bucket; None when it fits, else a ``Refusal`` (nothing is added).
        An amount larger than the whole capacity never fits."""
        with self._lock:
            now = self.clock()
            level = self._drained(key, now)
            if level + amount > self.capacity:
                wait = (level + amount - self.capacity) / self.rate if amount <= self.capacity else math.inf
                return Refusal(max(1, math.ceil(wait)) if wait != math.inf else 3600, level, self.capacity)
            self._levels[key] = (level + amount, now)
            self._levels.move_to_end(key)
            while len(self._levels) > self.max_keys:
                self._levels.popitem(last=False)
            return None

    def _drained(self, key: Hashable, now: float) -> float:
        kept = self._levels.get(key)
        if kept is None:
            return 0.0
        level = max(0.0, kept[0] - (now - kept[1]) * self.rate)
        if level == 0.0:
            del self._levels[key]
        return level
