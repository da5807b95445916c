"""Actors (people acting through the engine), their roles and home region, and bearer tokens.

Tokens are shown once when created and stored only as a sha256 hash. An actor's home region and everything below
it is its "area"; which projects it reaches follows from its roles' scopes (``engine.directory.access``). ``PUBLIC`` is the
anonymous reader with no roles.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from engine.errors import InvalidInput, FieldProblem, NotFound
from engine.storage.sql import Sql


@dataclass(frozen=True)
class ActorView:
    id: int | None
    username: str
    name: str
    roles: frozenset[str]
    region_id: int | None
    region_path: str | None  # None: sees only what is published
    unit_id: int | None = None

    @property
    def is_public(self) -> bool:
        return self.id is None

    def covers(self, region_path: str) -> bool:
        """Whether a region (by its path) lies in this actor's area (where it may create projects); which
        projects it reaches there is ``engine.directory.access.reach``."""
        return self.region_path is not None and region_path.startswith(self.region_path)


PUBLIC = ActorView(id=None, username="public", name="公众", roles=frozenset(), region_id=None, region_path=None)

SELECT_ACTOR = ("SELECT a.id, a.username, a.name, a.roles, a.region_id, r.path, a.unit_id FROM actor a"
                " JOIN region r ON r.id = a.region_id WHERE a.active = ? AND ")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _view(row: tuple) -> ActorView:
    roles = frozenset(r for r in row[3].split(",") if r)
    return ActorView(row[0], row[1], row[2], roles, row[4], row[5], row[6])


def by_token(sql: Sql, token: str) -> ActorView | None:
    row = sql.one(SELECT_ACTOR + "a.token_hash = ?", (True, hash_token(token)))
    return _view(row) if row else None


def by_username(sql: Sql, username: str) -> ActorView:
    row = sql.one(SELECT_ACTOR + "a.username = ?", (True, username))
    if row is None:
        raise NotFound(f"no active actor '{username}'", path=["username"])
    return _view(row)


def by_id(sql: Sql, actor_id: int) -> ActorView | None:
    row = sql.one(SELECT_ACTOR + "a.id = ?", (True, actor_id))
    return _view(row) if row else None


def issue_token(sql: Sql, actor_id: int) -> str:
    """Create a new bearer token for the actor (replacing the old one) and return it; only its hash is kept."""
    token = "msk_" + secrets.token_urlsafe(32)
    sql.execute("UPDATE actor SET token_hash = ? WHERE id = ?", (hash_token(token), actor_id))
    return token


def validate_roles(roles: list[str], known: set[str]) -> None:
    unknown = [r for r in roles if r not in known]
    if unknown:
        raise InvalidInput([FieldProblem(["roles"], f"unknown role(s) {', '.join(unknown)}; "
                                                    f"known: {', '.join(sorted(known))}")])
