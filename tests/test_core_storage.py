"""Storage: numbered migrations per component, `minsheng db upgrade`, workflow versions in the database."""
from __future__ import annotations

import hashlib

import pytest
from pony import orm

from engine.storage import migrations
from engine.cli import main
from engine.core import Engine
from engine.storage.db import new_database, parse_url
from engine.storage.entities import CORE_MIGRATIONS
from engine.errors import InvalidDefinition
from engine.storage.sql import Sql
from tests.conftest import SIMPLE_WORKFLOW

ROWS = [
    "INSERT INTO region (code, name, level, parent_id, path) VALUES ('county', '平安县', 'county', NULL, '/1/')",
    "INSERT INTO unit (code, name, region_id) VALUES ('edu', '县教育局', 1)",
    "INSERT INTO project (code, title, year, category, region_id, region_path, lead_unit_id, budget, description,"
    " workflow_id, state, previous_state, version, audit_seq, audit_head, created_at, updated_at) VALUES"
    " ('2024-00001', '城区学校运动场改造', 2024, '教育', 1, '/1/', 1, 3000000.00, '塑胶跑道', 1, 'draft', NULL, 1, 0,"
    " '0', '2024-01-01 00:00:00', '2024-01-01 00:00:00')",
]


def test_upgrade_from_migration_1_loses_nothing(db_url, capsys):
    db, target = new_database(db_url)
    migrations.upgrade(db, target, CORE_MIGRATIONS[:1])
    source = SIMPLE_WORKFLOW.read_text(encoding="utf-8")
    with orm.db_session:
        sql = Sql(db)
        sql.execute("INSERT INTO workflow_version (name, version, checksum, source, loaded_at) VALUES (?, ?, ?, ?, ?)",
                    ("simple", 1, hashlib.sha256(source.encode()).hexdigest(), source, "2024-01-01 00:00:00"))
        for statement in ROWS:
            sql.execute(statement)
    db.disconnect()
    assert main(["db", "status", "--db", db_url]) == 1
    assert "pending core 2: projects gain a target and a planned period" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "applied core 2" in out
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert "database is up to date" in capsys.readouterr().out
    engine = Engine.open(db_url, entry_points=False, upgrade=False, workflow_files=[SIMPLE_WORKFLOW])
    with orm.db_session:
        p = engine.db.Project.get(code="2024-00001")
        assert (p.title, p.budget, p.description, p.state, p.target, p.planned_end) == (
            "城区学校运动场改造", 3000000, "塑胶跑道", "draft", None, None)
        assert engine.db.Region[1].name == "平安县" and engine.db.Unit[1].code == "edu"
        applied = Sql(engine.db).all("SELECT component, number FROM schema_migrations ORDER BY component, number")
    assert ("core", 1) in applied and ("core", 2) in applied
    engine.close()


def test_start_refuses_a_database_that_needs_migrations(db_url):
    db, target = new_database(db_url)
    migrations.upgrade(db, target, CORE_MIGRATIONS[:1])
    db.disconnect()
    with pytest.raises(RuntimeError, match=r"needs \d+ migration\(s\): run 'minsheng db upgrade'"):
        Engine.open(db_url, entry_points=False, upgrade=False, workflow_files=[SIMPLE_WORKFLOW])


def test_migrations_must_be_numbered_without_gaps():
    with pytest.raises(ValueError, match=r"migrations of 'funding' must be numbered 1..n without gaps: \[1, 3\]"):
        migrations.check_sequence([migrations.Migration("funding", 1, "a", ""),
                                   migrations.Migration("funding", 3, "b", "")])


def test_changed_workflow_without_new_version_is_refused_while_projects_use_it(engine, district, db_url, tmp_path):
    district.project()
    changed = tmp_path / "simple.yaml"
    changed.write_text(SIMPLE_WORKFLOW.read_text(encoding="utf-8").replace("label: 批准", "label: 审批"),
                       encoding="utf-8")
    with pytest.raises(InvalidDefinition) as refused:
        Engine.open(db_url, entry_points=False, workflow_files=[changed])
    line = next(i for i, text in enumerate(changed.read_text(encoding="utf-8").splitlines(), 1)
                if text.startswith("version:"))
    assert str(refused.value) == (f"{changed}:{line}: workflow 'simple': content changed without a version bump "
                                  "while 1 project(s) use version 1: raise 'version' to 2 to publish the change")


def test_new_version_is_used_for_new_projects_and_old_projects_keep_theirs(engine, district, db_url, tmp_path):
    old = district.project()
    v2 = tmp_path / "simple.yaml"
    v2.write_text(SIMPLE_WORKFLOW.read_text(encoding="utf-8").replace("version: 1", "version: 2")
                  .replace("label: 批准", "label: 审批"), encoding="utf-8")
    engine2 = Engine.open(db_url, entry_points=False, workflow_files=[v2], clock=engine.clock)
    from tests.district import District

    d2 = District(engine2, district.regions, district.units, district.tokens)
    new = d2.project()
    with orm.db_session:
        rows = dict(Sql(engine2.db).all("SELECT p.id, w.version FROM project p JOIN workflow_version w"
                                        " ON w.id = p.workflow_id"))
    assert rows == {old: 1, new: 2}
    from engine.availability import available_transitions

    labels = {pid: [o.label for o in available_transitions(engine2, d2.actor("committee"), pid)]
              for pid in (old, new)}
    assert labels == {old: ["批准", "撤销"], new: ["审批", "撤销"]}
    engine2.close()


def test_unchanged_workflow_reloads_quietly(engine, db_url):
    with orm.db_session:
        before = Sql(engine.db).all("SELECT id, name, version, checksum FROM workflow_version ORDER BY id")
    again = Engine.open(db_url, entry_points=False, workflow_files=[SIMPLE_WORKFLOW])
    with orm.db_session:
        assert Sql(again.db).all("SELECT id, name, version, checksum FROM workflow_version ORDER BY id") == before
    assert len(before) == 2  # minsheng and simple, each recorded once
    again.close()


def test_database_urls():
    assert parse_url("sqlite:////tmp/x.db").options["filename"] == "/tmp/x.db"
    pg = parse_url("postgresql://me:secret@db.example:6543/minsheng")
    assert pg.provider == "postgres" and pg.options == {"host": "db.example", "port": 6543, "user": "me",
                                                         "database": "minsheng", "password": "secret"}
    with pytest.raises(ValueError, match="unsupported scheme 'mysql'"):
        parse_url("mysql://x/y")
