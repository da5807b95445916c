"""Plain SQL on the connection of the current ``db_session``, for the hot paths (transitions, list pages,
roll-ups) where building pony entity objects costs more than the work itself.

Statements are written with ``?`` placeholders; for PostgreSQL they become ``%s``. Values are converted the way
pony stores them, so rows written here read back through pony entities unchanged.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, Iterable, Sequence, TypeVar

from pony import orm
from pony.utils import datetime2timestamp

T = TypeVar("T")


# an INSERT's one row of parameters, at the end or before ON CONFLICT (an upsert): sent a page of rows at a time
VALUES_LIST = re.compile(r"\s+VALUES\s*\(\s*\?(?:\s*,\s*\?)*\s*\)(?=\s*(?:ON\s+CONFLICT\b|\Z))", re.IGNORECASE)


@lru_cache(maxsize=512)
def _pg(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


PLAIN = frozenset({int, str, float, bool, type(None), bytes})


def _sqlite_value(value: Any) -> Any:
    if type(value) in PLAIN:  # most values: nothing to convert (checked first: this runs once per bulk value)
        return value
    if isinstance(value, dt.datetime):
        return datetime2timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _pony_error(dbapi: Any, exc: Exception) -> orm.DBException:
    for driver_class, pony_class in ((dbapi.IntegrityError, orm.IntegrityError),
                                     (dbapi.OperationalError, orm.OperationalError),
                                     (dbapi.InternalError, orm.InternalError),
                                     (dbapi.ProgrammingError, orm.ProgrammingError)):
        if isinstance(exc, driver_class):
            return pony_class(exc)
    return orm.DatabaseError(exc)


class Sql:
    """Runs statements on the current session's connection (inside ``orm.db_session``)."""

    def __init__(self, db: orm.Database) -> None:
        self.db = db
        self.sqlite = db.provider.dialect == "SQLite"

    def cursor(self, writes: bool = True) -> Any:
        """A DB-API cursor on the session's connection.

        A statement that writes makes the session one transaction, committed when it ends (SQLite: ``BEGIN
        IMMEDIATE``). A read is prepared the way pony prepares its own queries, so on SQLite it takes no write lock
        (``db.get_connection()`` would make every read wait for pony's process-wide write lock)."""
        if writes:
            return self.db.get_connection().cursor()
        return self.db._get_cache().prepare_connection_for_query_execution().cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement; driver errors come out as pony's (``orm.IntegrityError`` and so on), as through pony."""
        cursor = self.cursor(writes=not sql.lstrip()[:6].upper().startswith("SELECT"))
        try:
            if self.sqlite:
                cursor.execute(sql, [_sqlite_value(v) for v in params])
            else:
                cursor.execute(_pg(sql), list(params))
        except self.db.provider.dbapi_module.Error as exc:
            raise _pony_error(self.db.provider.dbapi_module, exc) from exc
        return cursor

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one writing statement for each row of parameters (bulk inserts), values converted as in
        ``execute``; driver errors come out as pony's."""
        if not rows:
            return
        cursor = self.cursor()
        try:
            if self.sqlite:
                cursor.executemany(sql, [[_sqlite_value(v) for v in row] for row in rows])
            elif VALUES_LIST.search(sql):  # one statement per page of rows, not one round trip per row
                from psycopg2.extras import execute_values

                execute_values(cursor, _pg(VALUES_LIST.sub(" VALUES ?", sql)), rows, page_size=1000)
            else:
                cursor.executemany(_pg(sql), [list(row) for row in rows])
        except self.db.provider.dbapi_module.Error as exc:
            raise _pony_error(self.db.provider.dbapi_module, exc) from exc

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT and return the new row's id."""
        if self.sqlite:
            return self.execute(sql, params).lastrowid
        return self.execute(sql + " RETURNING id", params).fetchone()[0]

    def for_update(self) -> str:
        """The clause that locks selected rows (SQLite locks the whole database at ``BEGIN IMMEDIATE``)."""
        return "" if self.sqlite else " FOR UPDATE"


def to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def to_date(value: Any) -> dt.date | None:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def to_decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal("0.00")
    return Decimal(str(value)).quantize(Decimal("0.01"))


def marks(count: int) -> str:
    """The placeholders of an ``IN (...)`` list of ``count`` values: ``?, ?, ?``."""
    return ", ".join("?" * count)


PER_STATEMENT = 100  # bounded subqueries per UNION ALL (SQLite allows 500 compound terms)


def first_rows_per_project(sql: Sql, query: str, order: str, ids: Sequence[int], params: Sequence[Any],
                           limit: int) -> list[tuple]:
    """Up to ``limit`` rows of ``query`` for each of ``ids``, ordered by project id then ``order``, in one statement
    per hundred projects: ``query`` selects ``project_id`` and the ``order`` columns, has ``project_id = ?`` as its
    first parameter followed by ``params``, and ends before ORDER BY. Each project's part reads only its own
    first rows through the index, however long its history."""
    rows: list[tuple] = []
    for start in range(0, len(ids), PER_STATEMENT):
        chunk = ids[start:start + PER_STATEMENT]
        parts = " UNION ALL ".join(f"SELECT * FROM ({query} ORDER BY {order} LIMIT ?) AS p{i}"
                                   for i in range(len(chunk)))
        values = [value for project_id in chunk for value in (project_id, *params, limit)]
        rows.extend(sql.all(f"SELECT * FROM ({parts}) AS u ORDER BY project_id, {order}", values))
    return rows


def by_project(rows: Iterable[Sequence[Any]], make: Callable[[Sequence[Any]], T], column: int = 0
               ) -> dict[int, list[T]]:
    """Rows as lists per project id (taken from ``column``), each list in the order the query gave."""
    result: dict[int, list[T]] = {}
    for row in rows:
        result.setdefault(row[column], []).append(make(row))
    return result
