"""The GraphQL schema as SDL text, built exactly as the server builds it (with the built-in plugins, no
third-party entry points). ``minsheng schema export --output schema.graphql`` writes it; a test keeps the
checked-in ``schema.graphql`` equal to it."""
from __future__ import annotations

from strawberry.printer import print_schema

from engine.api.schema import build_schemas
from engine.plugins import make_plugin_manager


def printed_schema() -> str:
    """The schema's SDL, ending with one newline."""
    schemas = build_schemas(make_plugin_manager(entry_points=False))
    return print_schema(schemas.query).rstrip("\n") + "\n"
