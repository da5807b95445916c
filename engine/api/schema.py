"""Building the schema: the core's root types merged with every plugin's ``GraphQLExtension``.

Two ``strawberry.Schema`` objects share the same types: one for queries (executed inside one read-only
``db_session`` per request) and one for mutations, whose resolvers open their own transactions and whose nested
reads share one read session (``ReadAfterWrite``). Both carry the ``Subscription`` root; the query
schema is a ``StreamSchema`` and also serves subscriptions over WebSocket and SSE (see ``engine.api.subscriptions``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import logging

import pluggy
import strawberry
from pony import orm
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import Info

from engine.api.admin import AdminMutation, AdminQuery
from engine.api.annual_list import AnnualListMutation
from engine.api.evidence import AttachmentsProject, EvidenceMutation
from engine.api.workflow_admin import WorkflowMutation
from engine.api.dashboard import DashboardQuery
from engine.api.deadline import DeadlineExecutionContext
from engine.api.extension import GraphQLExtension
from engine.api.map import MapQuery
from engine.api.project_type import ProjectBase
from engine.api.roots import core_roots
from engine.api.subscriptions import StreamSchema, Subscription
from engine.api.pipeline import pipeline
from engine.plugins import PluginLoadError, flatten

log = logging.getLogger("minsheng.api")



class ReadAfterWrite(SchemaExtension):
    """In mutations, the payload's nested fields read after the mutation's own transaction committed: they share
    one read ``db_session``, opened at the first nested field and closed before the next root mutation field
    (which runs its own transaction) and at the end of the operation. Plain fields (``engine.api.plain_fields``)
    read no database and need not reach it."""

    skips_plain_fields = True

    def __init__(self, *, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self.reading = False

    def resolve(self, _next: Any, root: Any, info: Info, *args: Any, **kwargs: Any) -> Any:
        if root is None:  # a root mutation field
            self._close()
        elif not self.reading and orm.core.local.db_session is None:
            orm.db_session.__enter__()
            self.reading = True
        return _next(root, info, *args, **kwargs)

    def on_execute(self) -> Iterator[None]:
        try:
            yield
        finally:
            self._close()

    def _close(self) -> None:
        if self.reading:
            self.reading = False
            orm.db_session.__exit__(None, None, None)


@dataclass
class Schemas:
    query: strawberry.Schema  # a StreamSchema: also runs subscriptions (only those) for WebSocket and SSE
    mutation: strawberry.Schema
    project_type: type


def _check_collisions(kind: str, classes: list[type]) -> None:
    seen: dict[str, str] = {}
    for cls in classes:
        for f in cls.__strawberry_definition__.fields:
            if f.python_name in seen:
                raise PluginLoadError(f"{kind} field '{f.python_name}' is defined by both {seen[f.python_name]} "
                                      f"and {cls.__name__}")
            seen[f.python_name] = cls.__name__


def build_schemas(pm: pluggy.PluginManager, introspection: bool = True,
                  subscription: type | None = Subscription) -> Schemas:
    extensions: list[GraphQLExtension] = flatten(pm.hook.minsheng_graphql())
    project_mixins = [e.project for e in extensions if e.project]
    _check_collisions("Project", [ProjectBase, *project_mixins])
    project_type = strawberry.type(type("Project", (*project_mixins, AttachmentsProject, ProjectBase), {}),
                                   name="Project",
                                   description=ProjectBase.__strawberry_definition__.description)
    roots = core_roots(project_type)
    query_parts = [roots.Query, MapQuery, DashboardQuery, AdminQuery, *[e.query for e in extensions if e.query]]
    mutation_parts = [roots.Mutation, AnnualListMutation, AdminMutation, EvidenceMutation, WorkflowMutation,
                      *[e.mutation for e in extensions if e.mutation]]
    _check_collisions("Query", query_parts)
    _check_collisions("Mutation", mutation_parts)
    query, mutation = merge_types("Query", tuple(query_parts)), merge_types("Mutation", tuple(mutation_parts))
    subscription_parts = [p for p in (subscription, *[e.subscription for e in extensions]) if p is not None]
    _check_collisions("Subscription", subscription_parts)
    if subscription_parts:
        subscription = subscription_parts[0] if len(subscription_parts) == 1 else merge_types(
            "Subscription", tuple(subscription_parts))
    types = [project_type, *[t for e in extensions for t in e.types]]
    common = [pipeline(introspection)]

    def make(extra: list[Any], cls: type[strawberry.Schema] = strawberry.Schema) -> strawberry.Schema:
        return cls(query=query, mutation=mutation, subscription=subscription, types=types,
                   extensions=[*common, *extra], execution_context_class=DeadlineExecutionContext)

    return Schemas(make([], StreamSchema), make([ReadAfterWrite]), project_type)
