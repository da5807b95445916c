"""The satisfaction plugin's tables: answers 满意度测评, deputies' vote sessions 人大代表票决测评, grades 评定等次,
and the per-database salt for hashing residents' device tokens.

A resident's answer stores nothing personal: no name, no address, no actor; the device token the app sends is
kept only as an HMAC (salted per database, optionally peppered, keyed per project) so "once per project per
device" can be enforced without being able to recognise the device.
"""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from pony import orm

from engine.clock import clock
from engine.storage.migrations import DIALECT_TYPES, Migration
from engine.storage.sql import Sql, to_datetime
from engine.storage.tally import tally_migration
from plugins.satisfaction.chained import chain_existing
from plugins.satisfaction.maintained import TALLY, create_projects_table


def declare(db: orm.Database) -> None:
    class SatisfactionRating(db.Entity):
        """One valid answer: a five-level score (100/80/60/40/20) or a three-way verdict."""

        _table_ = "satisfaction_rating"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        rater_kind = orm.Required(str)  # resident | supervisor | deputy
        score = orm.Optional(int, nullable=True)  # five-level answers only
        verdict = orm.Required(str)  # satisfied | basically_satisfied | dissatisfied (mapped from score)
        device_hash = orm.Optional(str, nullable=True)  # residents only: HMAC of the device token
        actor_id = orm.Optional(int, nullable=True)  # supervisors and deputies only; never for residents
        rated_at = orm.Required(dt.datetime)
        round_id = orm.Optional(int, nullable=True)  # the survey round 调查轮次 answered in

    class SatisfactionRatingCorrection(db.Entity):
        """A correction 冲正 of a mistaken rating: names it, the reason, who and when; the rating no longer counts."""

        _table_ = "satisfaction_rating_correction"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        rating_id = orm.Required(int, unique=True)
        reason = orm.Required(str)
        actor_id = orm.Optional(int, nullable=True)
        actor_name = orm.Required(str)
        at = orm.Required(dt.datetime)

    class SatisfactionVote(db.Entity):
        """A deputies' vote session on a project's results, recorded by the standing committee."""

        _table_ = "satisfaction_vote"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        body = orm.Required(str)  # 测评机构, e.g. 县人大常委会
        voted_on = orm.Required(dt.date)
        expected = orm.Required(int)  # members of the body 应到
        present = orm.Required(int)  # 实到
        satisfied = orm.Required(int)
        basically_satisfied = orm.Required(int)
        dissatisfied = orm.Required(int)
        verdict = orm.Required(str)
        actor_id = orm.Required(int)  # who recorded it
        recorded_at = orm.Required(dt.datetime)
        round_id = orm.Optional(int, nullable=True)  # the survey round it counts toward

    class SatisfactionGrade(db.Entity):
        """A grade 评定等次 given by the ``satisfaction.grade`` action, with the figures it was based on."""

        _table_ = "satisfaction_grade"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        grade = orm.Required(str)  # top 优良 | middle 良好 | bottom 一般
        rate = orm.Required(Decimal, precision=16, scale=2)  # percent
        responses = orm.Required(int)
        favourable = orm.Required(int)
        band_top = orm.Required(Decimal, precision=16, scale=2)
        band_middle = orm.Required(Decimal, precision=16, scale=2)
        reward = orm.Optional(int, size=64, nullable=True)  # fen, when a reward 奖补 was granted
        rectification_days = orm.Optional(int, nullable=True)  # when a rectification 整改 was opened
        graded_at = orm.Required(dt.datetime)
        weight_resident = orm.Optional(int, nullable=True)  # the weights used; all NULL: every answer alike
        weight_supervisor = orm.Optional(int, nullable=True)
        weight_deputy = orm.Optional(int, nullable=True)
        round_id = orm.Optional(int, nullable=True)  # the survey round graded

    class SatisfactionRound(db.Entity):
        """A survey round 调查轮次: answers are taken between its opening and closing dates, once per device (and
        per signed-in rater) in the round; each round has its own grade."""

        _table_ = "satisfaction_round"
        id = orm.PrimaryKey(int, auto=True)
        project_id = orm.Required(int, index=True)
        number = orm.Required(int)  # 1, 2, … per project
        opens_on = orm.Required(dt.date)
        closes_on = orm.Required(dt.date)  # the last day answers are taken
        closed_at = orm.Optional(dt.datetime, nullable=True)  # closed early (by an office or by the review)
        origin = orm.Required(str)  # state | office | rectification | migrated
        opened_by = orm.Optional(int, nullable=True)  # the office's actor; NULL when opened automatically
        created_at = orm.Required(dt.datetime)

    class SatisfactionKey(db.Entity):
        """The database's secret salt for device-token hashes (one row, made by migration 2)."""

        _table_ = "satisfaction_key"
        id = orm.PrimaryKey(int, auto=True)
        salt = orm.Required(str)
        created_at = orm.Required(dt.datetime)


