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


def test_renaming_moving_disabling_and_a_region_s_workflow_from_the_command_line(db_url, capsys):
    for argv in (["region", "add", "county", "平安县", "--level", "county"],
                 ["region", "add", "town_a", "东城镇", "--level", "town", "--parent", "county"],
                 ["region", "unit", "edu", "县教育局", "--region", "county"],
                 ["actor", "add", "li", "--name", "李科员", "--roles", "unit", "--region", "county", "--unit", "edu"]):
        assert main([*argv, "--db", db_url]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["region", "rename", "town_a", "东城街道", "--db", db_url]) == 0
    assert main(["unit", "move", "edu", "--region", "town_a", "--db", db_url]) == 0
    assert main(["region", "workflow", "town_a", "minsheng", "--db", db_url]) == 0
    assert main(["actor", "disable", "li", "--db", db_url]) == 0
    assert main(["unit", "move", "edu", "--region", "nowhere", "--db", db_url]) == 2
    assert main(["region", "workflow", "town_a", "nope", "--db", db_url]) == 2
    out, err = capsys.readouterr()
    assert out.splitlines() == ["region town_a renamed 东城街道", "unit edu moved to region town_a",
                                "region town_a: new projects get workflow minsheng", "actor li disabled"]
    assert err.splitlines()[0] == "error: region 'nowhere' does not exist"
    assert err.splitlines()[1].startswith("error: workflow: no workflow named 'nope'; known: minsheng")
    from engine.core import Engine

    engine = Engine.open(db_url)
    try:
        with orm.db_session:
            sql = Sql(engine.db)
            assert actors.by_token(sql, token) is None  # disabled: the token no longer works
            assert sql.one("SELECT r.name, r.workflow FROM region r WHERE r.code = 'town_a'") == ("东城街道", "minsheng")
            assert sql.scalar("SELECT r.code FROM unit u JOIN region r ON r.id = u.region_id") == "town_a"
            assert [row[0] for row in sql.all("SELECT action FROM admin_record ORDER BY id")] == [
                "create_region", "create_region", "create_unit", "create_actor", "rename_region", "move_unit",
                "set_region_workflow", "disable_actor"]
    finally:
        engine.close()
