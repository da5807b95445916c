"""Relay global ids: ``base64("Project:42")``. Every object a client can fetch by ``node(id)`` has one.

Only the canonical form is accepted: a type name, a colon and a decimal database id without sign, spaces,
underscores or leading zeros, within the integer range of the database's id columns (PostgreSQL ``SERIAL``).
"""
from __future__ import annotations

import base64
import binascii
import re
from functools import lru_cache

from engine.errors import FieldProblem, InvalidInput
from engine.texts import shown

MAX_DATABASE_ID = 2**31 - 1  # ids are SERIAL (int4) on PostgreSQL; SQLite's range is wider
CANONICAL_ID = re.compile(r"[1-9][0-9]{0,9}\Z")


@lru_cache(maxsize=65536)
def to_global_id(type_name: str, database_id: int) -> str:
    """The global id of a database row (memoised: a page encodes the same few regions and units many times)."""
    return base64.b64encode(f"{type_name}:{database_id}".encode()).decode()


def database_id_of(raw: str) -> int | None:
    """``raw`` as a database id when it is one in canonical decimal form and in range; otherwise None."""
    if not CANONICAL_ID.match(raw):
        return None
    value = int(raw)
    return value if value <= MAX_DATABASE_ID else None


def decode_pair(value: str) -> tuple[str, str] | None:
    """``base64(prefix:rest)`` as (prefix, rest); None when ``value`` is not such base64 text."""
    try:
        prefix, colon, rest = base64.b64decode(value.encode(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeError, ValueError):
        return None
    return (prefix, rest) if colon else None


def parse_global_id(value: str, path: list[str]) -> tuple[str, int]:
    """(type name, database id) or ``InvalidInput`` naming ``path``."""
    pair = decode_pair(value)
    database_id = database_id_of(pair[1]) if pair else None
    if pair is None or not pair[0] or database_id is None:
        raise InvalidInput([FieldProblem(path, f"'{shown(value)}' is not a valid id")])
    return pair[0], database_id


def from_global_id(value: str, expected: str, path: list[str]) -> int:
    """The database id of a ``expected``-typed global id, or ``InvalidInput`` naming ``path``."""
    type_name, database_id = parse_global_id(value, path)
    if type_name != expected:
        raise InvalidInput([FieldProblem(path, f"'{shown(value)}' is not a {expected} id")])
    return database_id
