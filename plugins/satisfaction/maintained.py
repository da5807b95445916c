"""The satisfaction figures of a region and year kept by the database (see ``docs/aggregates.md``), so a province's
dashboard reads a handful of rows instead of every project's answers and grades.

Two of the figures are facts about a project, not sums of rows: whether any of its answers is still in force (参评
项目 counts projects, not answers) and its latest grade (评定等次 by the newest grade only). So they are kept in two
steps:

1. ``satisfaction_project``, one row per project that has answers or grades: its answers IN FORCE (a correction 冲正
   takes a rating out, ``chained.IN_FORCE``) counted by verdict with the score totals, and its latest grade (by
   ``graded_at`` then id, as the computed figures order them). Kept by triggers of this module on
   ``satisfaction_rating``, ``satisfaction_rating_correction`` and ``satisfaction_grade`` — row triggers on SQLite,
   statement triggers with transition tables on PostgreSQL — so every write path counts: a rating, its correction,
   a grade, a bulk import, a data fix in plain SQL (an update or a delete included). Answers are added as signed
   deltas (``INSERT … ON CONFLICT DO UPDATE SET answers = answers + excluded.answers``: two writers both count); a new
   grade replaces the kept one only when it is later (a maximum, so concurrent grades settle on the latest
   whatever order they commit in); an updated or deleted grade — nothing in the engine does either — makes the
   project's latest grade be looked up again.
2. ``satisfaction_tally`` (``TALLY``), an ordinary tally fed by that table: per region, year and latest grade
   (``''`` for none) the projects, those with answers in force, and the answers' verdict counts and score totals.
   The generic tally triggers carry a project's row from one grade to the other, or to another region or year.

``minsheng db rebuild-aggregates`` recomputes both (``PROJECTS`` is the tally's ``Derived`` table) and ``--check``
compares both. A correction always names a rating of its own project (``engine.chain.reverse`` refuses others); the
answers it takes out are counted in the rating's project all the same.
"""
from __future__ import annotations

from typing import Any

from engine.storage.migrations import DIALECT_TYPES
from engine.storage.tally import Derived, Feed, Tally
from plugins.satisfaction.chained import CORRECTION_TABLE, IN_FORCE, RATING_TABLE
from plugins.satisfaction.scoring import BASICALLY_SATISFIED, DISSATISFIED, SATISFIED

TABLE = "satisfaction_project"
GRADE_TABLE = "satisfaction_grade"

# What one rating ``r`` adds to its project's row while in force.
ANSWER_COLUMNS = ("answers", "satisfied", "basically_satisfied", "dissatisfied", "score_sum", "scored")
ANSWER_VALUES = ("1", f"CASE WHEN r.verdict = '{SATISFIED}' THEN 1 ELSE 0 END",
                 f"CASE WHEN r.verdict = '{BASICALLY_SATISFIED}' THEN 1 ELSE 0 END",
                 f"CASE WHEN r.verdict = '{DISSATISFIED}' THEN 1 ELSE 0 END", "COALESCE(r.score, 0)",
                 "CASE WHEN r.score IS NULL THEN 0 ELSE 1 END")
GRADE_COLUMNS = ("grade", "graded_at", "grade_id")
COLUMNS = ("project_id", *ANSWER_COLUMNS, *GRADE_COLUMNS)

CREATE_TABLE = (f"CREATE TABLE {TABLE} (id {{pk}}, project_id INTEGER NOT NULL UNIQUE REFERENCES project (id),"
                + "".join(f" {c} {{bigint}} NOT NULL DEFAULT 0," for c in ANSWER_COLUMNS)
                + " grade TEXT NOT NULL DEFAULT '', graded_at {ts}, grade_id INTEGER)")

# a project's latest grade ``l``, for its row ``d``: newest ``graded_at`` first, then the highest id
LATEST = (f"LEFT JOIN {GRADE_TABLE} l ON l.id = (SELECT m.id FROM {GRADE_TABLE} m WHERE m.project_id = d.project_id"
          " ORDER BY m.graded_at DESC, m.id DESC LIMIT 1)")

RECOMPUTE = (f"SELECT d.project_id, {', '.join(f'COALESCE(a.{c}, 0)' for c in ANSWER_COLUMNS)},"
             " COALESCE(l.grade, ''), l.graded_at, l.id"
             f" FROM (SELECT project_id FROM {RATING_TABLE} UNION SELECT project_id FROM {GRADE_TABLE}) d"
             f" LEFT JOIN (SELECT r.project_id AS project_id, "
             + ", ".join(f"SUM({v}) AS {c}" for c, v in zip(ANSWER_COLUMNS, ANSWER_VALUES))
             + f" FROM {RATING_TABLE} r WHERE {IN_FORCE} GROUP BY r.project_id) a ON a.project_id = d.project_id"
             f" {LATEST} WHERE 1 = 1 ORDER BY d.project_id")

