"""Validation served from a cache, with the schema's limits and, when introspection is off, without the
"Did you mean …?" suggestions that would reveal type and field names."""
from __future__ import annotations

from functools import lru_cache
from graphql import DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from engine.api.shape import limits_rule

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 30
LIMITS = limits_rule(MAX_DEPTH, MAX_ALIASES)  # built once: rule classes are part of the cache key


@lru_cache(maxsize=256)
def validated(schema: GraphQLSchema, document: DocumentNode, rules: tuple, hide_suggestions: bool
              ) -> list[GraphQLError]:
    """The document's validation errors under ``rules`` and the schema's limits (remembered per document)."""
    return validate(schema, document, (*rules, LIMITS, MaybeNullValidationRule, OneOfInputValidationRule),
                    hide_suggestions=hide_suggestions)
