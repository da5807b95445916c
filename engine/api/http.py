"""GraphQL over HTTP: one worker-thread hop per request, in which the whole operation executes synchronously.

Queries run inside one read-only ``db_session``; mutations run their own transactions (see ``engine.api.schema``).
Bodies are size-limited, batching is off, and GET is refused: every request is one POSTed JSON operation.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson
from graphql import AbortedGraphQLExecutionError, GraphQLError, OperationType, parse
from graphql.language import OperationDefinitionNode
from pony import orm
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType as Allowed

from engine.storage import generation as generations
from engine.api.body_limit import is_multipart, too_large_body
from engine.api.budget import Budgets, over_budget
from engine.api.context import RequestContext
from engine.api.credentials import UNAUTHENTICATED, authenticate, bearer_token, client_address
from engine.api.errors import EXPECTED, error_body, error_response
from engine.api.deadline import deadline
from engine.api.json_input import BadJson, parse_json
from engine.api.result_cache import ResultCache, cache_key
from engine.api.uploads import read_upload_operation
from engine.errors import DomainError
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.api.settings import ApiSettings
    from engine.api.schema import Schemas
    from engine.core import Engine


log = logging.getLogger("minsheng.api")
JSON, GRAPHQL_RESPONSE = "application/json", "application/graphql-response+json"


class ExpectedErrors(logging.Filter):
    """Drops strawberry's log records (``strawberry.execution``) of expected errors: domain errors and documents
    that do not parse or validate. Unexpected exceptions are still logged with their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.msg
        if not isinstance(error, GraphQLError):
            return True
        original = error.original_error
        return original is not None and not isinstance(original, EXPECTED)


EXPECTED_ERRORS = ExpectedErrors()


def quiet_expected_errors() -> None:
    """Install the filter once per process (idempotent: every app shares the one instance)."""
    logger = logging.getLogger("strawberry.execution")
    if EXPECTED_ERRORS not in logger.filters:
        logger.addFilter(EXPECTED_ERRORS)


@lru_cache(maxsize=512)
def operation_type(query: str, operation_name: str | None) -> tuple[OperationType | None, str | None]:
    """(the type of the operation to run, None) — the type is None when the document does not parse (validation
    will say why) — or (None, why no operation can be picked: several and none named)."""
    try:
        document = parse(query, max_tokens=5000)
    except GraphQLError:
        return None, None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None and len(operations) > 1:
        return None, (f"the document has {len(operations)} operations: name the one to run in "
                      "'operationName'")
    for op in operations:
        if operation_name is None or (op.name and op.name.value == operation_name):
            return op.operation, None
    return None, None


