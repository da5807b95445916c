"""Relay global ids: ``base64("Project:42")``. Every object a client can fetch by ``node(id)`` has one."""
from __future__ import annotations

import base64
import binascii

from engine.errors import FieldProblem, InvalidInput


def to_global_id(type_name: str, database_id: int) -> str:
    return base64.b64encode(f"{type_name}:{database_id}".encode()).decode()


def parse_global_id(value: str, path: list[str]) -> tuple[str, int]:
    """(type name, database id) or ``InvalidInput`` naming ``path``."""
    try:
        type_name, _, raw = base64.b64decode(value.encode(), validate=True).decode().partition(":")
        database_id = int(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput([FieldProblem(path, f"'{value}' is not a valid id")]) from None
    if not type_name or database_id <= 0:
        raise InvalidInput([FieldProblem(path, f"'{value}' is not a valid id")])
    return type_name, database_id


def from_global_id(value: str, expected: str, path: list[str]) -> int:
    """The database id of a ``expected``-typed global id, or ``InvalidInput`` naming ``path``."""
    type_name, database_id = parse_global_id(value, path)
    if type_name != expected:
        raise InvalidInput([FieldProblem(path, f"'{value}' is not a {expected} id")])
    return database_id
