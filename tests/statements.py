"""Counting what reaches the database: every statement every connection sends, as the driver sends it, with the
transaction control (BEGIN, COMMIT, ROLLBACK) that costs a round trip too.

``watch_statements()`` patches pony's connection pools so that connections opened from then on report to one
``Statements`` log, through connection classes whose cursors record their ``execute`` calls: on SQLite (pony
runs it in autocommit mode and sends BEGIN itself) the statements and the COMMIT or ROLLBACK; on PostgreSQL also
the BEGIN psycopg2 sends before the first statement of a transaction. Statements run by triggers are not round
trips and are not counted. Open the engine after installing it, so that every connection is watched.
"""
from __future__ import annotations

import contextlib
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator

from pony.orm.dbproviders import postgres, sqlite


@dataclass
class Statements:
    """The statements sent since the last ``clear``, first word upper-cased, in order."""

    sent: list[str] = field(default_factory=list)
    bound: list[tuple[str, Any]] = field(default_factory=list)  # (statement, its parameters) of single executes
    connections: int = 0  # connections opened since the log began
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, statement: str, params: Any = None) -> None:
        with self.lock:
            self.sent.append(statement.strip())
            self.bound.append((statement.strip(), params))

    def clear(self) -> None:
        with self.lock:
            self.sent.clear()
            self.bound.clear()

    @property
    def count(self) -> int:
        return len(self.sent)

    def kinds(self) -> list[str]:
        return [s.split(None, 1)[0].upper() if s else "" for s in self.sent]

    @contextlib.contextmanager
    def counting(self) -> Iterator[list[str]]:
        """The statements sent inside the block (a list filled when the block ends)."""
        seen: list[str] = []
        self.clear()
        try:
            yield seen
        finally:
            with self.lock:
                seen.extend(self.sent)


def _pg_connection_class(log: Statements) -> type:
    import psycopg2.extensions as ext

    class CountingCursor(ext.cursor):
        def execute(self, query: Any, vars: Any = None) -> Any:  # noqa: A002 - psycopg2's name
            self._begin()
            log.record(query if isinstance(query, str) else query.decode(), vars)
            return super().execute(query, vars)

        def executemany(self, query: Any, vars_list: Any) -> Any:
            self._begin()
            for _ in vars_list:
                log.record(query if isinstance(query, str) else query.decode())
            return super().executemany(query, vars_list)

        def _begin(self) -> None:
            connection = self.connection
            if not connection.autocommit and connection.status == ext.STATUS_READY:
                log.record("BEGIN")

    class CountingConnection(ext.connection):
        def cursor(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("cursor_factory", CountingCursor)
            return super().cursor(*args, **kwargs)

        def commit(self) -> None:
            if self.status != ext.STATUS_READY:
                log.record("COMMIT")
            super().commit()

        def rollback(self) -> None:
            if self.status != ext.STATUS_READY:
                log.record("ROLLBACK")
            super().rollback()

    return CountingConnection


def _sqlite_connection_class(log: Statements) -> type:
    class CountingCursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = ()) -> Any:
            log.record(sql, parameters)
            return super().execute(sql, parameters)

        def executemany(self, sql: str, seq_of_parameters: Any) -> Any:
            rows = list(seq_of_parameters)
            for _ in rows:
                log.record(sql)
            return super().executemany(sql, rows)

    class CountingConnection(sqlite3.Connection):
        def cursor(self, factory: Any = CountingCursor) -> Any:  # type: ignore[override]
            return super().cursor(factory)

        def execute(self, sql: str, parameters: Any = ()) -> Any:  # type: ignore[override]
            return self.cursor().execute(sql, parameters)

        def commit(self) -> None:
            if self.in_transaction:
                log.record("COMMIT")
            super().commit()

        def rollback(self) -> None:
            if self.in_transaction:
                log.record("ROLLBACK")
            super().rollback()

    return CountingConnection


@contextlib.contextmanager
def watch_statements() -> Iterator[Statements]:
    """Connections pony opens inside the block report every statement to the returned log."""
    log = Statements()
    real_sqlite, real_pg = sqlite.SQLitePool._connect, postgres.PGPool._connect
    counting_class, sqlite_class = None, _sqlite_connection_class(log)

    def sqlite_connect(pool: Any) -> None:
        pool.kwargs["factory"] = sqlite_class
        real_sqlite(pool)
        log.connections += 1

    def pg_connect(pool: Any) -> None:
        nonlocal counting_class
        counting_class = counting_class or _pg_connection_class(log)
        pool.con = pool.dbapi_module.connect(*pool.args, connection_factory=counting_class, **pool.kwargs)
        if "client_encoding" not in pool.kwargs:
            pool.con.set_client_encoding("UTF8")
        log.connections += 1

    sqlite.SQLitePool._connect, postgres.PGPool._connect = sqlite_connect, pg_connect
    try:
        yield log
    finally:
        sqlite.SQLitePool._connect, postgres.PGPool._connect = real_sqlite, real_pg