def request_problem(request: Request, data: dict[str, Any]) -> Response | None:
    """GraphQL over HTTP: a POST body is declared ``application/json`` (415 otherwise); ``extensions``, when
    given, is a JSON object."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared != JSON:
        return error_response(f"send the operation as {JSON} (Content-Type was "
                              f"'{declared or 'missing'}')", "UNSUPPORTED_MEDIA_TYPE", 415)
    if data.get("extensions") is not None and not isinstance(data["extensions"], dict):
        return error_response("'extensions' must be a JSON object", "BAD_REQUEST", 400)
    return None


def response_media_type(request: Request) -> str | Response:
    """The media type to answer in, from the Accept header (GraphQL over HTTP): application/graphql-response+json
    when the client accepts it, else application/json (also when no Accept is sent); 406 otherwise."""
    accept = request.headers.get("accept", "")
    if not accept.strip():
        return JSON
    types = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if GRAPHQL_RESPONSE in types:
        return GRAPHQL_RESPONSE
    if types & {JSON, "application/*", "*/*"}:
        return JSON
    return error_response(f"answers are {GRAPHQL_RESPONSE} or {JSON}; the Accept header allows neither",
                          "NOT_ACCEPTABLE", 406)


async def read_operation(request: Request, max_bytes: int) -> dict[str, Any] | JSONResponse:
    """The POSTed operation (``query``, ``variables``, ``operationName``), or the error response saying what is
    wrong with the body: too large (413), not JSON, too deeply nested, a lone surrogate, or the wrong shape (400)."""
    if request.method != "POST":
        return error_response("send GraphQL operations with POST", "METHOD_NOT_ALLOWED", 405, {"Allow": "POST"})
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared[:19]) > max_bytes:
        return JSONResponse(too_large_body(max_bytes), status_code=413)
    body = b""
    async for chunk in request.stream():  # the app's BodyLimit has bounded it already; this is a second line
        body += chunk
        if len(body) > max_bytes:
            return JSONResponse(too_large_body(max_bytes), status_code=413)
    try:
        data = parse_json(body or b"null")
    except BadJson as exc:
        return error_response(str(exc), "BAD_REQUEST", 400)
    if isinstance(data, list):
        return error_response("batched operations are not accepted: send one operation per request",
                              "BAD_REQUEST", 400)
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return error_response("the body must be a JSON object with a 'query' string", "BAD_REQUEST", 400)
    if data.get("variables") is not None and not isinstance(data["variables"], dict):
        return error_response("'variables' must be a JSON object", "BAD_REQUEST", 400)
    if data.get("operationName") is not None and not isinstance(data["operationName"], str):
        return error_response("'operationName' must be a string", "BAD_REQUEST", 400)
    return data


def encode(body: dict[str, Any]) -> bytes:
    """A response body as compact UTF-8 JSON. orjson writes the same bytes as ``json.dumps`` for the values a
    GraphQL result holds (strings, 32-bit integers, finite floats, booleans, null), fifteen times faster (a
    50-project page: 115 → 8 µs); what it will not write (an integer over 64 bits, a key that is not a string)
    takes the standard library's path."""
    try:
        return orjson.dumps(body)
    except TypeError:
        return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


@dataclass
class Reply:
    body: bytes
    status: int = 200
    headers: dict[str, str] | None = None