def _make_salt(db: orm.Database, provider: str) -> None:
    """Store a fresh random salt; it never leaves the database."""
    Sql(db).execute("INSERT INTO satisfaction_key (salt, created_at) VALUES (?, ?)",
                    (secrets.token_hex(32), clock.now()))


def _first_rounds(db: orm.Database, provider: str) -> None:
    """Survey rounds (migration 4): the table, a ``round_id`` on answers, vote sessions and grades, "once per
    device / rater" made per round, and every project's existing records moved into its round 1, nothing lost.

    A migrated round opens on the day of the project's first record; when the project was graded it closes on
    the day of its latest grade, else it stays open for ``DEFAULT_ROUND_DAYS`` from today."""
    from plugins.satisfaction.config import DEFAULT_ROUND_DAYS

    types = DIALECT_TYPES[provider]
    sql = Sql(db)
    for statement in (
            f"CREATE TABLE satisfaction_round (id {types['pk']}, project_id INTEGER NOT NULL REFERENCES project (id),"
            " number INTEGER NOT NULL, opens_on DATE NOT NULL, closes_on DATE NOT NULL,"
            f" closed_at {types['ts']}, origin TEXT NOT NULL, opened_by INTEGER, created_at {types['ts']} NOT NULL)",
            "CREATE UNIQUE INDEX uq_satisfaction_round_number ON satisfaction_round (project_id, number)",
            "ALTER TABLE satisfaction_rating ADD COLUMN round_id INTEGER REFERENCES satisfaction_round (id)",
            "ALTER TABLE satisfaction_vote ADD COLUMN round_id INTEGER REFERENCES satisfaction_round (id)",
            "ALTER TABLE satisfaction_grade ADD COLUMN round_id INTEGER REFERENCES satisfaction_round (id)"):
        sql.execute(statement)
    now = clock.now()
    first: dict[int, dt.date] = {}
    last: dict[int, dt.date] = {}
    graded: dict[int, dt.datetime] = {}
    for table, column in (("satisfaction_rating", "rated_at"), ("satisfaction_vote", "voted_on"),
                          ("satisfaction_grade", "graded_at")):
        for project_id, earliest, latest in sql.all(f"SELECT project_id, MIN({column}), MAX({column}) FROM {table}"
                                                    " GROUP BY project_id"):
            start, end = _day(earliest), _day(latest)
            first[project_id] = min(first.get(project_id, start), start)
            last[project_id] = max(last.get(project_id, end), end)
            if table == "satisfaction_grade":
                graded[project_id] = to_datetime(latest)
    for project_id in sorted(first):
        if project_id in graded:
            closes_on, closed_at = max(last[project_id], graded[project_id].date()), graded[project_id]
        else:
            closes_on, closed_at = max(last[project_id], now.date()) + dt.timedelta(days=DEFAULT_ROUND_DAYS), None
        round_id = sql.insert("INSERT INTO satisfaction_round (project_id, number, opens_on, closes_on, closed_at,"
                              " origin, opened_by, created_at) VALUES (?, 1, ?, ?, ?, 'migrated', NULL, ?)",
                              (project_id, first[project_id], closes_on, closed_at, now))
        for table in ("satisfaction_rating", "satisfaction_vote", "satisfaction_grade"):
            sql.execute(f"UPDATE {table} SET round_id = ? WHERE project_id = ?", (round_id, project_id))
    for statement in ("DROP INDEX uq_satisfaction_rating_device", "DROP INDEX uq_satisfaction_rating_actor",
                      "CREATE UNIQUE INDEX uq_satisfaction_rating_device ON satisfaction_rating"
                      " (round_id, device_hash)",
                      "CREATE UNIQUE INDEX uq_satisfaction_rating_actor ON satisfaction_rating (round_id, actor_id)",
                      "CREATE INDEX idx_satisfaction_rating_round ON satisfaction_rating (round_id)",
                      "CREATE INDEX idx_satisfaction_vote_round ON satisfaction_vote (round_id)",
                      "CREATE INDEX idx_satisfaction_round_project ON satisfaction_round (project_id)"):
        sql.execute(statement)


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value)
    return dt.date.fromisoformat(text[:10])


