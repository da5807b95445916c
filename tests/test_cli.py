"""The `minsheng` command line, run as a user would."""
from __future__ import annotations

from pathlib import Path

from pony import orm

from engine.directory import actors
from engine.cli import main
from engine.storage.sql import Sql

TESTS = Path(__file__).parent


def test_workflow_check_reports_every_problem_with_file_and_line(capsys):
    bad = [TESTS / "invalid_workflows" / "unknown_guard.yaml", TESTS / "invalid_workflows" / "no_way_out.yaml"]
    assert main(["workflow", "check", *map(str, bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{bad[0]}:34: transition 'approve': unknown guard 'funding.funds_in_placee'",
                   f"{bad[1]}:14: state 'paused' has no way out and is not final"]


def test_workflow_check_accepts_the_default_workflow(capsys):
    assert main(["workflow", "check", str(TESTS.parent / "workflows" / "minsheng.yaml")]) == 0
    assert capsys.readouterr().out.strip() == "1 file(s) OK"


def test_regions_units_and_actors_from_the_command_line(db_url, capsys, monkeypatch, tmp_path):
    (tmp_path / "simple.yaml").write_text((TESTS / "workflows" / "simple.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    monkeypatch.setenv("MINSHENG_WORKFLOWS", str(tmp_path))
    assert main(["region", "add", "county", "平安县", "--level", "county", "--db", db_url]) == 0
    assert main(["region", "add", "town_a", "东城镇", "--level", "town", "--parent", "county", "--db", db_url]) == 0
    assert main(["region", "add", "bad", "坏", "--level", "county", "--parent", "town_a", "--db", db_url]) == 2
    assert main(["region", "unit", "edu", "县教育局", "--region", "county", "--db", db_url]) == 0
    out, err = capsys.readouterr()
    assert "region town_a (id 2) added at /1/2/" in out and "error: level: a county cannot lie under a town" in err
    assert main(["actor", "add", "li", "--name", "李科员", "--roles", "unit", "--region", "county", "--unit", "edu",
                 "--db", db_url]) == 0
    token = capsys.readouterr().out.strip()
    assert main(["actor", "add", "x", "--name", "X", "--roles", "chef", "--region", "county", "--db", db_url]) == 2
    assert "unknown role(s) chef" in capsys.readouterr().err
    assert main(["actor", "token", "li", "--db", db_url]) == 0
    new_token = capsys.readouterr().out.strip()
    from engine.core import Engine

    engine = Engine.open(db_url, entry_points=False)
    with orm.db_session:
        sql = Sql(engine.db)
        assert actors.by_token(sql, token) is None  # replaced
        li = actors.by_token(sql, new_token)
        stored = sql.scalar("SELECT token_hash FROM actor WHERE username = 'li'")
    assert (li.username, li.roles, li.region_path) == ("li", frozenset({"unit"}), "/1/")
    assert new_token not in stored  # only the hash is kept
    engine.close()