class GraphQLService:
    """What ``POST /graphql`` does in its worker thread: authenticate, pick the operation, check its cost against
    the caller's budget, execute it within the time limit, and answer by the GraphQL-over-HTTP rules of the
    negotiated media type."""

    def __init__(self, engine: Engine, schemas: Schemas, settings: ApiSettings) -> None:
        self.engine, self.schemas, self.settings = engine, schemas, settings
        self.cache = ResultCache() if settings.cache_results else None
        self.budgets = Budgets(settings.cost_limits)
        self.readers = threading.BoundedSemaphore(reader_threads(engine, settings))

    def execute(self, data: dict[str, Any], token: str | None, client: str | None = None,
                media: str = JSON, upload: bool = False) -> Reply:
        """Run one operation; ``upload``: it came as a multipart upload (a mutation only, with the upload
        time limit, ``ApiSettings.upload_timeout_seconds``). A query runs, from sign-in to its answer, holding
        one of the reader slots (``reader_threads``); the time it waits for one counts against its limit."""
        kind, problem = operation_type(data["query"], data.get("operationName"))
        limit = self.settings.upload_timeout_seconds if upload else self.settings.timeout_seconds
        with deadline(limit) as time_limit:
            if kind != OperationType.QUERY or upload:  # (a document with a problem has no kind)
                return self._execute(data, token, client, media, upload, kind, problem)
            if not self.readers.acquire(timeout=time_limit.seconds if time_limit else -1):
                return self._reply(error_body(time_limit.reason.message, "TIMEOUT"), None, media)  # type: ignore[union-attr]
            try:
                return self._execute(data, token, client, media, upload, kind, problem)
            finally:
                self.readers.release()

    def _execute(self, data: dict[str, Any], token: str | None, client: str | None, media: str, upload: bool,
                 kind: OperationType | None, problem: str | None) -> Reply:
        watch_workflows(self.engine)
        actor = authenticate(self.engine, token)
        if actor is None:
            return Reply(encode(error_body(UNAUTHENTICATED, "UNAUTHENTICATED")), 401, {"WWW-Authenticate": "Bearer"})
        query, name = data["query"], data.get("operationName")
        if problem:
            return Reply(encode(error_body(problem, "BAD_REQUEST")), 400)
        if kind == OperationType.SUBSCRIPTION:
            return Reply(encode(error_body("subscriptions are served over WebSocket or SSE", "BAD_REQUEST")), 400)
        if upload and kind != OperationType.MUTATION:
            return Reply(encode(error_body("files are uploaded with a mutation (importProjects)", "BAD_REQUEST")), 400)
        context = RequestContext(self.engine, actor, project_type=self.schemas.project_type, client=client,
                                 budgets=self.budgets)
        try:
            if kind == OperationType.MUTATION:
                result = self.schemas.mutation.execute_sync(query, data.get("variables"), context,
                                                            operation_name=name,
                                                            allowed_operation_types=(Allowed.MUTATION,))
                return self._reply(_body(result), context, media)
            return self._query(data, context, media)
        except (CannotGetOperationTypeError, InvalidOperationTypeError, MissingQueryError) as exc:
            return Reply(encode(error_body(_reason(exc), "BAD_REQUEST")), 400)

    def _query(self, data: dict[str, Any], context: RequestContext, media: str) -> Reply:
        """A query inside one read-only db_session; served from the cache while nothing has changed (charged to
        the caller's budget at the cost it had when computed). Callers asking for a key another caller is
        computing wait for its answer (``ResultCache.claim``)."""
        query, name, variables, cache = data["query"], data.get("operationName"), data.get("variables"), self.cache
        flight, encoded = None, None
        try:
            with orm.db_session:
                if cache is not None:
                    generation = generations.current(Sql(self.engine.db))
                    key = cache_key(context.actor, query, name, variables, self.engine.clock.today())
                    kept, flight = cache.claim(key, generation, self.settings.timeout_seconds)
                    if kept is not None:
                        return self._kept(kept, context)
                result = self.schemas.query.execute_sync(query, variables, context, operation_name=name,
                                                         allowed_operation_types=(Allowed.QUERY,))
            body = _body(result)
            if flight is not None and not result.errors:
                encoded = encode(body)
        finally:
            if cache is not None:
                cache.finish(flight, encoded, context.cost or 0)
        return self._reply(body, context, media)

    def _kept(self, kept: tuple[bytes, int], context: RequestContext) -> Reply:
        data, cost = kept
        refusal = self.budgets.charge(context.actor, context.client, cost)
        if refusal is not None:
            return Reply(encode(error_body(over_budget(refusal, cost), "THROTTLED")), 429,
                         {"Retry-After": str(refusal.retry_after)})
        extensions = self.budgets.report_json(context.actor, context.client, cost)
        return Reply(data[:-1] + b',"extensions":' + extensions + b"}")

    def _reply(self, body: dict[str, Any], context: RequestContext | None, media: str) -> Reply:
        """A request that failed before execution (parse, validation, variables, cost) has no ``data`` and, in
        ``application/graphql-response+json``, a 4xx status; THROTTLED is 429 with ``Retry-After`` in both.
        Without ``context``: refused before sign-in (no reader slot within the time limit: TIMEOUT, 504)."""
        if context is not None and context.cost is not None:
            body["extensions"] = {"cost": self.budgets.report(context.actor, context.client, context.cost)}
        status, headers = 200, None
        if "data" not in body:
            codes = {e["extensions"]["code"] for e in body["errors"]}
            if "THROTTLED" in codes:
                status, headers = 429, {"Retry-After": str((context and context.retry_after) or 1)}
            elif media == GRAPHQL_RESPONSE:
                status = 504 if "TIMEOUT" in codes else 400
        return Reply(encode(body), status, headers)


