"""Survey rounds' migration: answers, vote sessions and grades given before rounds existed move into a first round
per project, nothing lost, and "once per device" becomes "once per device per round"."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Iterator

import pytest
from pony import orm

from engine.core import Engine
from engine.storage import migrations
from engine.storage.db import new_database
from engine.storage.sql import Sql, to_date
from plugins.satisfaction.entities import _first_rounds
from plugins.satisfaction.summary import round_summaries
from tests.conftest import SIMPLE_WORKFLOW, database_url
from tests.test_core_storage import ROWS


@pytest.fixture
def old_url(tmp_path: Path) -> Iterator[str]:
    yield from database_url(tmp_path, "old.db")


RATINGS = [  # project, kind, verdict, device hash, actor, rated at
    (1, "resident", "satisfied", "a" * 64, None, "2024-02-01 10:00:00"),
    (1, "resident", "dissatisfied", "b" * 64, None, "2024-02-03 10:00:00"),
    (1, "supervisor", "basically_satisfied", None, 7, "2024-02-04 10:00:00"),
    (2, "resident", "satisfied", "a" * 64, None, "2024-02-05 10:00:00"),
]


def test_existing_records_move_into_round_1_and_nothing_is_lost(engine: Engine, old_url: str) -> None:
    every = engine.all_migrations()
    rounds = next(m for m in every if m.sql is _first_rounds)
    before = [m for m in every if not (m.component == rounds.component and m.number >= rounds.number)]
    db, target = new_database(old_url)
    migrations.upgrade(db, target, before)
    source = SIMPLE_WORKFLOW.read_text(encoding="utf-8")
    with orm.db_session:
        sql = Sql(db)
        sql.execute("INSERT INTO workflow_version (name, version, checksum, source, loaded_at) VALUES (?, ?, ?, ?, ?)",
                    ("simple", 1, hashlib.sha256(source.encode()).hexdigest(), source, "2024-01-01 00:00:00"))
        for statement in ROWS:
            sql.execute(statement)
        sql.execute(ROWS[-1].replace("2024-00001", "2024-00002"))
        for row in RATINGS:
            sql.execute("INSERT INTO satisfaction_rating (project_id, rater_kind, verdict, device_hash, actor_id,"
                        " rated_at) VALUES (?, ?, ?, ?, ?, ?)", row)
        sql.execute("INSERT INTO satisfaction_vote (project_id, body, voted_on, expected, present, satisfied,"
                    " basically_satisfied, dissatisfied, verdict, actor_id, recorded_at) VALUES"
                    " (1, '人大常委会', '2024-02-10', 35, 29, 20, 5, 4, 'satisfied', 3, '2024-02-10 16:00:00')")
        sql.execute("INSERT INTO satisfaction_grade (project_id, grade, rate, responses, favourable, band_top,"
                    " band_middle, graded_at) VALUES (1, 'bottom', 66.67, 3, 2, 90, 75, '2024-02-20 09:00:00')")

    applied = migrations.upgrade(db, target, every)
    assert rounds in applied
    with orm.db_session:
        sql = Sql(db)
        made = sql.all("SELECT id, project_id, number, opens_on, closes_on, closed_at, origin FROM satisfaction_round"
                       " ORDER BY project_id")
        assert [(r[1], r[2], str(to_date(r[3])), r[6]) for r in made] == [
            (1, 1, "2024-02-01", "migrated"), (2, 1, "2024-02-05", "migrated")]
        assert str(to_date(made[0][4])) == "2024-02-20" and made[0][5] is not None  # graded: closed on its grade
        assert to_date(made[1][4]) > dt.date(2024, 2, 5) and made[1][5] is None  # not graded: still open
        round_of = {r[1]: r[0] for r in made}
        ratings = sql.all("SELECT project_id, rater_kind, verdict, device_hash, actor_id, round_id FROM"
                          " satisfaction_rating ORDER BY id")
        assert [r[:5] for r in ratings] == [r[:5] for r in RATINGS]  # nothing lost
        assert [r[5] for r in ratings] == [round_of[r[0]] for r in ratings]
        assert sql.all("SELECT round_id FROM satisfaction_vote") == [(round_of[1],)]
        assert sql.all("SELECT round_id FROM satisfaction_grade") == [(round_of[1],)]
        summary = round_summaries(sql, [1, 2])
        assert (summary[1][0].tally.overall.responses, summary[1][0].sessions, summary[1][0].grade.grade) == (
            3, 1, "bottom")
        assert summary[2][0].tally.overall.responses == 1
    with pytest.raises(orm.IntegrityError), orm.db_session:  # still once per device in round 1
        Sql(db).execute("INSERT INTO satisfaction_rating (project_id, rater_kind, verdict, device_hash, rated_at,"
                        " round_id) VALUES (1, 'resident', 'satisfied', ?, '2024-02-21 10:00:00', ?)",
                        ("a" * 64, round_of[1]))
    with orm.db_session:  # but a later round takes the same device's answer
        sql = Sql(db)
        second = sql.insert("INSERT INTO satisfaction_round (project_id, number, opens_on, closes_on, origin,"
                            " created_at) VALUES (1, 2, '2024-03-01', '2024-03-31', 'office', '2024-03-01 09:00:00')")
        sql.execute("INSERT INTO satisfaction_rating (project_id, rater_kind, verdict, device_hash, rated_at,"
                    " round_id) VALUES (1, 'resident', 'satisfied', ?, '2024-03-02 10:00:00', ?)", ("a" * 64, second))
    db.disconnect()
