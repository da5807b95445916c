"""Who runs intake: the offices 政府办 / 民生办 (roles ``office`` and ``finance``) of a call's region or a region
above it. Reach is the engine's one rule (``engine.directory.access.reach``): the office's area must cover the
call's region, and an actor whose reach is narrowed to a unit or to published projects is no office here. Out of
reach answers exactly like missing (``NotFound``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.directory.access import reach
from engine.directory.actors import ActorView
from engine.errors import Forbidden

if TYPE_CHECKING:
    from engine.core import Engine

OFFICE_ROLES = ("office", "finance")
OFFICE_LABEL = "政府办/民生办 (office, finance)"


def office_path(engine: Engine, actor: ActorView) -> str | None:
    """The region path under which ``actor`` runs intake, or None when it is no office."""
    scope = reach(engine, actor)
    if actor.is_public or not actor.roles & set(OFFICE_ROLES) or scope.redacted or scope.unit_bound:
        return None
    return scope.region_path or None


def is_office_for(engine: Engine, actor: ActorView, region_path: str) -> bool:
    path = office_path(engine, actor)
    return path is not None and region_path.startswith(path)


def require_office(engine: Engine, actor: ActorView, what: str) -> str:
    """The actor's office path, or ``Forbidden`` naming who may do ``what``."""
    path = office_path(engine, actor)
    if path is None:
        raise Forbidden(f"only {OFFICE_LABEL} may {what}")
    return path
