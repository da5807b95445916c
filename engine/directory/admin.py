"""Setting up the district: regions, units and actors (used by the CLI, the demo and tests)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from pony import orm

from engine.directory import actors, regions
from engine.errors import FieldProblem, InvalidInput
from engine.directory.regions import RegionView
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine


def known_roles(engine: Engine) -> set[str]:
    return {role for w in engine.workflows.by_id.values() for role in w.definition.roles}


def add_region_by_code(engine: Engine, code: str, name: str, level: str, parent: str | None) -> RegionView:
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        parent_id = regions.by_code(sql, parent).id if parent else None
        return regions.add_region(sql, code, name, level, parent_id)


def add_unit(engine: Engine, code: str, name: str, region: str) -> int:
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        region_id = regions.by_code(sql, region).id
        if sql.scalar("SELECT id FROM unit WHERE code = ?", (code,)) is not None:
            raise InvalidInput([FieldProblem(["code"], f"a unit with code '{code}' already exists")])
        return sql.insert("INSERT INTO unit (code, name, region_id) VALUES (?, ?, ?)", (code, name, region_id))


def add_actor(engine: Engine, username: str, name: str, roles: Sequence[str], region: str,
              unit: str | None = None) -> str:
    """Create an actor and return its bearer token (shown once; only its hash is stored)."""
    roles = [r.strip() for r in roles if r.strip()]
    actors.validate_roles(roles, known_roles(engine))
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        region_id = regions.by_code(sql, region).id
        unit_id = sql.scalar("SELECT id FROM unit WHERE code = ?", (unit,)) if unit else None
        if unit and unit_id is None:
            raise InvalidInput([FieldProblem(["unit"], f"no unit with code '{unit}'")])
        if sql.scalar("SELECT id FROM actor WHERE username = ?", (username,)) is not None:
            raise InvalidInput([FieldProblem(["username"], f"actor '{username}' already exists")])
        actor_id = sql.insert("INSERT INTO actor (username, name, roles, region_id, unit_id, active, created_at)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (username, name, ",".join(roles), region_id, unit_id, True, engine.clock.now()))
        return actors.issue_token(sql, actor_id)