PROJECTS = Derived(TABLE, COLUMNS, RECOMPUTE)
"""Each project's answers in force and latest grade, from scratch."""

TALLY = Tally("satisfaction_tally", keys=(("grade", "TEXT"),),
              sums=("rated", "satisfied", "basically_satisfied", "dissatisfied", "score_sum", "scored"),
              feeds=(Feed(TABLE, keys=("r.grade",),
                          sums=("CASE WHEN r.answers > 0 THEN 1 ELSE 0 END", "r.satisfied", "r.basically_satisfied",
                                "r.dissatisfied", "r.score_sum", "r.scored"),
                          where="r.answers <> 0 OR r.grade <> ''", columns=(*ANSWER_COLUMNS, "grade")),),
              derived=(PROJECTS,))
"""Per region, year and latest grade (``''``: not graded): ``n`` projects with answers in force or a grade,
``rated`` those with answers in force, and their answers by verdict with the score totals (five-level answers)."""


# --- keeping satisfaction_project ----------------------------------------------------------------------------------

def _answers(parts: list[tuple[str, str, int]]) -> str:
    """Add to each project's row the answers of ``parts``: (FROM items giving ratings ``r``, condition, sign)."""
    sides = " UNION ALL ".join(
        f"SELECT r.project_id AS project_id, "
        + ", ".join(f"{sign} * ({v}) AS {c}" for c, v in zip(ANSWER_COLUMNS, ANSWER_VALUES))
        + f" FROM {source} WHERE {condition}" for source, condition, sign in parts)
    listed = ", ".join(ANSWER_COLUMNS)
    return (f"INSERT INTO {TABLE} (project_id, {listed}) SELECT project_id, "
            + ", ".join(f"SUM({c})" for c in ANSWER_COLUMNS) + f" FROM ({sides}) AS d WHERE 1 = 1"
            " GROUP BY project_id HAVING " + " OR ".join(f"SUM({c}) <> 0" for c in ANSWER_COLUMNS)
            + f" ORDER BY project_id ON CONFLICT (project_id) DO UPDATE SET "
            + ", ".join(f"{c} = {TABLE}.{c} + excluded.{c}" for c in ANSWER_COLUMNS))


def _rated(corrections: str) -> str:
    """FROM items: corrections ``c`` (``corrections``) and the ratings ``r`` they name (see the condition)."""
    return f"{corrections} c CROSS JOIN {RATING_TABLE} r"


NAMED = "r.id = c.rating_id"
# a rating a new correction names leaves force unless another correction already took it out
NO_OTHER = f"NOT EXISTS (SELECT 1 FROM {CORRECTION_TABLE} o WHERE o.rating_id = r.id AND o.id <> c.id)"


def _new_grades(rows: str, several: bool) -> str:
    """Keep each project's latest among the new grades ``rows`` when it is later than the one kept (``several``:
    ``rows`` may hold more than one grade of a project)."""
    latest = (f" AND NOT EXISTS (SELECT 1 FROM {rows} h WHERE h.project_id = g.project_id AND (h.graded_at >"
              " g.graded_at OR (h.graded_at = g.graded_at AND h.id > g.id)))") if several else ""
    later = (f"{TABLE}.grade_id IS NULL OR excluded.graded_at > {TABLE}.graded_at OR (excluded.graded_at ="
             f" {TABLE}.graded_at AND excluded.grade_id > {TABLE}.grade_id)")
    return (f"INSERT INTO {TABLE} (project_id, grade, graded_at, grade_id) SELECT g.project_id, g.grade, g.graded_at,"
            f" g.id FROM {rows} g WHERE 1 = 1{latest} ORDER BY g.project_id ON CONFLICT (project_id) DO UPDATE SET "
            + ", ".join(f"{c} = CASE WHEN {later} THEN excluded.{c} ELSE {TABLE}.{c} END" for c in GRADE_COLUMNS))


