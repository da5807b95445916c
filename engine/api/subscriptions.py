"""Subscriptions: ``projectEvents`` pushes each committed transition to the subscribers allowed to see it.

Transports (both served by ``StreamView``, a ``strawberry.asgi.GraphQL`` subclass):
- graphql-transport-ws: WebSocket at ``/graphql``; the token comes from the ``Authorization`` header of the
  upgrade request or from the ``connection_init`` payload ``{"Authorization": "Bearer ..."}`` (the payload wins;
  browsers cannot set headers on a WebSocket). A token that is not valid closes the socket with 4403.
- graphql-sse, distinct connections mode: ``POST /graphql/stream`` with ``Accept: text/event-stream``; the token
  comes from the ``Authorization`` header (401 when it is not valid). Messages are ``event: next`` and
  ``event: complete``.
Only subscription operations run here; queries and mutations go through ``POST /graphql``.

What a subscriber sees (decided here, documented in the schema): events of the projects it reaches
(``engine.directory.access.reach``, the same rule as reading them), judged on the project as it is after the transition:
- an actor: its area (its region and below), a unit clerk only its unit's projects, whatever its other roles;
- the public (and a public-scope role such as resident): events whose project is, after the transition, in a
  state the workflow marks ``public`` (a project becoming public is announced; one leaving the public states is
  not), plus, for a signed-in reader, the projects it created; ``actorName`` is empty: who acted is not published.
- ``projectId`` / ``region`` narrow that further. They are checked once, at subscribe time, in a worker thread:
  a project or region the caller may not read answers NOT_FOUND, exactly like a missing one (the public may name
  any region, and a project only while it is public).
The event is flat and built in the committing thread from the ``TransitionRecord`` and the loaded workflow
definitions: nothing on the event loop reads the database after the subscription is authorized.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, AsyncGenerator, Optional

import strawberry
from cross_web import HTTPException
from graphql import GraphQLError
from pony import orm
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import Info
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from engine.directory.access import Reach, reach
from engine.directory.actors import PUBLIC, ActorView, hash_token
from engine.api.access import readable_project, readable_region
from engine.api.broker import Broker, Credential, Event, Matcher, SubscriberTooSlow, SubscriptionRevoked
from engine.api.context import RequestContext
from engine.api.credentials import authenticate, bearer_token
from engine.api.errors import error_response
from engine.api.ids import from_global_id, to_global_id
from engine.api.json_input import BadJson, parse_json
from engine.api.stream_errors import coded_stream
from engine.errors import DomainError
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine

MAX_TITLE = 500  # characters of the title an event carries (keeps a PostgreSQL NOTIFY payload small)


@strawberry.type(description="A committed transition of a project, pushed to subscribers of projectEvents.")
class ProjectEvent:
    project_id: strawberry.ID
    region_id: strawberry.ID
    code: str
    title: str
    event: str
    from_state: str
    to_state: str
    state_label: str = strawberry.field(description="The label of toState.")
    version: int = strawberry.field(description="The project's version after the transition.")
    seq: int = strawberry.field(description="The audit record's sequence number.")
    actor_name: str = strawberry.field(description="Who fired it; empty for the public.")
    at: dt.datetime

    @classmethod
    def of(cls, e: Event, reader: Reach) -> ProjectEvent:
        return cls(project_id=strawberry.ID(to_global_id("Project", e["project_id"])),
                   region_id=strawberry.ID(to_global_id("Region", e["region_id"])), code=e["code"],
                   title=e["title"], event=e["event"], from_state=e["from_state"], to_state=e["to_state"],
                   state_label=e["state_label"], version=e["version"], seq=e["seq"],
                   actor_name="" if reader.redacted else e["actor_name"], at=dt.datetime.fromisoformat(e["at"]))


def project_event(engine: Engine, record: Any) -> Event:
    """The flat event of a committed ``TransitionRecord`` (no database reads: the workflows are in memory), or of
    another committed change that builds its own (a supervision notice's ``to_event``)."""
    if hasattr(record, "to_event"):
        return record.to_event(engine)
    p = record.project
    definition = next(w.definition for w in engine.workflows.by_id.values()
                      if (w.definition.name, w.definition.version) == (p.workflow_name, p.workflow_version))
    state = definition.states[record.dest]
    return {"project_id": p.id, "region_id": p.region_id, "region_path": record.region_path, "public": state.public,
            "lead_unit_id": p.lead_unit_id, "created_by": p.created_by,
            "cooperating": list(getattr(record, "cooperating_unit_ids", ())),
            "code": p.code, "title": p.title[:MAX_TITLE], "event": record.event, "from_state": record.source,
            "to_state": record.dest, "state_label": state.label, "version": p.version, "seq": record.seq,
            "actor_name": record.actor_name, "at": record.at.isoformat()}


@dataclass(frozen=True)
class EventFilter:
    reach: Reach  # the projects the subscriber reaches (engine.directory.access), judged after the transition
    region_path: str | None = None
    project_id: int | None = None

    def __call__(self, e: Event) -> bool:
        if e.get("kind", "project") != "project":  # a plugin's own events (engine.api.extension) are not these
            return False
        if not self.reach.allows(e["region_path"], e["lead_unit_id"], e["public"], e.get("created_by"),
                                 frozenset(e.get("cooperating", ()))):  # a cooperating unit's clerk too
            return False
        if self.region_path is not None and not e["region_path"].startswith(self.region_path):
            return False
        return self.project_id is None or e["project_id"] == self.project_id


def event_filter(engine: Engine, actor: ActorView, project_id: str | None, region: str | None) -> EventFilter:
    """Runs in a worker thread: check the filters against what ``actor`` may read."""
    with orm.db_session:
        sql = Sql(engine.db)
        pid = from_global_id(project_id, "Project", ["projectId"]) if project_id is not None else None
        if pid is not None:
            readable_project(engine, sql, actor, pid)
        path = None
        if region is not None:
            path = readable_region(engine, sql, actor, from_global_id(region, "Region", ["region"])).path
    return EventFilter(reach(engine, actor), path, pid)


def still_valid(engine: Engine, credentials: set[Credential]) -> set[Credential]:
    """The credentials whose actor is active and still holds that token (one query; any thread)."""
    ids = sorted({actor_id for actor_id, _ in credentials})
    marks = ", ".join("?" for _ in ids)
    with orm.db_session:
        rows = Sql(engine.db).all(f"SELECT id, token_hash FROM actor WHERE active = ? AND id IN ({marks})",
                                  (True, *ids))
    return credentials & {(row[0], row[1]) for row in rows}


def _check_credential(engine: Engine, credential: Credential | None) -> None:
    if credential is not None and not still_valid(engine, {credential}):
        raise GraphQLError(str(SubscriptionRevoked()), extensions={"code": "UNAUTHENTICATED"})


def _graphql_error(exc: DomainError) -> GraphQLError:
    """The same shape as every top-level error: the message, ``extensions.code`` and the input path."""
    problems = exc.problems()
    return GraphQLError("; ".join(p.message for p in problems),
                        extensions={"code": exc.code, "inputPath": list(problems[0].path) if problems else []})


async def _matcher(ctx: StreamContext, project_id: str | None, region: str | None) -> Matcher:
    await run_in_threadpool(_check_credential, ctx.engine, ctx.credential)  # a connection opened before a rotation
    try:
        return await run_in_threadpool(event_filter, ctx.engine, ctx.actor, project_id, region)
    except DomainError as exc:
        raise _graphql_error(exc) from None


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Committed transitions of the projects you may see, as they happen "
                                         "(the public: projects entering published states).")
    async def project_events(self, info: Info, project_id: Optional[strawberry.ID] = None,
                             region: Annotated[Optional[strawberry.ID], strawberry.argument(
                                 description="This region and everything below.")] = None,
                             ) -> AsyncGenerator[ProjectEvent, None]:
        # A coroutine returning the stream: a refused filter fails the subscribe itself (an "error" message)
        # and nothing is registered with the broker.
        ctx: StreamContext = info.context
        return _events(ctx, await _matcher(ctx, project_id, region))


