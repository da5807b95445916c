"""The Starlette application: /graphql (HTTP and WebSocket), /graphql/stream (graphql-sse), /healthz, /dashboard,
/reports/monthly.xlsx, the list downloads /exports/projects.xlsx and .csv, and GraphiQL when enabled. The lifespan
hooks the subscription broker to the engine's commits (and, on PostgreSQL, starts this
process's LISTEN thread) and unhooks it on shutdown."""
from __future__ import annotations

import contextlib
from functools import partial
from typing import TYPE_CHECKING, Any, AsyncIterator

import anyio.to_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from engine.api.body_limit import BodyLimit
from engine.api.broker import Broker, start_publishing
from engine.api.dashboard_page import routes as dashboard_routes
from engine.api.evidence import attachment_routes
from engine.api.downloads import export_routes
from engine.api.graphiql import asset_routes as graphiql_assets
from engine.api.graphiql import page_response as graphiql_page
from engine.api.http import graphql_endpoint
from engine.api.reports import monthly_route
from engine.api.schema import build_schemas
from engine.api.settings import ApiSettings
from engine.api.ticker import start as start_ticking
from engine.api.subscriptions import StreamView, project_event, still_valid
from engine.dashboard.rankings import check_rules

if TYPE_CHECKING:
    from engine.core import Engine


def create_app(engine: Engine, settings: ApiSettings | None = None) -> Starlette:
    settings = settings or ApiSettings()
    check_rules(engine)  # a bad ranking rules file stops start-up, naming its file and line
    schemas = build_schemas(engine.plugins, introspection=settings.introspection)
    endpoint = graphql_endpoint(engine, schemas, settings)
    broker = Broker(check=partial(still_valid, engine))  # subscriptions end when their token stops working
    stream = StreamView(engine, schemas.query, schemas.project_type, broker, settings.allowed_origins)

    async def graphql(request: Request) -> Response:
        if request.method == "GET" and settings.graphiql and "text/html" in request.headers.get("accept", ""):
            return graphiql_page()
        return await endpoint(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [Route("/graphql", graphql, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]), WebSocketRoute("/graphql", stream),
              Route("/graphql/stream", stream, methods=["POST"]), Route("/healthz", healthz),
              *export_routes(engine, endpoint.service.budgets)]
    routes += [*dashboard_routes(), monthly_route(engine, endpoint.service.budgets), *attachment_routes(engine)]
    if settings.graphiql:
        routes += graphiql_assets()
    app = Starlette(routes=routes, lifespan=_lifespan(engine, broker, settings),
                    middleware=[Middleware(BodyLimit, max_bytes=settings.max_body_bytes,  # every route
                                           upload_bytes=settings.max_upload_bytes, upload_paths=("/graphql",))])
    app.state.engine, app.state.schemas, app.state.settings = engine, schemas, settings
    app.state.broker = broker
    return app


def _lifespan(engine: Engine, broker: Broker, settings: ApiSettings) -> Any:
    """Size the worker-thread pool; feed ``broker`` with the engine's commits while the app runs."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        stop = await run_in_threadpool(start_publishing, engine, broker, partial(project_event, engine))
        stop_ticking = _start_ticking(engine, settings)
        try:
            yield
        finally:
            await run_in_threadpool(stop_ticking)
            await run_in_threadpool(stop)

    return lifespan


def _start_ticking(engine: Engine, settings: ApiSettings) -> Any:
    """The plugins' periodic work (``minsheng_tick``) in its own thread, when a plugin does some and an interval
    is set."""
    if not settings.tick_seconds or not engine.plugins.hook.minsheng_tick.get_hookimpls():
        return lambda: None
    return start_ticking(engine, settings.tick_seconds, settings.tick_at_start)