def _grades_again(projects: str) -> str:
    """Look up the latest grade of the projects ``projects`` (a FROM item ``d`` of project ids) again."""
    return (f"INSERT INTO {TABLE} (project_id, grade, graded_at, grade_id) SELECT d.project_id, COALESCE(l.grade, ''),"
            f" l.graded_at, l.id FROM {projects} d {LATEST} WHERE 1 = 1 ORDER BY d.project_id"
            f" ON CONFLICT (project_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in GRADE_COLUMNS))


def _row(which: str, columns: tuple[str, ...]) -> str:
    """A one-row FROM item of a SQLite trigger's ``NEW`` or ``OLD`` values (alias it)."""
    return f"(SELECT {', '.join(f'{which}.{c} AS {c}' for c in columns)})"


RATING_ROW = ("id", "project_id", "verdict", "score")
CORRECTION_ROW = ("id", "rating_id")
GRADE_ROW = ("id", "project_id", "grade", "graded_at")


def sqlite_triggers() -> list[str]:
    def rating(which: str) -> str:
        return f"{_row(which, RATING_ROW)} r"

    def correction(which: str) -> str:
        return _rated(_row(which, CORRECTION_ROW))

    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in RATING_ROW)
    cases = [
        (RATING_TABLE, "insert", "", _answers([(rating("NEW"), IN_FORCE, 1)])),
        (RATING_TABLE, "delete", "", _answers([(rating("OLD"), IN_FORCE, -1)])),
        (RATING_TABLE, "update", f" WHEN {changed}",
         _answers([(rating("OLD"), IN_FORCE, -1), (rating("NEW"), IN_FORCE, 1)])),
        (CORRECTION_TABLE, "insert", "", _answers([(correction("NEW"), f"{NAMED} AND {NO_OTHER}", -1)])),
        (CORRECTION_TABLE, "delete", "", _answers([(correction("OLD"), f"{NAMED} AND {IN_FORCE}", 1)])),
        (CORRECTION_TABLE, "update", " WHEN OLD.rating_id IS NOT NEW.rating_id",
         _answers([(correction("OLD"), f"{NAMED} AND {IN_FORCE}", 1),
                   (correction("NEW"), f"{NAMED} AND {NO_OTHER}", -1)])),
        (GRADE_TABLE, "insert", "", _new_grades(f"{_row('NEW', GRADE_ROW)}", several=False)),
        (GRADE_TABLE, "delete", "", _grades_again("(SELECT OLD.project_id AS project_id)")),
        (GRADE_TABLE, "update", " WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in GRADE_ROW),
         _grades_again("(SELECT OLD.project_id AS project_id UNION SELECT NEW.project_id)")),
    ]
    return [f"CREATE TRIGGER {TABLE}_{table}_{action} AFTER {action.upper()} ON {table}{when} BEGIN {body}; END"
            for table, action, when, body in cases]


def postgres_triggers() -> list[str]:
    # only the corrections whose rating changed (``b``: the same correction on the other side of the update)
    moved = "EXISTS (SELECT 1 FROM {other} b WHERE b.id = c.id AND b.rating_id IS DISTINCT FROM c.rating_id)"
    cases = [
        (RATING_TABLE, "insert", _answers([("new_rows r", IN_FORCE, 1)])),
        (RATING_TABLE, "delete", _answers([("old_rows r", IN_FORCE, -1)])),
        (RATING_TABLE, "update", _answers([("old_rows r", IN_FORCE, -1), ("new_rows r", IN_FORCE, 1)])),
        (CORRECTION_TABLE, "insert", _answers([(_rated("new_rows"), f"{NAMED} AND {NO_OTHER}", -1)])),
        (CORRECTION_TABLE, "delete", _answers([(_rated("old_rows"), f"{NAMED} AND {IN_FORCE}", 1)])),
        (CORRECTION_TABLE, "update", _answers([
            (_rated("old_rows"), f"{NAMED} AND {IN_FORCE} AND {moved.format(other='new_rows')}", 1),
            (_rated("new_rows"), f"{NAMED} AND {NO_OTHER} AND {moved.format(other='old_rows')}", -1)])),
        (GRADE_TABLE, "insert", _new_grades("new_rows", several=True)),
        (GRADE_TABLE, "delete", _grades_again("(SELECT DISTINCT project_id FROM old_rows)")),
        (GRADE_TABLE, "update", _grades_again("(SELECT project_id FROM old_rows UNION SELECT project_id FROM"
                                              " new_rows)")),
    ]
    referencing = {"insert": "NEW TABLE AS new_rows", "delete": "OLD TABLE AS old_rows",
                   "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
    statements = []
    for table, action, body in cases:
        name = f"{TABLE}_{table}_{action}"
        statements.append(f"CREATE FUNCTION {name}() RETURNS trigger AS $kept$ BEGIN {body}; RETURN NULL; END $kept$"
                          " LANGUAGE plpgsql")
        statements.append(f"CREATE TRIGGER {name} AFTER {action.upper()} ON {table} REFERENCING"
                          f" {referencing[action]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
    return statements


def create_projects_table(db: Any, provider: str) -> None:
    """Migration: ``satisfaction_project``, its triggers, and the rows of the answers and grades already there."""
    from engine.storage.sql import Sql

    sql = Sql(db)
    cursor = sql.cursor()
    cursor.execute(CREATE_TABLE.format(**DIALECT_TYPES[provider]))
    for statement in sqlite_triggers() if provider == "sqlite" else postgres_triggers():
        cursor.execute(statement)
    sql.execute(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) {RECOMPUTE}")
