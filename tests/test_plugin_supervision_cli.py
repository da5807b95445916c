"""``minsheng tick [--at DATE]`` as a user runs it, and the server's background tick."""
from __future__ import annotations

import shutil
import time

import pytest
from starlette.testclient import TestClient

from engine.api.app import ApiSettings, create_app
from engine.cli.main import _parser, main
from tests.conftest import backend
from tests.test_plugin_supervision_support import WORKFLOWS, engine, started, stored  # noqa: F401


@pytest.fixture
def workflows_folder(tmp_path, monkeypatch):
    """The CLI loads the same workflow files as the tests' engine."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    for path in WORKFLOWS:
        shutil.copy(path, folder / path.name)
    monkeypatch.setenv("MINSHENG_WORKFLOWS", str(folder))
    return folder


def test_tick_at_a_date_prints_what_it_issued_and_a_second_run_issues_nothing(
        engine, district, db_url, workflows_folder, capsys):
    pid = started(engine, district, "2024-06-28")
    assert main(["tick", "--db", db_url, "--at", "2024-07-15"]) == 0
    assert "tick 2024-07-15: 1 notice(s) issued" in capsys.readouterr().out.splitlines()
    assert [row[3] for row in stored(engine, pid)] == ["escalate"]  # late: the highest step due, overdue passed over
    assert main(["tick", "--db", db_url, "--at", "2024-07-15"]) == 0
    assert "tick 2024-07-15: 0 notice(s) issued" in capsys.readouterr().out.splitlines()


def test_tick_refuses_a_bad_date_and_a_disabled_plugin(db_url, workflows_folder, capsys, monkeypatch):
    with pytest.raises(SystemExit) as exited:
        main(["tick", "--db", db_url, "--at", "2024-13-01"])
    assert exited.value.code == 2
    assert "argument --at: expected a date as YYYY-MM-DD, got '2024-13-01'" in capsys.readouterr().err
    monkeypatch.setenv("MINSHENG_DISABLE_PLUGINS", "supervision,schedule")  # the two plugins that tick
    assert main(["tick", "--db", db_url]) == 2
    assert capsys.readouterr().err == ("error: no plugin does periodic work (the supervision plugin is disabled: "
                                       "MINSHENG_DISABLE_PLUGINS): there is nothing to tick\n")


def test_serve_takes_the_tick_interval():
    args = _parser().parse_args(["serve", "--tick-interval", "600"])
    assert args.tick_interval == 600.0
    assert _parser().parse_args(["serve"]).tick_interval == 3600.0


def test_the_server_ticks_in_the_background(engine, district, clock):
    pid = started(engine, district, "2024-06-28")
    clock.set("2024-06-28T09:00:00")
    with TestClient(create_app(engine, ApiSettings(tick_seconds=0.05))) as client:
        deadline = time.monotonic() + 10
        while not stored(engine, pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.get("/healthz").json() == {"status": "ok"}  # the event loop answers meanwhile
    assert [row[3] for row in stored(engine, pid)] == ["overdue"]


@pytest.mark.skipif(backend() != "postgres", reason="the advisory lock is PostgreSQL's")
def test_tick_exits_3_while_another_tick_runs(engine, district, db_url, workflows_folder, capsys):
    import psycopg2

    from plugins.supervision.tick import ADVISORY_KEY

    started(engine, district, "2024-06-28")
    other = psycopg2.connect(db_url)
    try:
        other.cursor().execute("SELECT pg_advisory_lock(%s, hashtext(current_schema()))", (ADVISORY_KEY,))
        assert main(["tick", "--db", db_url, "--at", "2024-07-15"]) == 3
        assert "tick 2024-07-15: another tick is running; nothing done" in capsys.readouterr().out.splitlines()
        assert stored(engine) == []
    finally:
        other.close()


def test_a_step_the_calendar_cannot_date_is_skipped_and_said_the_rest_is_issued(
        engine, district, db_url, workflows_folder, capsys):
    """2026-12-28: a warning 5 working days ahead reaches 2027, which chinese-calendar does not know yet."""
    if 2027 in engine.calendar.known_years():
        pytest.skip("the calendar knows 2027 now: pick a year after its last")
    late = started(engine, district, "2026-12-28")  # overdue today; a warning would look 5 working days ahead
    assert main(["tick", "--db", db_url, "--at", "2026-12-28"]) == 0
    captured = capsys.readouterr()
    assert "tick 2026-12-28: 1 notice(s) issued" in captured.out.splitlines()
    assert [row[3] for row in stored(engine, late)] == ["overdue"]
    assert "warning: step 'warn' (supervised v1, in_progress) skipped: the working-day calendar has no data for " \
           "2027-01-" in captured.err
    assert "an administrator adds a calendar file for 2027" in captured.err
