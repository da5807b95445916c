"""The maintained aggregates of an engine (the core's and every plugin's ``minsheng_tallies``): rebuilding them
from scratch and checking them against a recomputation. How they are kept: ``engine.storage.tally``."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pony import orm

from engine.plugins import flatten
from engine.storage import tally
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine


def tallies(engine: Engine) -> list[tally.Tally]:
    """The core's tally and every enabled plugin's, in that order."""
    found = [t for t in flatten(engine.plugins.hook.minsheng_tallies()) if isinstance(t, tally.Tally)]
    return [tally.PROJECTS, *found]


@dataclass(frozen=True)
class Rebuilt:
    table: str
    rows: int


REBUILD_ATTEMPTS = 1000


def rebuild(engine: Engine) -> list[Rebuilt]:
    """Recompute every aggregate from the rows they count, in one transaction (writers wait; readers see the old
    figures until it commits). Running it twice gives the same figures."""
    for attempt in range(REBUILD_ATTEMPTS):
        try:
            with orm.db_session(immediate=True):
                sql = Sql(engine.db)
                found = tallies(engine)
                tally.rebuild(sql, found)
                tables = [table for t in found for table in (*(d.table for d in t.derived), t.table)]
                return [Rebuilt(table, int(sql.scalar(f"SELECT COUNT(*) FROM {table}"))) for table in tables]
        except tally.LockBusy:  # a writer is half-way: let it finish (PostgreSQL)
            time.sleep(min(0.5, 0.01 * (attempt + 1)))
    raise RuntimeError(f"the aggregates stayed busy with writes through {REBUILD_ATTEMPTS} attempts; try again")


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple
    maintained: tuple | None
    recomputed: tuple | None


def differences(engine: Engine) -> list[Difference]:
    """Every row where a maintained aggregate differs from its recomputation (none when they are in step)."""
    found = []
    with orm.db_session:
        sql = Sql(engine.db)
        for t in tallies(engine):
            compared = [(d.table, tally.stored_derived(sql, d), tally.recomputed_derived(sql, d)) for d in t.derived]
            compared.append((t.table, tally.stored(sql, t), tally.recomputed(sql, t)))
            for table, kept, fresh in compared:
                for key in sorted(set(kept) | set(fresh), key=repr):
                    if kept.get(key) != fresh.get(key):
                        found.append(Difference(table, key, kept.get(key), fresh.get(key)))
    return found