async def _events(ctx: StreamContext, matches: Matcher) -> AsyncGenerator[ProjectEvent, None]:
    reader = reach(ctx.engine, ctx.actor)  # in memory: no database read on the event loop
    try:
        async with ctx.broker.subscribe(matches, ctx.credential) as events:
            async for event in events:
                yield ProjectEvent.of(event, reader)
    except SubscriberTooSlow as exc:
        raise GraphQLError(str(exc), extensions={"code": "SUBSCRIBER_TOO_SLOW"}) from None
    except SubscriptionRevoked as exc:
        raise GraphQLError(str(exc), extensions={"code": "UNAUTHENTICATED"}) from None


class StreamSchema(strawberry.Schema):
    """A schema whose streaming entry point (WebSocket, SSE) runs subscriptions only: queries and mutations
    must go through POST /graphql, which runs them in a worker thread inside their database sessions."""

    async def stream(self, query: str | None, variable_values: dict[str, Any] | None = None,  # type: ignore[override]
                     context_value: Any | None = None, root_value: Any | None = None,
                     operation_name: str | None = None, operation_extensions: dict[str, Any] | None = None,
                     allowed_operation_types: Any = None) -> Any:
        source = await super().stream(query, variable_values, context_value, root_value, operation_name,
                                      operation_extensions, (OperationType.SUBSCRIPTION,))
        return coded_stream(source)


