"""How a plugin adds to the GraphQL API (returned from the ``minsheng_graphql`` hook)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GraphQLExtension:
    """Strawberry types whose fields are merged into the schema's root and project types.

    - ``query``: a ``@strawberry.type`` class; its fields join ``Query``.
    - ``mutation``: a ``@strawberry.type`` class; its fields join ``Mutation``. Mutations return a payload type
      with a ``user_errors: list[UserError]`` field (see ``engine.api.errors``) and open their own
      ``db_session`` (queries already run inside one).
    - ``project``: a ``@strawberry.type`` class; its fields join ``Project``. Its resolvers receive the project
      as ``self`` (``self.database_id``, ``self.region_path``, ``self.state_name``) and must apply the reader's
      access (``info.context.actor``; the public sees only what is published). A field that reads the database
      loads it for the project's whole page at once with ``engine.api.batch.batched`` (one query per page).
    - ``subscription``: a ``@strawberry.type`` class of ``@strawberry.subscription`` fields; they join
      ``Subscription``. They read the events every process's broker carries (``info.context.broker``, see
      ``engine.api.subscriptions``): a plugin announces its own after commit by calling each of
      ``engine.listeners`` with an object whose ``to_event(engine)`` returns a flat dict with a ``kind`` other
      than ``"project"`` (``projectEvents`` ignores those), and subscribes with a matcher that applies the
      reader's access.
    - ``types``: extra types to include in the schema even if no field returns them directly.
    """

    query: type | None = None
    mutation: type | None = None
    project: type | None = None
    subscription: type | None = None
    types: tuple[type, ...] = field(default_factory=tuple)
