"""Residents' device tokens: what the app sends so one phone answers a project's survey at most once.

The token (signed by the server, from ``issueDeviceToken``: see ``tokens.py``) is never stored. What is stored is
``HMAC-SHA256(key, "<project id>:<token>")`` where the key mixes the database's random salt (table
``satisfaction_key``) with an optional pepper from the environment (``MINSHENG_DEVICE_PEPPER``, kept out of the
database). Keying by project means one device's answers to two projects cannot be linked to each other.
Changing the pepper makes earlier answers unrecognisable: a device could then answer those projects again.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re

from engine.errors import FieldProblem, InvalidInput
from engine.storage.sql import Sql

MIN_LENGTH, MAX_LENGTH = 16, 128
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._:\-]+")
PEPPER_ENV = "MINSHENG_DEVICE_PEPPER"


def check_token(token: str | None, path: list[str]) -> str:
    """The token if it is acceptable, else ``InvalidInput`` naming ``path`` and what is wrong."""
    if token is None or token == "":
        raise InvalidInput([FieldProblem(path, "a device token is required to rate as a resident: ask "
                                               "issueDeviceToken for one and keep it on this device")])
    if not MIN_LENGTH <= len(token) <= MAX_LENGTH:
        raise InvalidInput([FieldProblem(path, f"the device token must be {MIN_LENGTH} to {MAX_LENGTH} characters "
                                               f"long (e.g. a UUID), got {len(token)}")])
    if not TOKEN_PATTERN.fullmatch(token):
        raise InvalidInput([FieldProblem(path, "the device token may contain only letters, digits and . _ : -")])
    return token


def secret_key(sql: Sql) -> bytes:
    """``SHA-256(salt ‖ pepper)``: the database's salt with the optional pepper; never leaves the process."""
    salt = sql.scalar("SELECT salt FROM satisfaction_key ORDER BY id LIMIT 1")
    if salt is None:
        raise RuntimeError("satisfaction_key has no salt: run 'minsheng db upgrade'")
    return hashlib.sha256(f"{salt}\x00{os.environ.get(PEPPER_ENV, '')}".encode("utf-8")).digest()


def device_hash(sql: Sql, project_id: int, token: str, round_number: int = 1) -> str:
    """The stored form of a device token for one survey round of a project (hex HMAC-SHA256); the token itself is
    not kept. Round 1 keys by the project alone (as answers were keyed before rounds existed, so migrated answers
    still refuse a second one); later rounds also by the round's number, so one device's answers in two rounds
    cannot be linked either."""
    message = f"{project_id}:{token}" if round_number == 1 else f"{project_id}#{round_number}:{token}"
    return hmac.new(secret_key(sql), message.encode("utf-8"), hashlib.sha256).hexdigest()