@dataclass
class StreamContext(RequestContext):
    broker: Broker | None = None
    connection_params: dict[str, Any] | None = None  # strawberry sets it from connection_init
    token_rejected: bool = False
    credential: Credential | None = None  # an actor's (id, token hash), re-checked while its subscriptions run


class StreamView(GraphQL):
    """graphql-transport-ws and graphql-sse for ``schema`` (a ``StreamSchema``)."""

    def __init__(self, engine: Engine, schema: StreamSchema, project_type: type, broker: Broker,
                 allowed_origins: tuple[str, ...] = ()) -> None:
        super().__init__(schema, graphql_ide=None, allow_queries_via_get=False,
                         subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
                         connection_init_wait_timeout=timedelta(seconds=10), allowed_origins=allowed_origins)
        self.engine, self.project_type, self.broker = engine, project_type, broker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response = await self._http(scope, receive)
            await response(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive) -> Response:
        from starlette.requests import Request

        request = Request(scope, receive)
        if request.method != "POST" or self._get_stream_transport_from_headers(request.headers) is None:
            return error_response("subscribe with POST and Accept: text/event-stream (graphql-sse); send "
                                  "queries and mutations to /graphql", "BAD_REQUEST", 400)
        try:
            return await self.run(request)
        except HTTPException as exc:
            code = "UNAUTHENTICATED" if exc.status_code == 401 else "BAD_REQUEST"
            return error_response(exc.reason, code, exc.status_code)

    async def get_context(self, request: Any, response: Any) -> StreamContext:
        token = bearer_token(request)
        actor = await run_in_threadpool(authenticate, self.engine, token)
        if actor is None and not self.is_websocket_request(request):
            raise HTTPException(401, "the bearer token is not valid")
        return StreamContext(self.engine, actor or PUBLIC, request, self.project_type, broker=self.broker,
                             token_rejected=actor is None, credential=_credential(actor, token))

    def parse_json(self, data: str | bytes) -> Any:
        """An SSE body: refused with 400 (BAD_REQUEST) as ``engine.api.json_input`` says."""
        try:
            return parse_json(data)
        except BadJson as exc:
            raise HTTPException(400, str(exc)) from None

    def decode_json(self, data: str | bytes) -> object:
        """A WebSocket message: refused like JSON that does not parse (the socket closes with 4400)."""
        try:
            return parse_json(data, "the message")
        except BadJson as exc:
            raise json.JSONDecodeError(str(exc), "", 0) from None

    async def on_ws_connect(self, context: StreamContext) -> UnsetType | dict[str, object] | None:
        token = _payload_token(context.connection_params or {})
        if token is not None:
            actor = await run_in_threadpool(authenticate, self.engine, token)
            if actor is None:
                raise ConnectionRejectionError({"message": "the bearer token is not valid"})
            context.actor, context.credential = actor, _credential(actor, token)
        elif context.token_rejected:
            raise ConnectionRejectionError({"message": "the bearer token is not valid"})
        return UNSET


def _credential(actor: ActorView | None, token: str | None) -> Credential | None:
    """What identifies an actor's subscriptions for re-checking: its id and its token's hash."""
    if actor is None or actor.is_public or actor.id is None or not token:
        return None
    return actor.id, hash_token(token)


def _payload_token(params: dict[str, Any]) -> str | None:
    value = params.get("Authorization", params.get("authorization"))
    if not isinstance(value, str):
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
