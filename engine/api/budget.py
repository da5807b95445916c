"""What a request may cost, before it runs: a maximum per request and a budget per caller over time.

The cost of an operation is estimated from its document (``engine.api.shape``: fields that would be resolved,
pages multiplied by ``first``). An operation over ``max_cost`` is refused (``COST_LIMIT_EXCEEDED``) without running.
Otherwise its cost is taken from the caller's leaky bucket — per actor when signed in, per client address for the
public, which gets a smaller one — and a caller whose bucket would overflow is refused (``THROTTLED``, HTTP 429 with
``Retry-After``). Every answer carries ``extensions.cost``: what the request cost, the maximum, and what is left.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from graphql import ExecutionResult, GraphQLError

from engine.directory.actors import ActorView
from engine.api.shape import operation_cost
from engine.api.throttle import CostLimits, LeakyBucket, Refusal


class Budgets:
    """The buckets of one app (in this process's memory)."""

    def __init__(self, limits: CostLimits, clock: Any = None) -> None:
        extra = {"clock": clock} if clock is not None else {}
        self.limits = limits
        self.actors = LeakyBucket(limits.actor_capacity, limits.actor_rate, **extra)
        self.public = LeakyBucket(limits.public_capacity, limits.public_rate, **extra)

    def _bucket(self, actor: ActorView, client: str | None) -> tuple[LeakyBucket, Any]:
        if actor.is_public:
            return self.public, client or "unknown"
        return self.actors, actor.id

    def charge(self, actor: ActorView, client: str | None, cost: int) -> Refusal | None:
        bucket, key = self._bucket(actor, client)
        return bucket.take(key, max(1, cost))

    def report_json(self, actor: ActorView, client: str | None, cost: int) -> bytes:
        """``report`` as the JSON the response carries (formatted directly: this is on every cached answer)."""
        bucket, key = self._bucket(actor, client)
        return (b'{"cost":{"requested":%d,"maximum":%d,"budget":{"capacity":%d,"remaining":%d,"restorePerSecond":%d}}}'
                % (cost, self.limits.max_cost, int(bucket.capacity), int(bucket.capacity - bucket.level(key)),
                   int(bucket.rate)))

    def report(self, actor: ActorView, client: str | None, cost: int) -> dict[str, Any]:
        """``extensions.cost``: this request's cost and the caller's budget after it."""
        bucket, key = self._bucket(actor, client)
        return {"requested": cost, "maximum": self.limits.max_cost,
                "budget": {"capacity": int(bucket.capacity), "remaining": int(bucket.capacity - bucket.level(key)),
                           "restorePerSecond": int(bucket.rate)}}


def over_budget(refusal: Refusal, cost: int) -> str:
    return (f"over your budget of {int(refusal.capacity)} (this request costs {cost}): try again in "
            f"{refusal.retry_after} s")


def refused(message: str, code: str) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[GraphQLError(message, extensions={"code": code})])


_costs: OrderedDict[tuple, int] = OrderedDict()  # (schema, query, operation, variables) → cost
_costs_lock = threading.Lock()
MAX_KEPT = 512


def _cost(ec: Any) -> int:
    """The operation's cost, from a bounded memo keyed by its text, name and variables (the page sizes)."""
    try:
        key = (id(ec.schema), ec.query, ec.operation_name, json.dumps(ec.variables, sort_keys=True, default=str))
    except (TypeError, ValueError):
        key = None
    with _costs_lock:
        kept = _costs.get(key) if key is not None else None
    if kept is not None:
        return kept
    cost = operation_cost(ec.schema._schema, ec.graphql_document, ec.operation_name, ec.variables)
    if key is not None:
        with _costs_lock:
            _costs[key] = cost
            while len(_costs) > MAX_KEPT:
                _costs.popitem(last=False)
    return cost


def charge_cost(ec: Any) -> None:
    """Before executing: estimate the operation's cost and, over the limit or the caller's budget, set the answer
    in place of executing (``ec.result``). The request context (``RequestContext.budgets``) holds the app's
    budgets; without them (subscription transports) nothing is charged."""
    ctx = ec.context
    budgets: Budgets | None = getattr(ctx, "budgets", None)
    if budgets is None or ec.graphql_document is None:
        return
    ctx.cost = cost = _cost(ec)
    if cost > budgets.limits.max_cost:
        ec.result = refused(f"this request would cost {cost}, over the maximum of {budgets.limits.max_cost} per "
                            "request: ask for smaller pages or fewer fields", "COST_LIMIT_EXCEEDED")
    elif (refusal := budgets.charge(ctx.actor, ctx.client, cost)) is not None:
        ctx.retry_after = refusal.retry_after
        ec.result = refused(over_budget(refusal, cost), "THROTTLED")