def reader_threads(engine: Engine, settings: ApiSettings) -> int:
    """How many worker threads execute queries at once (``ApiSettings.reader_threads``; by default one on
    SQLite, every thread on PostgreSQL). SQLite reads are CPU work in this process that hands the GIL back at every
    row it steps: more threads reading at once only pass it back and forth (measured on the 50-project page with
    8 threads: 278 req/s at 4.3 ms of CPU each, against 458 req/s at 2.2 ms with one reading at a time), while a
    PostgreSQL read waits on the network and lets another run."""
    if settings.reader_threads:
        return min(settings.reader_threads, settings.threads)
    return 1 if engine.target.is_sqlite else settings.threads


def watch_workflows(engine: Engine) -> None:
    """Pick up workflow versions published while the server runs (``Engine.refresh_workflows``, throttled); a
    failure to reload is logged and the versions loaded so far stay in use."""
    try:
        engine.refresh_workflows()
    except Exception:
        log.exception("could not reload the workflow versions; the ones loaded before stay in use")


def _body(result: Any) -> dict[str, Any]:
    """The response body; without ``data`` when the request failed before execution began (no error has a
    path: parse, validation, variables, cost) — or was stopped whole (TIMEOUT)."""
    errors = [_format(e) for e in result.errors or ()]
    if result.data is None and errors and all(e.path is None for e in result.errors):
        return {"errors": errors}
    body: dict[str, Any] = {"data": result.data}
    if errors:
        body["errors"] = errors
    return body


def _reason(exc: Exception) -> str:
    """Why strawberry could not pick the operation to run."""
    if isinstance(exc, InvalidOperationTypeError):
        return exc.as_http_error_reason("POST")
    if isinstance(exc, CannotGetOperationTypeError):
        return exc.as_http_error_reason()
    return "the query is empty"


def _format(error: GraphQLError) -> dict[str, Any]:
    """Every error carries ``extensions.code``: a domain code, INTERNAL_SERVER_ERROR (masked), or
    GRAPHQL_VALIDATION_FAILED for documents that do not parse or validate against the schema or its limits.
    A domain error reads like a userError: its own message(s), and ``extensions.inputPath`` when it concerns
    one argument (e.g. ``["first"]``)."""
    formatted: dict[str, Any] = dict(error.formatted)
    extensions = formatted["extensions"] = dict(formatted.get("extensions") or {})
    original = error.original_error
    if isinstance(original, AbortedGraphQLExecutionError):  # the deadline passed: one TIMEOUT for the request
        original = original.reason
        formatted.pop("locations", None)
    if isinstance(original, DomainError):
        problems = original.problems()
        formatted["message"] = "; ".join(p.message for p in problems)
        extensions["code"] = original.code
        if len(problems) == 1 and problems[0].path:
            extensions["inputPath"] = list(problems[0].path)
    extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
    return formatted


def graphql_endpoint(engine: Engine, schemas: Schemas, settings: ApiSettings) -> Any:
    quiet_expected_errors()
    service = GraphQLService(engine, schemas, settings)

    async def endpoint(request: Request) -> Response:
        upload = request.method == "POST" and is_multipart(request.scope)
        if upload:
            data = await read_upload_operation(request, settings.max_body_bytes)
        else:
            data = await read_operation(request, settings.max_body_bytes)
        if isinstance(data, Response):
            return data
        refusal = None if upload else request_problem(request, data)
        if refusal is not None:
            return refusal
        media = response_media_type(request)
        if isinstance(media, Response):
            return media
        try:
            reply = await run_in_threadpool(service.execute, data, bearer_token(request), client_address(request),
                                            media, upload)
        except Exception:  # a failure outside GraphQL execution (e.g. the database is down): same shape, masked
            log.exception("unexpected error serving a GraphQL request")
            return error_response("Unexpected error.", "INTERNAL_SERVER_ERROR", 500)
        return Response(reply.body, status_code=reply.status, headers=reply.headers, media_type=media)

    endpoint.service = service  # type: ignore[attr-defined]
    return endpoint
