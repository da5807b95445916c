"""The GraphQL API: strawberry in starlette, one endpoint at /graphql."""
from __future__ import annotations
