"""The one error shape of the API: ``userErrors { code message path }`` in every mutation payload.

Expected failures (``DomainError``) become user errors; nothing expected is raised as a server error.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

import strawberry
from graphql import AbortedGraphQLExecutionError, GraphQLError
from starlette.responses import JSONResponse
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from engine.errors import DomainError

P = TypeVar("P")

# What is expected of a request and answered as such (never masked, never logged with a traceback): domain errors,
# documents that do not parse or validate, a wrong operation type, a request stopped at its deadline.
EXPECTED = (DomainError, GraphQLError, InvalidOperationTypeError, CannotGetOperationTypeError,
            AbortedGraphQLExecutionError)


@strawberry.type(description="Why an operation was refused: a stable code, a sentence, and the input path.")
class UserError:
    code: str = strawberry.field(description="NOT_FOUND, FORBIDDEN, INVALID_INPUT, GUARD_FAILED, CONFLICT, "
                                             "INVALID_EVENT, …")
    message: str
    path: list[str] = strawberry.field(default_factory=list, description="The input field concerned, if any.")


def user_errors(exc: DomainError, prefix: tuple[str, ...] = ("input",)) -> list[UserError]:
    """The error's problems; paths are given from the mutation's argument, e.g. ``["input", "fields", "opinion"]``."""
    errors = []
    for problem in exc.problems():
        path = list(problem.path)
        if path and prefix and path[: len(prefix)] != list(prefix):
            path = [*prefix, *path]
        errors.append(UserError(code=exc.code, message=problem.message, path=path))
    return errors


def payload(cls: Callable[..., P], run: Callable[[], dict[str, Any]], prefix: tuple[str, ...] = ("input",)) -> P:
    """``cls(**run())``, or ``cls(user_errors=...)`` when ``run`` raises a domain error."""
    try:
        return cls(**run())
    except DomainError as exc:
        return cls(user_errors=user_errors(exc, prefix))


def error_body(message: str, code: str) -> dict[str, Any]:
    """The one error shape: ``{"errors": [{"message", "extensions": {"code"}}]}``."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def error_response(message: str, code: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, code), status_code=status, headers=headers)
