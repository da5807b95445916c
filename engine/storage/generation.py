"""The data generation: a number every committed write to any table moves on (SQLite).

Read before a query's data, it tells whether anything may have changed since: the API's result cache
(``engine.api.result_cache``) serves a stored result only while the generation it was computed at is still
current. SQLite triggers keep it, so writes by every process — the server, the CLI, a plugin's own SQL — count.
On PostgreSQL the number is not kept (one row every writer updates would serialize all transactions): there is
no generation and nothing is cached.
"""
from __future__ import annotations

from pony import orm

from engine.storage.db import Target
from engine.storage.migrations import Migration
from engine.storage.sql import Sql

TABLE = "data_generation"
UNTRACKED = {TABLE, "schema_migrations"}

MIGRATION = Migration("core", 4, "a data generation every write moves on (for caching query results)", f"""
CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, n {{bigint}} NOT NULL);
INSERT INTO {TABLE} (id, n) VALUES (1, 0)
""")


def track_writes(db: orm.Database, target: Target) -> None:
    """On SQLite, make sure every table (the plugins' too) moves the generation on each insert, update, delete."""
    if not target.is_sqlite:
        return
    with orm.db_session(immediate=True):
        sql = Sql(db)
        tables = [row[0] for row in sql.all("SELECT name FROM sqlite_master WHERE type = 'table'"
                                            " AND name NOT LIKE 'sqlite_%'") if row[0] not in UNTRACKED]
        for table in tables:
            for action in ("INSERT", "UPDATE", "DELETE"):
                sql.cursor().execute(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_generation_{action.lower()} AFTER {action} ON {table}"
                    f" BEGIN UPDATE {TABLE} SET n = n + 1 WHERE id = 1; END")


def current(sql: Sql) -> int | None:
    """The generation now (None on PostgreSQL: not kept). Read it before the data it vouches for."""
    if not sql.sqlite:
        return None
    return sql.scalar(f"SELECT n FROM {TABLE} WHERE id = 1")
