"""GraphQL over HTTP: one worker-thread hop per request, in which the whole operation executes synchronously.

Queries run inside one read-only ``db_session``; mutations run their own transactions (see ``engine.api.schema``).
Bodies are size-limited, batching is off, and GET is refused: every request is one POSTed JSON operation.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, OperationType, parse
from graphql.language import OperationDefinitionNode
from pony import orm
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from engine import actors
from engine.actors import PUBLIC, ActorView
from engine.api.context import RequestContext
from engine.sql import Sql

if TYPE_CHECKING:
    from engine.api.app import ApiSettings
    from engine.api.schema import Schemas
    from engine.core import Engine


def error_response(message: str, code: str, status: int) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


@lru_cache(maxsize=512)
def operation_type(query: str, operation_name: str | None) -> OperationType | None:
    """The operation's type, or None when the document does not parse (validation will say why)."""
    try:
        document = parse(query, max_tokens=5000)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for op in operations:
        if operation_name is None or (op.name and op.name.value == operation_name):
            return op.operation
    return None


async def read_operation(request: Request, max_bytes: int) -> dict[str, Any] | JSONResponse:
    if request.method != "POST":
        return error_response("send GraphQL operations with POST", "METHOD_NOT_ALLOWED", 405)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        return error_response(f"request body over {max_bytes} bytes", "PAYLOAD_TOO_LARGE", 413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            return error_response(f"request body over {max_bytes} bytes", "PAYLOAD_TOO_LARGE", 413)
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return error_response("the body is not JSON", "BAD_REQUEST", 400)
    if isinstance(data, list):
        return error_response("batched operations are not accepted: send one operation per request",
                              "BAD_REQUEST", 400)
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return error_response("the body must be a JSON object with a 'query' string", "BAD_REQUEST", 400)
    if data.get("variables") is not None and not isinstance(data["variables"], dict):
        return error_response("'variables' must be a JSON object", "BAD_REQUEST", 400)
    return data


def bearer_token(request: Any) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate(engine: Engine, token: str | None) -> ActorView | None:
    """The actor holding ``token``; PUBLIC when there is none; None when the token is not valid."""
    if token is None:
        return PUBLIC
    with orm.db_session:
        return actors.by_token(Sql(engine.db), token)


def execute(engine: Engine, schemas: Schemas, data: dict[str, Any], token: str | None) -> tuple[dict, int]:
    """Runs in a worker thread: authenticate, then execute the operation; returns (JSON body, status)."""
    actor = authenticate(engine, token)
    if actor is None:
        return {"errors": [{"message": "the bearer token is not valid", "extensions": {"code": "UNAUTHENTICATED"}}]}, 401
    query, name = data["query"], data.get("operationName")
    kind = operation_type(query, name)
    context = RequestContext(engine, actor, project_type=schemas.project_type)
    if kind == OperationType.SUBSCRIPTION:
        return {"errors": [{"message": "subscriptions are served over WebSocket or SSE",
                            "extensions": {"code": "BAD_REQUEST"}}]}, 400
    if kind == OperationType.MUTATION:
        result = schemas.mutation.execute_sync(query, data.get("variables"), context, operation_name=name)
    else:
        with orm.db_session:
            result = schemas.query.execute_sync(query, data.get("variables"), context, operation_name=name)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [_format(e) for e in result.errors]
    return body, 200


def _format(error: GraphQLError) -> dict[str, Any]:
    """Every error carries ``extensions.code``: a domain code, INTERNAL_SERVER_ERROR (masked), or
    GRAPHQL_VALIDATION_FAILED for documents that do not validate against the schema or its limits."""
    formatted = error.formatted
    extensions = formatted.setdefault("extensions", {})
    code = getattr(error.original_error, "code", None)
    extensions.setdefault("code", code if isinstance(code, str) else "GRAPHQL_VALIDATION_FAILED")
    return formatted


def graphql_endpoint(engine: Engine, schemas: Schemas, settings: ApiSettings) -> Any:
    async def endpoint(request: Request) -> Response:
        data = await read_operation(request, settings.max_body_bytes)
        if isinstance(data, Response):
            return data
        body, status = await run_in_threadpool(execute, engine, schemas, data, bearer_token(request))
        return JSONResponse(body, status_code=status)

    return endpoint
