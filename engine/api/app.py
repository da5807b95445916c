"""The Starlette application: /graphql (HTTP and WebSocket), /healthz, and GraphiQL when enabled."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, AsyncIterator

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from engine.api.http import graphql_endpoint
from engine.api.schema import build_schemas

if TYPE_CHECKING:
    from engine.core import Engine


@dataclass(frozen=True)
class ApiSettings:
    graphiql: bool = False
    introspection: bool = False
    max_body_bytes: int = 64 * 1024
    threads: int = 8  # worker threads per process = the most database connections it opens
    allowed_origins: tuple[str, ...] = ()


def create_app(engine: Engine, settings: ApiSettings | None = None) -> Starlette:
    settings = settings or ApiSettings()
    schemas = build_schemas(engine.plugins, introspection=settings.introspection)
    endpoint = graphql_endpoint(engine, schemas, settings)

    async def graphql(request: Request) -> Response:
        if request.method == "GET" and settings.graphiql and "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(_graphiql_page())
        return await endpoint(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        yield

    routes = [Route("/graphql", graphql, methods=["GET", "POST"]), Route("/healthz", healthz)]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.engine, app.state.schemas, app.state.settings = engine, schemas, settings
    return app


def _graphiql_page() -> str:
    from strawberry.http.ides import get_graphql_ide_html

    return get_graphql_ide_html(graphql_ide="graphiql")
