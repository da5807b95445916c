"""Administrators manage the directory: regions, units and actors, and a region's own workflow.

Every operation is done *by* someone: an actor with the ``admin`` role, who reaches only its own region and what
lies below it (anything else answers exactly like something that does not exist), or ``None`` for the command
line on the server itself, which reaches everything. Each change is written in the same transaction as an
``admin_record`` row (who, when, what, on which subject, the values before and after), which
``admin_records`` lists for the administrators whose area holds the subject. Tokens are never logged.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from pony import orm

from engine.directory import actors, regions
from engine.directory.actors import ActorView
from engine.directory.regions import RegionView
from engine.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql
from engine.texts import text_problem

if TYPE_CHECKING:
    from engine.core import Engine

ADMIN = "admin"
MAX_NAME, MAX_CODE = 100, 40


@dataclass(frozen=True)
class AdminRecord:
    id: int
    at: Any
    actor_name: str
    action: str
    subject: str
    details: dict[str, Any]


@dataclass(frozen=True)
class UnitView:
    id: int
    code: str
    name: str
    region_id: int


def known_roles(engine: Engine) -> set[str]:
    return {role for w in engine.workflows.by_id.values() for role in w.definition.roles}


# -- regions -------------------------------------------------------------------------------------------------

def create_region(engine: Engine, by: ActorView | None, code: str, name: str, level: str,
                  parent: str | None) -> RegionView:
    """A new region under ``parent`` (a code; a root only from the command line)."""
    _check_admin(by)
    _check_text("code", code, MAX_CODE)
    _check_text("name", name, MAX_NAME)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        if parent is None and by is not None:
            raise InvalidInput([FieldProblem(["parent"], "is required: a new region lies under one of yours")])
        parent_id = _region(sql, by, parent, "parent").id if parent else None
        region = regions.add_region(sql, code, name, level, parent_id)
        _log(engine, sql, by, "create_region", f"region {code}", region.path, {"name": name, "level": level,
                                                                            "parent": parent})
        return region


def rename_region(engine: Engine, by: ActorView | None, code: str, name: str) -> RegionView:
    _check_admin(by)
    _check_text("name", name, MAX_NAME)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        region = _region(sql, by, code, "region")
        sql.execute("UPDATE region SET name = ? WHERE id = ?", (name, region.id))
        _log(engine, sql, by, "rename_region", f"region {code}", region.path, {"name": [region.name, name]})
        return RegionView(region.id, region.code, name, region.level, region.parent_id, region.path)


def set_region_workflow(engine: Engine, by: ActorView | None, code: str, workflow: str | None) -> RegionView:
    """The workflow new projects of ``code`` and every region below it get (unless a region below names its
    own); ``None`` inherits again from above (and, at the top, the engine's default)."""
    _check_admin(by)
    if workflow is not None and engine.workflows.named(workflow) is None:
        known = ", ".join(sorted({w.definition.name for w in engine.workflows.by_id.values()}))
        raise InvalidInput([FieldProblem(["workflow"], f"no workflow named '{workflow}'; known: {known}")])
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        region = _region(sql, by, code, "region")
        old = sql.scalar("SELECT workflow FROM region WHERE id = ?", (region.id,))
        sql.execute("UPDATE region SET workflow = ? WHERE id = ?", (workflow, region.id))
        _log(engine, sql, by, "set_region_workflow", f"region {code}", region.path, {"workflow": [old, workflow]})
        return region


def region_workflow(sql: Sql, region_path: str) -> str | None:
    """The workflow a region's new projects get: its own, else its nearest ancestor's; ``None`` if none names
    one."""
    ids = [part for part in region_path.strip("/").split("/") if part]
    paths = ["/" + "/".join(ids[:n]) + "/" for n in range(1, len(ids) + 1)]
    marks = ", ".join("?" for _ in paths)
    rows = sql.all(f"SELECT path, workflow FROM region WHERE workflow IS NOT NULL AND path IN ({marks})", paths)
    return max(rows, key=lambda row: len(row[0]))[1] if rows else None


# -- units ---------------------------------------------------------------------------------------------------

def create_unit(engine: Engine, by: ActorView | None, code: str, name: str, region: str) -> UnitView:
    _check_admin(by)
    _check_text("code", code, MAX_CODE)
    _check_text("name", name, MAX_NAME)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        home = _region(sql, by, region, "region")
        if sql.scalar("SELECT id FROM unit WHERE code = ?", (code,)) is not None:
            raise InvalidInput([FieldProblem(["code"], f"a unit with code '{code}' already exists")])
        unit_id = sql.insert("INSERT INTO unit (code, name, region_id) VALUES (?, ?, ?)", (code, name, home.id))
        _log(engine, sql, by, "create_unit", f"unit {code}", home.path, {"name": name, "region": region})
        return UnitView(unit_id, code, name, home.id)


def rename_unit(engine: Engine, by: ActorView | None, code: str, name: str) -> UnitView:
    _check_admin(by)
    _check_text("name", name, MAX_NAME)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        unit, path = _unit(sql, by, code)
        sql.execute("UPDATE unit SET name = ? WHERE id = ?", (name, unit.id))
        _log(engine, sql, by, "rename_unit", f"unit {code}", path, {"name": [unit.name, name]})
        return UnitView(unit.id, unit.code, name, unit.region_id)


def move_unit(engine: Engine, by: ActorView | None, code: str, region: str) -> UnitView:
    """Move a unit to another region of the administrator's area (its projects stay where they are)."""
    _check_admin(by)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        unit, path = _unit(sql, by, code)
        target = _region(sql, by, region, "region")
        old = sql.scalar("SELECT code FROM region WHERE id = ?", (unit.region_id,))
        sql.execute("UPDATE unit SET region_id = ? WHERE id = ?", (target.id, unit.id))
        _log(engine, sql, by, "move_unit", f"unit {code}", path, {"region": [old, region]})
        return UnitView(unit.id, unit.code, unit.name, target.id)


# -- actors --------------------------------------------------------------------------------------------------

def create_actor(engine: Engine, by: ActorView | None, username: str, name: str, roles: Sequence[str],
                 region: str, unit: str | None = None) -> tuple[int, str]:
    """Create an actor; return its id and bearer token (shown once; only its hash is stored)."""
    _check_admin(by)
    _check_text("username", username, MAX_CODE)
    _check_text("name", name, MAX_NAME)
    roles = [r.strip() for r in roles if r.strip()]
    if not roles:
        raise InvalidInput([FieldProblem(["roles"], "at least one role is required")])
    actors.validate_roles(roles, known_roles(engine))
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        home = _region(sql, by, region, "region")
        unit_id = None
        if unit:
            unit_view, _ = _unit(sql, by, unit)
            unit_id = unit_view.id
        if sql.scalar("SELECT id FROM actor WHERE username = ?", (username,)) is not None:
            raise InvalidInput([FieldProblem(["username"], f"actor '{username}' already exists")])
        actor_id = sql.insert("INSERT INTO actor (username, name, roles, region_id, unit_id, active, created_at)"
                              " VALUES (?, ?, ?, ?, ?, ?, ?)",
                              (username, name, ",".join(roles), home.id, unit_id, True, engine.clock.now()))
        _log(engine, sql, by, "create_actor", f"actor {username}", home.path,
             {"name": name, "roles": roles, "region": region, "unit": unit})
        return actor_id, actors.issue_token(sql, actor_id)


def disable_actor(engine: Engine, by: ActorView | None, username: str) -> None:
    """The actor's token stops working at once (its open subscriptions end); its records stay."""
    _check_admin(by)
    if by is not None and by.username == username:
        raise InvalidInput([FieldProblem(["username"], "you cannot disable yourself")])
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        actor_id, path = _actor(sql, by, username)
        sql.execute("UPDATE actor SET active = ?, token_hash = NULL WHERE id = ?", (False, actor_id))
        _log(engine, sql, by, "disable_actor", f"actor {username}", path, {})


def rotate_token(engine: Engine, by: ActorView | None, username: str) -> str:
    """A new bearer token for the actor; the old one stops working at once."""
    _check_admin(by)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        actor_id, path = _actor(sql, by, username)
        token = actors.issue_token(sql, actor_id)
        _log(engine, sql, by, "rotate_token", f"actor {username}", path, {})
        return token


# -- the log -------------------------------------------------------------------------------------------------

def admin_records(engine: Engine, by: ActorView | None, first: int = 50) -> list[AdminRecord]:
    """The newest changes to the directory within ``by``'s area, newest first."""
    _check_admin(by)
    with orm.db_session:
        sql = Sql(engine.db)
        where, params = ("", []) if by is None else ("WHERE region_path LIKE ?", [f"{by.region_path}%"])
        rows = sql.all(f"SELECT id, at, actor_name, action, subject, details FROM admin_record {where}"
                       f" ORDER BY id DESC LIMIT ?", (*params, max(1, min(first, 200))))
    return [AdminRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]


def _log(engine: Engine, sql: Sql, by: ActorView | None, action: str, subject: str, path: str,
         details: dict[str, Any]) -> None:
    sql.execute("INSERT INTO admin_record (at, actor_id, actor_name, action, subject, region_path, details)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (engine.clock.now(), by.id if by else None, by.name if by else "命令行 (command line)", action,
                 subject, path, json.dumps(details, ensure_ascii=False, sort_keys=True)))


