"""Connecting to the database: a SQLite file by default (WAL, busy timeout), PostgreSQL by URL.

``MINSHENG_DB`` or ``--db`` selects it: ``sqlite:///path/to/file.db`` or ``postgresql://user@host:port/name``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from pony import orm

DEFAULT_DB_URL = "sqlite:///minsheng.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def db_url_from_env(explicit: str | None = None) -> str:
    return explicit or os.environ.get("MINSHENG_DB") or DEFAULT_DB_URL


@dataclass(frozen=True)
class Target:
    """Where the data lives, parsed from a URL."""

    provider: str  # "sqlite" | "postgres"
    options: dict[str, Any]

    @property
    def is_sqlite(self) -> bool:
        return self.provider == "sqlite"


def parse_url(url: str) -> Target:
    """Parse a database URL; raise ``ValueError`` naming what is wrong."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else ""
        if not path:
            raise ValueError(f"database URL {url!r} names no SQLite file (use sqlite:///path/file.db)")
        return Target("sqlite", {"filename": os.path.abspath(path), "create_db": True})
    if parsed.scheme in ("postgres", "postgresql"):
        options: dict[str, Any] = {
            "host": parsed.hostname or "127.0.0.1",
            "port": parsed.port or 5432,
            "user": unquote(parsed.username or "postgres"),
            "database": (parsed.path or "/").lstrip("/") or "postgres",
        }
        if parsed.password:
            options["password"] = unquote(parsed.password)
        for key, values in parse_qs(parsed.query).items():
            options[key] = values[-1]
        return Target("postgres", options)
    raise ValueError(f"database URL {url!r}: unsupported scheme {parsed.scheme!r} (use sqlite:/// or postgresql://)")


def new_database(url: str, *, create: bool = True) -> tuple[orm.Database, Target]:
    """A bound pony ``Database`` (no entities mapped yet). With ``create=False`` a missing SQLite file is not made:
    ``RuntimeError`` says it does not exist."""
    target = parse_url(url)
    if not create and target.is_sqlite:
        if not os.path.isfile(target.options["filename"]):
            raise RuntimeError(f"the database {url} does not exist (minsheng db upgrade creates it)")
        target = Target("sqlite", {**target.options, "create_db": False})
    db = orm.Database()
    if target.is_sqlite:

        @db.on_connect(provider="sqlite")
        def _sqlite_pragmas(_db: orm.Database, connection: Any) -> None:
            cursor = connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
            connection.text_factory = str  # sqlite3 decodes in C; pony's factory calls Python for every text value

    db.bind(provider=postgres_provider() if target.provider == "postgres" else target.provider, **target.options)
    return db, target


@lru_cache(maxsize=1)
def postgres_provider() -> type:
    """pony's PostgreSQL provider, with connections returned to their thread without ``DISCARD ALL``: pony sends
    that after every ``db_session`` — one more round trip per session, which also drops the server's cached plans —
    to undo session settings the engine never makes (its connection options are fixed at connect). Imports the
    driver, so it is built only for a PostgreSQL URL."""
    from pony.orm.dbproviders.postgres import PGPool, PGProvider

    class PostgresPool(PGPool):
        def release(self, con: Any) -> None:
            try:
                con.rollback()  # nothing is sent unless a transaction is open
            except Exception:
                self.drop(con)
                raise

    class PostgresProvider(PGProvider):
        def get_pool(self, *args: Any, **kwargs: Any) -> PostgresPool:
            return PostgresPool(self.dbapi_module, *args, **kwargs)

    return PostgresProvider
