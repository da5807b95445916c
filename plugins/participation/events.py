"""``suggestionReceived``: offices hear of each new suggestion in their area as it is committed.

``intake.submit`` announces the arrival after its commit to ``engine.listeners`` (the broker of every server
process: in memory, or PostgreSQL NOTIFY across processes); the event is flat and carries no personal data. Only
an office (``offices``) may subscribe, and it receives the arrivals under its area (narrowed to a region it names);
a region outside its area answers NOT_FOUND, like a missing one. ``projectEvents`` ignores these events (their
``kind`` is not ``project``).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncGenerator, Optional

import strawberry
from graphql import GraphQLError
from pony import orm
from starlette.concurrency import run_in_threadpool

from engine.api.access import readable_region
from engine.api.broker import SubscriberTooSlow, SubscriptionRevoked
from engine.api.ids import from_global_id, to_global_id
from engine.directory.actors import ActorView
from engine.errors import DomainError
from engine.storage.sql import Sql
from plugins.participation import offices
from plugins.participation.graphql_types import SuggestionChannel

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger("minsheng.participation")
KIND = "participation.suggestion"


@dataclass(frozen=True)
class Arrival:
    """A committed suggestion, as announced (no personal data)."""

    suggestion_id: int
    call_id: int
    region_path: str
    title: str
    category: str
    channel: str
    at: dt.datetime

    def to_event(self, engine: Engine) -> dict[str, Any]:
        return {"kind": KIND, "suggestion_id": self.suggestion_id, "call_id": self.call_id,
                "region_path": self.region_path, "title": self.title[:200], "category": self.category,
                "channel": self.channel, "at": self.at.isoformat()}


def announce(engine: Engine, arrival: Arrival) -> None:
    """After commit: hand the arrival to the engine's listeners; a failing listener is logged, never raised."""
    for listener in list(engine.listeners):
        try:
            listener(arrival)
        except Exception:
            log.exception("listener %r failed on suggestion %s", listener, arrival.suggestion_id)


@strawberry.type(description="A suggestion just received in your area (no personal data).")
class SuggestionReceived:
    suggestion_id: strawberry.ID
    call_id: strawberry.ID
    title: str
    category: str
    channel: SuggestionChannel
    at: dt.datetime


def _area(engine: Engine, actor: ActorView, region: Optional[str]) -> str:
    """In a worker thread: the path the subscriber hears of; ``DomainError`` when it may not subscribe."""
    area = offices.require_office(engine, actor, "follow incoming suggestions")
    if region is None:
        return area
    with orm.db_session:
        path = readable_region(engine, Sql(engine.db), actor, from_global_id(region, "Region", ["region"])).path
    return path if path.startswith(area) else area


def _error(exc: DomainError) -> GraphQLError:
    return GraphQLError(exc.message, extensions={"code": exc.code, "inputPath": list(exc.path)})


async def _stream(ctx: Any, path: str) -> AsyncGenerator[SuggestionReceived, None]:
    def matches(e: dict[str, Any]) -> bool:
        return e.get("kind") == KIND and e["region_path"].startswith(path)

    try:
        async with ctx.broker.subscribe(matches, ctx.credential) as events:
            async for e in events:
                yield SuggestionReceived(suggestion_id=strawberry.ID(to_global_id("Suggestion", e["suggestion_id"])),
                                         call_id=strawberry.ID(to_global_id("SuggestionCall", e["call_id"])),
                                         title=e["title"], category=e["category"],
                                         channel=SuggestionChannel(e["channel"]),
                                         at=dt.datetime.fromisoformat(e["at"]))
    except SubscriberTooSlow as exc:
        raise GraphQLError(str(exc), extensions={"code": "SUBSCRIBER_TOO_SLOW"}) from None
    except SubscriptionRevoked as exc:
        raise GraphQLError(str(exc), extensions={"code": "UNAUTHENTICATED"}) from None


@strawberry.type
class ParticipationSubscription:
    @strawberry.subscription(description="Suggestions received in your area (offices of the region), as they are "
                                         "committed; `region` narrows it to a region below.")
    async def suggestion_received(self, info: strawberry.Info, region: Optional[strawberry.ID] = None
                                  ) -> AsyncGenerator[SuggestionReceived, None]:
        ctx = info.context
        try:
            path = await run_in_threadpool(_area, ctx.engine, ctx.actor, region)
        except DomainError as exc:
            raise _error(exc) from None
        return _stream(ctx, path)
