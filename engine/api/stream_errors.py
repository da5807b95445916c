"""Every error a streaming transport (graphql-sse, graphql-transport-ws) delivers carries ``extensions.code``,
like the errors of POST /graphql: the domain code, GRAPHQL_VALIDATION_FAILED for documents and variables that
do not parse or validate, BAD_REQUEST for an operation
that is not a subscription, INTERNAL_SERVER_ERROR (with a masked message) for anything unexpected."""
from __future__ import annotations

from contextlib import aclosing
from typing import Any, AsyncGenerator

from graphql import GraphQLError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from engine.errors import DomainError

UNEXPECTED = "Unexpected error."
WRONG_OPERATION = (CannotGetOperationTypeError, InvalidOperationTypeError)


def with_code(error: GraphQLError) -> GraphQLError:
    """``error`` with ``extensions.code`` set (kept when it has one); unexpected failures masked."""
    extensions = dict(error.extensions or {})
    original = error.original_error
    if "code" not in extensions:
        if isinstance(original, DomainError):
            extensions["code"] = original.code
        elif original is None or isinstance(original, GraphQLError):
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
        elif isinstance(original, WRONG_OPERATION):  # e.g. a query sent to a stream
            extensions["code"] = "BAD_REQUEST"
        else:
            extensions["code"] = "INTERNAL_SERVER_ERROR"
            error.message = UNEXPECTED
    error.extensions = extensions
    return error


def coded(result: Any) -> Any:
    """An execution result (or pre-execution error) whose errors all carry a code."""
    for error in getattr(result, "errors", None) or ():
        with_code(error)
    return result


async def coded_stream(source: Any) -> AsyncGenerator[Any, None]:
    """``source``'s results, each with coded errors; closing this closes ``source``."""
    if not hasattr(source, "__aiter__"):  # a single result
        yield coded(source)
        return
    async with aclosing(source):
        async for result in source:
            yield coded(result)
