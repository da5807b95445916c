"""Who is calling: the bearer token of a request, the actor holding it, and the caller's address."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pony import orm

from engine.directory import actors
from engine.directory.actors import PUBLIC, ActorView
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine

UNAUTHENTICATED = "the bearer token is not valid"


def bearer_token(request: Any) -> str | None:
    """The bearer token; None without an Authorization header; "" when the header is not a usable bearer token
    (which then authenticates no one: sending credentials that do not work never falls back to the public)."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def client_address(request: Any) -> str | None:
    """The caller's address as the ASGI server saw it (uvicorn's ``--proxy-headers`` takes it from a trusted
    proxy's ``X-Forwarded-For``); None when unknown."""
    client = getattr(request, "client", None)
    return client.host if client else None


def authenticate(engine: Engine, token: str | None) -> ActorView | None:
    """The actor holding ``token``; PUBLIC when there is none; None when the token is not valid."""
    if token is None:
        return PUBLIC
    if not token:
        return None
    with orm.db_session:
        return actors.by_token(Sql(engine.db), token)
