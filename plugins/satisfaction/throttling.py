"""Rate limits on anonymous ratings 满意度测评 and on issuing device tokens: leaky buckets per client address and
per project (``engine.api.throttle.LeakyBucket``; ``Throttled`` when spent), sized by ``config.Settings``.

The buckets live in this process's memory, one set per engine: several server processes each keep their own, so a
deployment's budget is the per-process budget times the number of processes. Their clock is the engine's clock
(``engine.clock``), seen through a view that never goes backwards, so tests that move the clock drain them.
"""
from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.api.throttle import UNKNOWN_ADDRESS, ForwardClock, LeakyBucket, Refusal, refuse
from plugins.satisfaction import config

if TYPE_CHECKING:
    from engine.core import Engine

@dataclass
class AnonymousLimits:
    """One engine's settings and buckets."""

    settings: config.Settings
    ratings_per_address: LeakyBucket
    ratings_per_project: LeakyBucket
    tokens_per_address: LeakyBucket


_LIMITS: weakref.WeakKeyDictionary[Engine, AnonymousLimits] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _bucket(limit: config.Limit, clock: ForwardClock) -> LeakyBucket:
    return LeakyBucket(limit.count, limit.rate, clock=clock)


def limits_of(engine: Engine) -> AnonymousLimits:
    """The engine's limits, made from the environment on first use (``config.from_env``)."""
    with _LOCK:
        found = _LIMITS.get(engine)
        if found is None:
            settings, clock = config.from_env(), ForwardClock(engine.clock.now)
            found = AnonymousLimits(settings, _bucket(settings.ratings_per_address, clock),
                                    _bucket(settings.ratings_per_project, clock),
                                    _bucket(settings.tokens_per_address, clock))
            _LIMITS[engine] = found
        return found


def _refuse(refusal: Refusal | None, what: str, limit: config.Limit, path: list[str]) -> None:
    refuse(refusal, what, limit, path)


def take_rating(engine: Engine, client: str | None, project_id: int) -> None:
    """Count one resident's rating against the caller's address and the project; ``Throttled`` when either
    budget is spent (the address's unit is then already counted: a refused flood still costs its sender)."""
    limits = limits_of(engine)
    address = client or UNKNOWN_ADDRESS
    _refuse(limits.ratings_per_address.take(("rating", address)), "ratings from your address",
            limits.settings.ratings_per_address, [])
    _refuse(limits.ratings_per_project.take(("project", project_id)), f"anonymous ratings of project {project_id}",
            limits.settings.ratings_per_project, ["input", "projectId"])


def take_token(engine: Engine, client: str | None) -> None:
    """Count one device token issued to the caller's address; ``Throttled`` when its budget is spent."""
    limits = limits_of(engine)
    _refuse(limits.tokens_per_address.take(("token", client or UNKNOWN_ADDRESS)),
            "device tokens requested from your address", limits.settings.tokens_per_address, [])
