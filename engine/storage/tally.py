"""Maintained aggregates 汇总表: figures per region (and every region above it) and year, kept up to date by the
database itself inside the transaction of every write that changes them, so a province's roll-up reads a handful
of rows instead of every project.

A ``Tally`` is a table of counts and sums keyed by ``(region_path, own, year, <keys>)``:

- ``region_path``: a region; the row holds the figures of every project of its whole subtree (``own = 0``), or of
  the region's own projects only (``own = 1``: 本级, for the breakdown by child region);
- ``year``: the project's year (``project.year``);
- ``keys``: what the tally breaks its figures down by (the core's: workflow, state, previous state; the funding
  plugin's: figure and source); with ``units=True`` also ``unit_id``: ``-1`` for all units together, ``0`` for
  projects without a lead unit, else the lead unit's id (subtree rows only);
- ``n``: how many source rows count there, and each of ``sums``.

Its ``Feed``s say which rows count: rows of ``project`` itself, or of a plugin's table holding a ``project_id``,
with an optional condition. For every feed, triggers (row triggers on SQLite; statement triggers with transition
tables on PostgreSQL) add the delta of each INSERT, UPDATE and DELETE to the rows of the region and all its
ancestors in ONE grouped upsert (``INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n``), sorted by key so two
concurrent writers lock rows in the same order, and never read-modify-write. A project whose region or year
changes moves its feed rows along (a trigger on ``project``). Every write path counts alike: transitions, bulk
creation, edits, a plugin's own SQL, a test's plain INSERT.

A plugin maintains its own aggregates the same way (see ``docs/aggregates.md``): declare a ``Tally``, create it in
one of its numbered migrations with ``tally_migration(component, number, tally)``, and return it from the
``minsheng_tallies`` hook so ``minsheng db rebuild-aggregates`` recomputes it. A figure that is not a sum of rows
(a project's latest grade) is kept per project first, in a ``Derived`` table the plugin's own triggers maintain and
the tally's feed reads; rebuilding recomputes it first and the check compares it too. ``region_ancestor`` (every region
path with its ancestors' paths) is the core's, kept by triggers on ``region``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from engine.storage.migrations import Migration

if TYPE_CHECKING:
    from pony import orm

    from engine.storage.sql import Sql

ALL_UNITS = -1
NO_UNIT = 0


@dataclass(frozen=True)
class Feed:
    """Rows of ``source`` counting in a tally. ``keys`` and ``sums``: SQL expressions, one per key column and sum
    column of the tally, on the source row ``r`` and its project ``p`` (for ``source="project"`` both are the
    project row: write ``p.``). ``where``: which rows count. ``columns``: every column of ``source`` the
    expressions and the condition use (SQLite row triggers copy them out of ``NEW``/``OLD``). ``row_id``: the
    source's primary key column (PostgreSQL's update triggers pair old and new rows by it)."""

    source: str
    keys: tuple[str, ...]
    sums: tuple[str, ...] = ()
    where: str = "1 = 1"
    columns: tuple[str, ...] = ()
    row_id: str = "id"

    @property
    def is_project(self) -> bool:
        return self.source == "project"


@dataclass(frozen=True)
class Derived:
    """A table a tally's feed reads that its owner keeps from other tables with triggers of its own: per-project
    facts that are not sums of rows (a project's latest grade, whether any of its answers is still in force).
    ``select`` computes all its rows from scratch as ``columns``, in order, the first being the row's key; rebuilding
    replaces the table's rows with it before recomputing the tally, and the check compares them (rows whose every
    other value is 0, NULL or '' left out on both sides, as a tally's zero rows are)."""

    table: str
    columns: tuple[str, ...]
    select: str


@dataclass(frozen=True)
class Tally:
    """An aggregate table: ``keys`` are (name, SQL type) pairs, values never NULL (use COALESCE in the feeds);
    ``sums`` are names of 64-bit integer sums; ``derived``: the tables among its feeds' sources that are themselves
    kept from other tables (rebuilt and checked first)."""

    table: str
    keys: tuple[tuple[str, str], ...]
    feeds: tuple[Feed, ...]
    sums: tuple[str, ...] = ()
    units: bool = False
    derived: tuple[Derived, ...] = ()

    @property
    def key_names(self) -> list[str]:
        return ["region_path", "own", *(["unit_id"] if self.units else []), "year", *(k for k, _ in self.keys)]

    @property
    def value_names(self) -> list[str]:
        return ["n", *self.sums]


PROJECT_COLUMNS = ("id", "region_path", "year", "lead_unit_id")


# --- the SQL -----------------------------------------------------------------------------------------------------

def _side(tally: Tally, feed: Feed, rows: str, project: str | None, sign: int) -> str:
    """One signed part of a delta: the feed's rows ``rows`` (a FROM item aliased ``r``, or ``p`` for a project
    feed) joined with their project ``project`` (aliased ``p``; None: the project is ``rows`` itself or the
    ``project`` table), each spread over its region's ancestors."""
    if feed.is_project:
        source, joined = rows, "1 = 1"
    else:
        source, joined = f"{rows} CROSS JOIN {project or 'project p'}", "p.id = r.project_id"
    units = ""
    unit_key: list[str] = []
    unit_filter = ""
    if tally.units:
        units = " CROSS JOIN (SELECT 1 AS every UNION ALL SELECT 0) u"
        unit_key = [f"CASE WHEN u.every = 1 THEN {ALL_UNITS} ELSE COALESCE(p.lead_unit_id, {NO_UNIT}) END"]
        unit_filter = " AND (a.own = 0 OR u.every = 1)"
    keys = ", ".join(f"{e} AS k{i}" for i, e in enumerate(["a.ancestor", "a.own", *unit_key, "p.year", *feed.keys]))
    values = ", ".join(f"{e} AS v{i}" for i, e in enumerate([f"{sign}", *(f"{sign} * ({s})" for s in feed.sums)]))
    return (f"SELECT {keys}, {values} FROM {source} CROSS JOIN region_ancestor a{units}"
            f" WHERE {joined} AND a.path = p.region_path AND ({feed.where}){unit_filter}")


def _upsert(tally: Tally, sides: Sequence[str]) -> str:
    """The grouped, sorted upsert adding the sum of ``sides`` (each selecting keys then values, in order)."""
    keys, values = tally.key_names, tally.value_names
    union = " UNION ALL ".join(sides)
    key_list = ", ".join(f"k{i}" for i in range(len(keys)))
    sums = ", ".join(f"SUM(v{i})" for i in range(len(values)))
    nonzero = " OR ".join(f"SUM(v{i}) <> 0" for i in range(len(values)))
    updates = ", ".join(f"{v} = {tally.table}.{v} + excluded.{v}" for v in values)
    return (f"INSERT INTO {tally.table} ({', '.join(keys + values)})"
            f" SELECT {key_list}, {sums} FROM ({union}) AS d WHERE 1 = 1"
            f" GROUP BY {key_list} HAVING {nonzero} ORDER BY {key_list}"
            f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")


def recompute_sql(tally: Tally) -> str:
    """Every figure of ``tally`` from scratch, as an INSERT into the (emptied) table."""
    return _upsert(tally, [_side(tally, feed, "project p" if feed.is_project else f"{feed.source} r", None, 1)
                           for feed in tally.feeds])


def create_table_sql(tally: Tally) -> str:
    keys = ["region_path TEXT NOT NULL", "own INTEGER NOT NULL", *(["unit_id INTEGER NOT NULL"] if tally.units
                                                                   else []),
            "year INTEGER NOT NULL", *(f"{name} {kind} NOT NULL" for name, kind in tally.keys)]
    values = [f"{v} {{bigint}} NOT NULL" for v in tally.value_names]
    return (f"CREATE TABLE {tally.table} ({', '.join(keys + values)}, "
            f"PRIMARY KEY ({', '.join(tally.key_names)}))")


def _row(alias: str, name: str, columns: Iterable[str]) -> str:
    """A one-row FROM item of a SQLite trigger's ``NEW`` or ``OLD`` values."""
    return f"(SELECT {', '.join(f'{alias}.{c} AS {c}' for c in dict.fromkeys(columns))}) {name}"


def sqlite_triggers(tally: Tally) -> list[str]:
    statements = []
    for i, feed in enumerate(tally.feeds):
        name = f"{tally.table}_{i}"
        own = [*PROJECT_COLUMNS, *feed.columns] if feed.is_project else ["project_id", *feed.columns]
        alias = "p" if feed.is_project else "r"

        def side(which: str, sign: int) -> str:
            return _side(tally, feed, _row(which, alias, own), None, sign)

        changed = " WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in dict.fromkeys(own))
        for action, sides, when in (("INSERT", [side("NEW", 1)], ""), ("DELETE", [side("OLD", -1)], ""),
                                    ("UPDATE", [side("OLD", -1), side("NEW", 1)], changed)):
            statements.append(f"CREATE TRIGGER {name}_{action.lower()} AFTER {action} ON {feed.source}{when}"
                              f" BEGIN {_upsert(tally, sides)}; END")
        if not feed.is_project:  # the project moves to another region or year: its rows move along
            moved = [_side(tally, feed, f"{feed.source} r", _row(which, "p", PROJECT_COLUMNS), sign)
                     for which, sign in (("OLD", -1), ("NEW", 1))]
            statements.append(f"CREATE TRIGGER {name}_moved AFTER UPDATE OF region_path, year, lead_unit_id ON"
                              f" project BEGIN {_upsert(tally, moved)}; END")
    return statements


def postgres_triggers(tally: Tally) -> list[str]:
    statements = []
    for i, feed in enumerate(tally.feeds):
        name = f"{tally.table}_{i}"
        alias = "p" if feed.is_project else "r"
        cases = [("insert", "NEW TABLE AS new_rows", [("new_rows", 1)]),
                 ("delete", "OLD TABLE AS old_rows", [("old_rows", -1)]),
                 ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows", [("old_rows", -1), ("new_rows", 1)])]
        own = list(dict.fromkeys([*PROJECT_COLUMNS, *feed.columns] if feed.is_project
                                 else ["project_id", *feed.columns]))
        # an update that changes none of the tallied columns (a project's audit head, a row's note) adds nothing:
        # skip the upsert, as SQLite's WHEN does, rather than rewrite the tally rows with a zero delta
        changed = (f"EXISTS (SELECT 1 FROM old_rows o JOIN new_rows w ON w.{feed.row_id} = o.{feed.row_id} WHERE"
                   f" ({', '.join(f'o.{c}' for c in own)}) IS DISTINCT FROM ({', '.join(f'w.{c}' for c in own)}))")
        for action, referencing, parts in cases:
            sides = [_side(tally, feed, f"{rows} {alias}", None, sign) for rows, sign in parts]
            body = _upsert(tally, sides)
            if action == "update":
                body = f"IF {changed} THEN {body}; END IF"
            statements.append(_pg_function(f"{name}_{action}", body))
            statements.append(f"CREATE TRIGGER {name}_{action} AFTER {action.upper()} ON {feed.source}"
                              f" REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}_{action}()")
        if not feed.is_project:
            sides = [_side(tally, feed, f"{feed.source} r", f"{rows} p", sign)
                     for rows, sign in (("old_rows", -1), ("new_rows", 1))]
            moved = ("IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows w ON w.id = o.id WHERE (o.region_path, o.year,"
                     " o.lead_unit_id) IS DISTINCT FROM (w.region_path, w.year, w.lead_unit_id)) THEN "
                     f"{_upsert(tally, sides)}; END IF")
            statements.append(_pg_function(f"{name}_moved", moved))
            statements.append(f"CREATE TRIGGER {name}_moved AFTER UPDATE ON project REFERENCING OLD TABLE AS"
                              f" old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {name}_moved()")
    return statements


def _pg_function(name: str, body: str) -> str:
    return (f"CREATE FUNCTION {name}() RETURNS trigger AS $tally$ BEGIN {body}; RETURN NULL; END $tally$"
            " LANGUAGE plpgsql")


def _create(tally: Tally, db: orm.Database, provider: str) -> None:
    from engine.storage.migrations import DIALECT_TYPES
    from engine.storage.sql import Sql

    sql = Sql(db)
    cursor = sql.cursor()
    cursor.execute(create_table_sql(tally).format(**DIALECT_TYPES[provider]))
    for statement in sqlite_triggers(tally) if provider == "sqlite" else postgres_triggers(tally):
        cursor.execute(statement)
    sql.execute(recompute_sql(tally))  # the figures of what is already there


def tally_migration(component: str, number: int, description: str, tally: Tally) -> Migration:
    """A migration creating ``tally``'s table and triggers and computing its figures from the rows there."""
    return Migration(component, number, description, lambda db, provider: _create(tally, db, provider))


# --- the core's own --------------------------------------------------------------------------------------------

PROJECTS = Tally(
    "project_tally", keys=(("workflow_id", "INTEGER"), ("state", "TEXT"), ("previous_state", "TEXT")),
    feeds=(Feed("project", keys=("p.workflow_id", "p.state", "COALESCE(p.previous_state, '')"),
                sums=("CAST(ROUND(p.budget * 100) AS BIGINT)",),
                columns=("workflow_id", "state", "previous_state", "budget")),), sums=("budget_fen",), units=True)
"""Projects (and their budgets, in fen) by (region subtree or own, lead unit, year, workflow version, state,
previous state): what the
dashboard's counts by state, planned / started / completed (整改 and 暂缓 count by the previous state) and their
breakdowns by child region and by lead unit are computed from."""

ANCESTORS_TABLE = """CREATE TABLE region_ancestor (path TEXT NOT NULL, ancestor TEXT NOT NULL, own INTEGER NOT NULL,
    PRIMARY KEY (path, ancestor, own))"""
# a region's ancestors are the regions whose path starts its own; ``own = 1`` marks the region itself once more
ANCESTORS_OF = ("INSERT INTO region_ancestor (path, ancestor, own) SELECT {new}.path, r.path, 0 FROM region r"
                " WHERE substr({new}.path, 1, length(r.path)) = r.path UNION ALL SELECT {new}.path, {new}.path, 1")
ALL_ANCESTORS = ("INSERT INTO region_ancestor (path, ancestor, own) SELECT d.path, r.path, 0 FROM region d"
                 " CROSS JOIN region r WHERE substr(d.path, 1, length(r.path)) = r.path"
                 " UNION ALL SELECT path, path, 1 FROM region")
SQLITE_ANCESTORS = [
    "CREATE TRIGGER region_ancestor_insert AFTER INSERT ON region BEGIN "
    + ANCESTORS_OF.format(new="NEW") + "; END",
    "CREATE TRIGGER region_ancestor_update AFTER UPDATE OF path ON region BEGIN "
    "DELETE FROM region_ancestor WHERE path = OLD.path; " + ANCESTORS_OF.format(new="NEW") + "; END",
]
POSTGRES_ANCESTORS = [
    "CREATE FUNCTION region_ancestor_keep() RETURNS trigger AS $tally$ BEGIN"
    " IF TG_OP = 'UPDATE' THEN DELETE FROM region_ancestor WHERE path = OLD.path; END IF; "
    + ANCESTORS_OF.format(new="NEW") + "; RETURN NULL; END $tally$ LANGUAGE plpgsql",
    "CREATE TRIGGER region_ancestor_keep AFTER INSERT OR UPDATE OF path ON region FOR EACH ROW"
    " EXECUTE FUNCTION region_ancestor_keep()",
]


def _create_core(db: orm.Database, provider: str) -> None:
    from engine.storage.sql import Sql

    sql = Sql(db)
    cursor = sql.cursor()
    cursor.execute(ANCESTORS_TABLE)
    for statement in SQLITE_ANCESTORS if provider == "sqlite" else POSTGRES_ANCESTORS:
        cursor.execute(statement)
    sql.execute(ALL_ANCESTORS)
    _create(PROJECTS, db, provider)


CORE_MIGRATION = Migration("core", 13, "maintained aggregates: region ancestors, projects by region, year and state",
                           _create_core)


# --- reading -----------------------------------------------------------------------------------------------------

def read(sql: Sql, tally: Tally, paths: Sequence[str], year: int | None, own: bool = False,
         by_unit: bool = False) -> list[tuple]:
    """The figures of the regions ``paths`` (their subtrees; with ``own``, their own projects only) in ``year``
    (every year when None): rows of ``(region_path, [unit_id,] <keys>, n, <sums>)`` summed over years, zeros
    left out. With ``by_unit`` (a tally with ``units``), one row per lead unit (``0``: none) instead of the
    total."""
    if not paths:
        return []
    keys = ["region_path", *(["unit_id"] if by_unit else []), *(k for k, _ in tally.keys)]
    sums = ", ".join(f"SUM({v})" for v in tally.value_names)
    nonzero = " OR ".join(f"SUM({v}) <> 0" for v in tally.value_names)
    conditions = [f"region_path IN ({', '.join('?' for _ in paths)})", "own = ?"]
    params: list[object] = [*paths, 1 if own else 0]
    if tally.units:
        conditions.append(f"unit_id <> {ALL_UNITS}" if by_unit else f"unit_id = {ALL_UNITS}")
    if year is not None:
        conditions.append("year = ?")
        params.append(year)
    return sql.all(f"SELECT {', '.join(keys)}, {sums} FROM {tally.table} WHERE {' AND '.join(conditions)}"
                   f" GROUP BY {', '.join(keys)} HAVING {nonzero}", params)


# --- rebuilding --------------------------------------------------------------------------------------------------

class LockBusy(Exception):
    """A writer holds one of the tallies: roll back and try the rebuild again."""


def rebuild(sql: Sql, tallies: Sequence[Tally]) -> None:
    """Recompute ``region_ancestor`` and every tally from scratch, in the caller's transaction (run twice, the
    same result). On PostgreSQL the tables are locked first: a concurrent write waits for the rebuild and then adds
    its delta to the rebuilt figures (those not yet committed are not in the recomputation). The locks are taken
    with NOWAIT, all or none: a writer half-way through its transaction holds one tally and may want another, so a
    rebuild that waited while holding some could deadlock with it; ``LockBusy`` then tells the caller to roll back
    and try again."""
    if not sql.sqlite:
        tables = [d.table for t in tallies for d in t.derived] + [t.table for t in tallies]
        try:
            sql.execute(f"LOCK TABLE region_ancestor, {', '.join(tables)} IN EXCLUSIVE MODE NOWAIT")
        except Exception as exc:  # the driver's "could not obtain lock", as pony raises it
            if "could not obtain lock" in str(exc) or "55P03" in str(getattr(exc, "pgcode", "")):
                raise LockBusy() from exc
            raise
    sql.execute("DELETE FROM region_ancestor")
    sql.execute(ALL_ANCESTORS)
    for tally in tallies:
        for derived in tally.derived:  # its triggers add deltas to the tally, recomputed right after anyway
            sql.execute(f"DELETE FROM {derived.table}")
            sql.execute(f"INSERT INTO {derived.table} ({', '.join(derived.columns)}) {derived.select}")
        sql.execute(f"DELETE FROM {tally.table}")
        sql.execute(recompute_sql(tally))


def stored(sql: Sql, tally: Tally) -> dict[tuple, tuple]:
    """The tally's rows with any figure other than zero: key → values."""
    keys, values = tally.key_names, tally.value_names
    nonzero = " OR ".join(f"{v} <> 0" for v in values)
    return {tuple(row[:len(keys)]): tuple(int(v) for v in row[len(keys):])
            for row in sql.all(f"SELECT {', '.join(keys + values)} FROM {tally.table} WHERE {nonzero}")}


def recomputed(sql: Sql, tally: Tally) -> dict[tuple, tuple]:
    """What the tally's rows would be if rebuilt now (nothing written)."""
    keys = tally.key_names
    query = recompute_sql(tally)
    select = query[query.index(" SELECT ") + 1:query.index(" ON CONFLICT")]
    return {tuple(row[:len(keys)]): tuple(int(v) for v in row[len(keys):]) for row in sql.all(select)}


def _derived_rows(rows: Iterable[Sequence]) -> dict[tuple, tuple]:
    return {(row[0],): tuple(row[1:]) for row in rows if any(v not in (0, None, "") for v in row[1:])}


def stored_derived(sql: Sql, derived: Derived) -> dict[tuple, tuple]:
    """A derived table's rows with any value other than 0, NULL or '': key → values."""
    return _derived_rows(sql.all(f"SELECT {', '.join(derived.columns)} FROM {derived.table}"))


def recomputed_derived(sql: Sql, derived: Derived) -> dict[tuple, tuple]:
    """What a derived table's rows would be if rebuilt now (nothing written), as ``stored_derived`` gives them."""
    return _derived_rows(sql.all(derived.select))
