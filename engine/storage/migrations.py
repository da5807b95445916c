"""Numbered schema migrations per component (the core and each plugin), recorded in ``schema_migrations``.

Pony only creates missing tables; it cannot add a column to one that exists. So every table is created and
changed here, in order, once, and ``minsheng db upgrade`` (also run at start-up) applies whatever is missing.
SQL is written once for both databases with a few placeholders:

``{pk}`` an auto-increment integer primary key, ``{ts}`` a timestamp, ``{money}`` a decimal amount in yuan,
``{bigint}`` a 64-bit integer, ``{bool}`` a boolean, ``{blob}`` bytes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from pony import orm

from engine.clock import clock
from engine.storage.db import Target

DIALECT_TYPES = {
    "sqlite": {"pk": "INTEGER PRIMARY KEY AUTOINCREMENT", "ts": "TIMESTAMP", "money": "DECIMAL(16, 2)",
               "bigint": "INTEGER", "bool": "BOOLEAN", "blob": "BLOB"},
    "postgres": {"pk": "SERIAL PRIMARY KEY", "ts": "TIMESTAMP", "money": "DECIMAL(16, 2)",
                 "bigint": "BIGINT", "bool": "BOOLEAN", "blob": "BYTEA"},
}

MIGRATIONS_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL, number INTEGER NOT NULL, description TEXT NOT NULL, applied_at {ts} NOT NULL,
    PRIMARY KEY (component, number))"""


@dataclass(frozen=True)
class Migration:
    """One schema change. ``sql`` holds statements separated by ``;`` (placeholders as in the module doc), or a
    callable given ``(db, provider_name)`` that runs inside the migration's transaction."""

    component: str
    number: int
    description: str
    sql: str | Callable[[orm.Database, str], None]

    def statements(self, provider: str) -> list[str]:
        assert isinstance(self.sql, str)
        text = self.sql.format(**DIALECT_TYPES[provider])
        return [s.strip() for s in text.split(";") if s.strip()]


def check_sequence(migrations: Iterable[Migration]) -> None:
    """Each component's numbers must run 1, 2, 3 … without gaps or repeats."""
    by_component: dict[str, list[int]] = {}
    for m in migrations:
        by_component.setdefault(m.component, []).append(m.number)
    for component, numbers in by_component.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise ValueError(f"migrations of '{component}' must be numbered 1..n without gaps: {sorted(numbers)}")


def applied(db: orm.Database, target: Target) -> set[tuple[str, int]]:
    with orm.db_session(ddl=target.is_sqlite):
        db.execute(MIGRATIONS_TABLE.format(**DIALECT_TYPES[target.provider]))
    with orm.db_session:
        rows = db.select("SELECT component, number FROM schema_migrations")
    return {(c, n) for c, n in rows}


def upgrade(db: orm.Database, target: Target, migrations: Iterable[Migration]) -> list[Migration]:
    """Apply every migration not yet recorded, each in its own transaction; return those applied."""
    migrations = sorted(migrations, key=lambda m: (m.component != "core", m.component, m.number))
    check_sequence(migrations)
    done = applied(db, target)
    ran = []
    for migration in migrations:
        if (migration.component, migration.number) not in done and _apply(db, target, migration):
            ran.append(migration)
    return ran


def _apply(db: orm.Database, target: Target, migration: Migration) -> bool:
    with orm.db_session(ddl=target.is_sqlite, immediate=True):
        if not target.is_sqlite:  # several processes may start at once: one upgrades, the others wait
            db.execute("SELECT pg_advisory_xact_lock(7401)")
        key = (migration.component, migration.number)
        if key in {(c, n) for c, n in db.select("SELECT component, number FROM schema_migrations")}:
            return False
        if callable(migration.sql):
            migration.sql(db, target.provider)
        else:
            for statement in migration.statements(target.provider):
                db.execute(statement)
        component, number, description, now = key + (migration.description, clock.now())
        db.execute("INSERT INTO schema_migrations (component, number, description, applied_at) "
                   "VALUES ($component, $number, $description, $now)")
    return True