MIGRATIONS = [
    Migration("satisfaction", 1, "satisfaction answers, deputies' vote sessions, grades, device-hash salt", """
CREATE TABLE satisfaction_rating (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id),
    rater_kind TEXT NOT NULL, score INTEGER, verdict TEXT NOT NULL, device_hash TEXT, actor_id INTEGER,
    rated_at {ts} NOT NULL);
CREATE INDEX idx_satisfaction_rating_project ON satisfaction_rating (project_id);
CREATE UNIQUE INDEX uq_satisfaction_rating_device ON satisfaction_rating (project_id, device_hash);
CREATE UNIQUE INDEX uq_satisfaction_rating_actor ON satisfaction_rating (project_id, actor_id);
CREATE TABLE satisfaction_vote (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id),
    body TEXT NOT NULL, voted_on DATE NOT NULL, expected INTEGER NOT NULL, present INTEGER NOT NULL,
    satisfied INTEGER NOT NULL, basically_satisfied INTEGER NOT NULL, dissatisfied INTEGER NOT NULL,
    verdict TEXT NOT NULL, actor_id INTEGER NOT NULL, recorded_at {ts} NOT NULL);
CREATE INDEX idx_satisfaction_vote_project ON satisfaction_vote (project_id);
CREATE TABLE satisfaction_grade (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id),
    grade TEXT NOT NULL, rate {money} NOT NULL, responses INTEGER NOT NULL, favourable INTEGER NOT NULL,
    band_top {money} NOT NULL, band_middle {money} NOT NULL, reward {bigint}, rectification_days INTEGER,
    graded_at {ts} NOT NULL);
CREATE INDEX idx_satisfaction_grade_project ON satisfaction_grade (project_id);
CREATE TABLE satisfaction_key (id {pk}, salt TEXT NOT NULL, created_at {ts} NOT NULL)
"""),
    Migration("satisfaction", 2, "a random salt for residents' device-token hashes", _make_salt),
    Migration("satisfaction", 3, "the rater-kind weights a grade was given with", """
ALTER TABLE satisfaction_grade ADD COLUMN weight_resident INTEGER;
ALTER TABLE satisfaction_grade ADD COLUMN weight_supervisor INTEGER;
ALTER TABLE satisfaction_grade ADD COLUMN weight_deputy INTEGER
"""),
    Migration("satisfaction", 4, "survey rounds: answers once per device per round, existing records in round 1",
              _first_rounds),
    Migration("satisfaction", 5, "corrections 冲正 of mistaken ratings (the rating then no longer counts)", """
CREATE TABLE satisfaction_rating_correction (id {pk}, project_id INTEGER NOT NULL REFERENCES project (id),
    rating_id INTEGER NOT NULL UNIQUE REFERENCES satisfaction_rating (id), reason TEXT NOT NULL, actor_id INTEGER,
    actor_name TEXT NOT NULL, at {ts} NOT NULL);
CREATE INDEX idx_satisfaction_rating_correction_project ON satisfaction_rating_correction (project_id)
"""),
    Migration("satisfaction", 6, "ratings given before join their projects' hash chains, in order", chain_existing),
    Migration("satisfaction", 7, "each project's answers in force and latest grade, kept by the database",
              create_projects_table),
    tally_migration("satisfaction", 8, "maintained satisfaction figures per region, year and latest grade", TALLY),
]