# -- reach ---------------------------------------------------------------------------------------------------

def _check_admin(by: ActorView | None) -> None:
    if by is not None and ADMIN not in by.roles:
        raise Forbidden("only an administrator (admin) may manage regions, units and actors")


def _check_text(field: str, value: str, limit: int) -> None:
    problem = "must not be blank" if not (value or "").strip() else text_problem(value, limit)
    if problem:
        raise InvalidInput([FieldProblem([field], problem)])


def _region(sql: Sql, by: ActorView | None, code: str, field: str) -> RegionView:
    """The region ``code`` if ``by`` reaches it; else ``NotFound``, exactly as for a missing region."""
    row = sql.one(regions.SELECT + " WHERE code = ?", (code,))
    if row is None or (by is not None and not by.covers(row[5])):
        raise NotFound(f"region '{code}' does not exist", path=[field])
    return RegionView(*row)


def _unit(sql: Sql, by: ActorView | None, code: str) -> tuple[UnitView, str]:
    row = sql.one("SELECT u.id, u.code, u.name, u.region_id, r.path FROM unit u JOIN region r ON r.id = u.region_id"
                  " WHERE u.code = ?", (code,))
    if row is None or (by is not None and not by.covers(row[4])):
        raise NotFound(f"unit '{code}' does not exist", path=["unit"])
    return UnitView(*row[:4]), row[4]


def _actor(sql: Sql, by: ActorView | None, username: str) -> tuple[int, str]:
    row = sql.one("SELECT a.id, r.path FROM actor a JOIN region r ON r.id = a.region_id WHERE a.username = ?"
                  " AND a.active = ?", (username, True))
    if row is None or (by is not None and not by.covers(row[1])):
        raise NotFound(f"actor '{username}' does not exist", path=["username"])
    return row[0], row[1]
