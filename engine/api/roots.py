"""The core's root types, built around the schema's final ``Project`` class.

Plugins add fields to ``Project``, so the class is only known when the schema is built; every type that refers to
it (connection, edges, payloads, the root types) is made here by ``core_roots(Project)``.
This module deliberately has no ``from __future__ import annotations``: strawberry must see the real classes in
the annotations below, which are local to the factory.
"""
from types import SimpleNamespace
from typing import Any, List, Optional

import strawberry
from strawberry.types import Info

from engine.api import mutations, queries
from engine.api.errors import UserError
from engine.api.queries import PageInfo, ProjectFilter
from engine.api.types import Me, Node, Region, Unit, Workflow


def core_roots(Project: type) -> SimpleNamespace:  # noqa: N803 - a class
    types = SimpleNamespace(Project=Project)

    @strawberry.type
    class ProjectEdge:
        cursor: str
        node: Project

    @strawberry.type(description="A page of projects (Relay connection).")
    class ProjectConnection:
        edges: List[ProjectEdge]
        page_info: PageInfo
        where: strawberry.Private[Any]
        filter: strawberry.Private[Any] = None

        @strawberry.field(description="How many projects match the filter (all pages).")
        def total_count(self, info: Info) -> int:
            return queries.total_count(info.context, self.where, self.filter)

    @strawberry.type
    class ProjectPayload:
        project: Optional[Project] = None
        user_errors: List[UserError] = strawberry.field(default_factory=list)

    @strawberry.type
    class FireTransitionPayload:
        project: Optional[Project] = None
        from_state: Optional[str] = None
        to_state: Optional[str] = None
        seq: Optional[int] = strawberry.field(default=None, description="The audit record's sequence number.")
        replayed: bool = strawberry.field(default=False, description="True when an idempotency key repeated it.")
        user_errors: List[UserError] = strawberry.field(default_factory=list)

    types.ProjectEdge, types.ProjectConnection = ProjectEdge, ProjectConnection
    types.Query = _query(types)
    types.Mutation = _mutation(ProjectPayload, FireTransitionPayload)
    return types


def _query(types: SimpleNamespace) -> type:
    Project = types.Project  # noqa: N806

    @strawberry.type
    class CoreQuery:
        @strawberry.field(description="Projects the caller may see, a page at a time (first ≤ 100), region by region"
                                      " (a region's subtree together), by id within a region.")
        def projects(self, info: Info, filter: Optional[ProjectFilter] = None, first: int = 20,
                     after: Optional[str] = None) -> types.ProjectConnection:
            return queries.list_projects(info.context, filter, first, after, types)

        @strawberry.field(description="One project by id; null when it does not exist or is outside your area.")
        def project(self, info: Info, id: strawberry.ID) -> Optional[Project]:
            node = queries.node(info.context, id)
            return node if isinstance(node, Project) else None

        @strawberry.field(description="Any object by global id; null when missing or outside your area.")
        def node(self, info: Info, id: strawberry.ID) -> Optional[Node]:
            return queries.node(info.context, id)

        @strawberry.field(description="The caller's region tree (the public: all regions).")
        def regions(self, info: Info) -> List[Region]:
            return queries.region_tree(info.context, info.context.actor)

        @strawberry.field(description="Units (departments) in, above or below the caller's region.")
        def units(self, info: Info) -> List[Unit]:
            return queries.units(info.context)

        @strawberry.field(description="Workflow definitions, each with a Mermaid diagram.")
        def workflows(self, info: Info) -> List[Workflow]:
            return queries.workflows(info.context)

        @strawberry.field(description="Who is calling.")
        def me(self, info: Info) -> Me:
            return queries.me(info.context)

    return CoreQuery


def _mutation(ProjectPayload: type, FireTransitionPayload: type) -> type:  # noqa: N803
    @strawberry.type
    class CoreMutation:
        @strawberry.mutation(description="Create a project in its workflow's initial state.")
        def create_project(self, info: Info, input: mutations.CreateProjectInput) -> ProjectPayload:
            return mutations.create(info.context, input, ProjectPayload)

        @strawberry.mutation(description="Edit a project's details (only in states the workflow marks editable).")
        def update_project(self, info: Info, input: mutations.UpdateProjectInput) -> ProjectPayload:
            return mutations.update(info.context, input, ProjectPayload)

        @strawberry.mutation(description="Fire a workflow event on a project: atomic, audited, concurrency-safe.")
        def fire_transition(self, info: Info, input: mutations.FireTransitionInput) -> FireTransitionPayload:
            return mutations.fire(info.context, input, FireTransitionPayload)

    return CoreMutation
