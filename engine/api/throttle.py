"""Budgets over time: a leaky bucket per key (an actor, a client address, a project).

A bucket holds at most ``capacity`` units and drains at ``rate`` units per second; a request that would overflow it
is refused and told how long to wait (the ``Retry-After`` of a ``THROTTLED`` answer). Buckets live in this process's
memory: with several server processes each keeps its own, so a deployment's effective budget is the per-process
budget times the number of processes. Idle keys are forgotten (a bucket that has drained empty is the same as none),
and at most ``max_keys`` are kept, so a flood of fresh client addresses cannot grow memory without bound.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Hashable

from engine.errors import DomainError


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


# Rate limits on anonymous writes (residents' ratings, suggestions): their settings, a clock that never goes back,
# and the refusal clients see. Plugins size their own buckets from these.

LIMIT_PATTERN = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
EPOCH = dt.datetime(1970, 1, 1)
UNKNOWN_ADDRESS = "unknown"  # callers whose address the server does not know share one budget


@dataclass(frozen=True)
class Limit:
    """At most ``count`` requests per ``seconds`` (a leaky bucket of capacity ``count`` draining evenly)."""

    count: int
    seconds: int

    @property
    def rate(self) -> float:
        """Units drained per second."""
        return self.count / self.seconds


def parse_limit(name: str, text: str) -> Limit:
    """``"5/60"`` as a Limit, or ValueError naming the variable and the expected form."""
    found = LIMIT_PATTERN.fullmatch(text)
    if not found or int(found.group(1)) < 1 or int(found.group(2)) < 1:
        raise ValueError(f"{name} must be '<count>/<seconds>' with both at least 1 (e.g. '5/60'), got {text!r}")
    return Limit(int(found.group(1)), int(found.group(2)))


class Throttled(DomainError):
    """Refused for now: too many requests; ``retry_after`` whole seconds until one would fit."""

    code = "THROTTLED"

    def __init__(self, message: str, retry_after: int, *, path: list[str] | None = None) -> None:
        super().__init__(message, path=path)
        self.retry_after = retry_after


class ForwardClock:
    """Seconds on the engine's clock, never going backwards (a wall clock set back does not refill budgets)."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self.now, self.last, self.lock = now, 0.0, threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            self.last = max(self.last, (self.now() - EPOCH).total_seconds())
            return self.last


def refuse(refusal: Refusal | None, what: str, limit: Limit, path: list[str]) -> None:
    """``Throttled`` for a refused take, naming what was limited, the limit and the wait."""
    if refusal is not None:
        seconds = "second" if refusal.retry_after == 1 else "seconds"
        raise Throttled(f"too many {what} (at most {limit.count} per {limit.seconds} seconds): try again in "
                        f"{refusal.retry_after} {seconds}", refusal.retry_after, path=path)
