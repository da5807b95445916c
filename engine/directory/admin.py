"""Setting up the district from the command line, the demo and tests: the operations of
``engine.directory.management`` done by nobody in particular (the server's own command line reaches everything),
logged like an administrator's."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from engine.directory import management
from engine.directory.management import known_roles
from engine.directory.regions import RegionView

if TYPE_CHECKING:
    from engine.core import Engine

__all__ = ["add_actor", "add_region_by_code", "add_unit", "known_roles"]


def add_region_by_code(engine: Engine, code: str, name: str, level: str, parent: str | None) -> RegionView:
    return management.create_region(engine, None, code, name, level, parent)


def add_unit(engine: Engine, code: str, name: str, region: str) -> int:
    return management.create_unit(engine, None, code, name, region).id


def add_actor(engine: Engine, username: str, name: str, roles: Sequence[str], region: str,
              unit: str | None = None) -> str:
    """Create an actor and return its bearer token (shown once; only its hash is stored)."""
    return management.create_actor(engine, None, username, name, roles, region, unit)[1]
