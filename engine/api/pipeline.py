"""What the API does around every operation, as one strawberry extension: parse (cached, with a token limit),
validate (cached, with the schema's limits, without suggestions when introspection is off), check the cost against
the caller's budget before executing, and mask unexpected errors in the result (streamed results included).

Strawberry runs every hook of every extension through its own context-manager machinery on every request; five
extensions cost about as much as the rest of a small query. One extension doing the same five things costs a
fifth of that. What each step does is unchanged: see ``engine.api.validation``, ``engine.api.budget`` and
``engine.api.errors``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Iterator

from graphql import DocumentNode, GraphQLError, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from engine.api.budget import charge_cost
from engine.api.errors import EXPECTED
from engine.api.validation import MAX_TOKENS, validated

MASKED = "Unexpected error."


@lru_cache(maxsize=256)
def _parsed(query: str, max_tokens: int) -> DocumentNode:
    return parse(query, max_tokens=max_tokens)


def should_mask(error: GraphQLError) -> bool:
    """Mask all but domain errors, GraphQL errors and wrong operation types (e.g. a query sent to a stream)."""
    original = error.original_error
    return original is not None and not isinstance(original, EXPECTED)


def masked(error: GraphQLError) -> GraphQLError:
    """An unexpected error as the client sees it: one message and INTERNAL_SERVER_ERROR, at the same place."""
    return GraphQLError(message=MASKED, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, extensions={"code": "INTERNAL_SERVER_ERROR"})


def _mask(result: Any) -> None:
    errors = getattr(result, "errors", None)
    if errors:
        result.errors = [masked(e) if should_mask(e) else e for e in errors]


class RequestPipeline(SchemaExtension):
    """Parse, validate, cost and mask (see the module docstring); built per request by ``pipeline(...)``."""

    def __init__(self, introspection: bool) -> None:
        super().__init__()
        self.introspection = introspection
        self.streamed = False

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = MAX_TOKENS
        yield
        if not self.streamed:
            result = self.execution_context.result
            _mask(getattr(result, "initial_result", result))

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        ec.graphql_document = _parsed(ec.query, ec.parse_options.get("max_tokens", MAX_TOKENS))
        yield

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        rules = tuple(ec.validation_rules)
        if not self.introspection:
            rules = (*rules, NoSchemaIntrospectionCustomRule)
        ec.pre_execution_errors = validated(ec.schema._schema, ec.graphql_document, rules,
                                            hide_suggestions=not self.introspection)
        yield

    def on_execute(self) -> Iterator[None]:
        charge_cost(self.execution_context)
        yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self.streamed = True
        _mask(result)
        for part in (*(getattr(result, "incremental", None) or ()), *(getattr(result, "completed", None) or ())):
            _mask(part)
        yield None


def pipeline(introspection: bool) -> Callable[[], RequestPipeline]:
    """The extension factory for a schema (strawberry builds one extension per request)."""
    return lambda: RequestPipeline(introspection)
