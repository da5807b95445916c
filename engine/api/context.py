"""What every resolver gets as ``info.context``: the engine, the acting actor, and per-request caches."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.directory.actors import ActorView
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine


@dataclass
class RequestContext:
    engine: Engine
    actor: ActorView
    request: Any = None
    project_type: Any = None  # the schema's final Project class (plugins add fields to it)
    cache: dict[str, Any] = field(default_factory=dict)  # per-request memo (batched look-ups)
    client: str | None = None  # the caller's address (behind a proxy: as uvicorn's --proxy-headers sets it)
    budgets: Any = None  # the app's cost budgets (engine.api.budget.Budgets); None: nothing is charged
    cost: int | None = None  # this operation's estimated cost, once known
    retry_after: int | None = None  # set when the caller is over budget

    @property
    def sql(self) -> Sql:
        """Plain SQL on the current db_session (queries run inside one per request)."""
        return Sql(self.engine.db)
