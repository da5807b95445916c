"""Device tokens the server signs (``issueDeviceToken``): proof that a resident's token came from this server, and
when, so anonymous ratings cannot be cast with tokens an attacker makes up by the thousand.

A token reads ``v1.<issued, seconds since 1970 UTC>.<random nonce>.<MAC>``, where the MAC is
``HMAC-SHA256(signing key, "v1.<issued>.<nonce>")`` and the signing key is derived from the device-hash key
(``device.secret_key``: the database's salt with the optional pepper), so changing the pepper also voids every
token issued before. Nothing about the token is stored when it is issued; a rating stores only its keyed hash.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pony import orm

from engine.errors import FieldProblem, InvalidInput
from engine.storage.sql import Sql
from plugins.satisfaction import device, throttling
from plugins.satisfaction.config import Settings

if TYPE_CHECKING:
    from engine.core import Engine

VERSION = "v1"
SIGNING_CONTEXT = b"minsheng satisfaction device token v1"
EPOCH = dt.datetime(1970, 1, 1)
NOT_OURS = "the device token was not issued by this server (or was altered): ask issueDeviceToken for one"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    issued_at: dt.datetime


def _mac(sql: Sql, body: str) -> str:
    key = hmac.new(device.secret_key(sql), SIGNING_CONTEXT, hashlib.sha256).digest()
    digest = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def sign(sql: Sql, issued_at: dt.datetime) -> str:
    """A fresh token issued at ``issued_at`` (whole seconds), signed with this database's key."""
    body = f"{VERSION}.{int((issued_at - EPOCH).total_seconds())}.{secrets.token_urlsafe(16)}"
    return f"{body}.{_mac(sql, body)}"


def issued_at(sql: Sql, token: str) -> dt.datetime | None:
    """When the token was issued, if this server signed it exactly as it is; else None."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not parts[1].isdigit() or len(parts[1]) > 12:
        return None
    if not hmac.compare_digest(_mac(sql, ".".join(parts[:3])), parts[3]):
        return None
    return EPOCH + dt.timedelta(seconds=int(parts[1]))


def check_signed(sql: Sql, token: str, now: dt.datetime, settings: Settings, path: list[str]) -> None:
    """Nothing when the token was signed here, is at least the minimum age and has not expired; otherwise
    ``InvalidInput`` at ``path`` saying which (and, for a token too new, in how many seconds it will do)."""
    issued = issued_at(sql, token)
    if issued is None:
        raise InvalidInput([FieldProblem(path, NOT_OURS)])
    age = (now - issued).total_seconds()
    if age < settings.token_min_age:
        wait = int(settings.token_min_age - age)
        raise InvalidInput([FieldProblem(path, f"the device token is too new: a token may rate {settings.token_min_age}"
                                               f" seconds after it was issued; try again in {wait} seconds")])
    if age > settings.token_lifetime:
        expired = issued + dt.timedelta(seconds=settings.token_lifetime)
        raise InvalidInput([FieldProblem(path, f"the device token expired at {expired.isoformat()} UTC: ask "
                                               "issueDeviceToken for a new one")])


def issue_device_token(engine: Engine, client: str | None) -> IssuedToken:
    """A signed token for a resident's device, counted against the caller's address (``Throttled`` when its
    budget is spent). Nothing is written."""
    throttling.take_token(engine, client)
    now = engine.clock.now().replace(microsecond=0)
    with orm.db_session:
        return IssuedToken(sign(Sql(engine.db), now), now)
