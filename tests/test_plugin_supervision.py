"""The supervision plugin (督办): the escalation ladder day by day, exactly once, rectifications, time limits,
two ticks at once, a tick interrupted half-way, and the default workflow's policy."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from pony import orm

from engine import audit, chain
from engine.workflow.catalog import gather
from engine.plugins import make_plugin_manager
from engine.storage.sql import Sql
from engine.workflow.loader import load_definition
from plugins.inspection.inspections import Finding, NewInspection, record_inspection
from plugins.inspection.rectifications import mark_done
from plugins.supervision import tick as tick_module
from plugins.supervision.tick import run_tick
from tests.conftest import backend
from tests.test_plugin_supervision_support import (WORKFLOWS, days, engine, fire, notice_records,  # noqa: F401
                                                   started, stored)

LADDER = [("2024-06-21", "warn", "planned end 2024-06-28 is in 5 working days"),
          ("2024-06-28", "overdue", "planned end 2024-06-28 is today"),
          ("2024-07-12", "escalate", "planned end 2024-06-28 passed 10 working days ago"),
          ("2024-07-26", "summon", "planned end 2024-06-28 passed 20 working days ago")]


def test_the_ladder_day_by_day_issues_exactly_one_notice_per_step(engine, district, clock):
    pid = started(engine, district, "2024-06-28")
    issued_on: list[tuple[str, list[int]]] = []
    for day in days("2024-06-01", "2024-08-31"):
        clock.set(dt.datetime.combine(day, dt.time(8)))
        result = run_tick(engine)  # the clock's today
        if result.issued:
            issued_on.append((day.isoformat(), result.issued))
    assert [day for day, _ in issued_on] == [day for day, _, _ in LADDER]
    assert all(len(ids) == 1 for _, ids in issued_on)
    assert stored(engine) == [(pid, "in_progress", "2024-06-28", step, day, reason, "issued")
                              for day, step, reason in LADDER]
    assert notice_records(engine, pid) == [("notice", "notice_issued", "系统")] * 4
    with orm.db_session:
        assert chain.verify(Sql(engine.db), engine.catalog.tables) == []


def test_a_tick_run_twice_or_late_issues_nothing_twice(engine, district):
    pid = started(engine, district, "2024-06-28")
    first = run_tick(engine, dt.date(2024, 7, 15))  # late: overdue and escalate are due, warn no longer
    # the highest step alone, naming the one passed over, which never comes afterwards
    assert [row[3] for row in stored(engine, pid)] == ["escalate"]
    assert stored(engine, pid)[0][5] == "planned end 2024-06-28 passed 11 working days ago (steps passed over: 逾期)"
    assert len(first.issued) == 1 and run_tick(engine, dt.date(2024, 7, 15)).issued == []
    assert run_tick(engine, dt.date(2024, 7, 16)).issued == []
    assert [row[3] for row in stored(engine, pid)] == ["escalate"]
    assert len(run_tick(engine, dt.date(2024, 7, 26)).issued) == 1
    assert [row[3] for row in stored(engine, pid)] == ["escalate", "summon"]  # the next step on its own day


def test_a_project_that_leaves_the_state_is_no_longer_chased_and_the_next_state_has_its_limit(engine, district):
    pid = started(engine, district, "2024-06-28")  # started 2024-03-01 (the fixture's clock)
    run_tick(engine, dt.date(2024, 6, 21))
    run_tick(engine, dt.date(2024, 6, 28))
    engine.clock.set("2024-07-01T10:00:00")
    fire(engine, district, "edu_clerk", pid, "check")  # checking: due 10 working days later, 2024-07-15
    assert run_tick(engine, dt.date(2024, 7, 5)).issued == []  # no escalation of the planned end any more
    run_tick(engine, dt.date(2024, 7, 12))
    run_tick(engine, dt.date(2024, 7, 15))
    assert [row[1:5] for row in stored(engine, pid)] == [
        ("in_progress", "2024-06-28", "warn", "2024-06-21"), ("in_progress", "2024-06-28", "overdue", "2024-06-28"),
        ("checking", "2024-07-15", "warn", "2024-07-12"), ("checking", "2024-07-15", "overdue", "2024-07-15")]
    assert stored(engine, pid)[3][5] == "time limit (10 working days in 验收/checking) 2024-07-15 is today"


def test_a_changed_planned_end_is_a_new_deadline(engine, district):
    pid = started(engine, district, "2024-06-28")
    run_tick(engine, dt.date(2024, 6, 21))
    run_tick(engine, dt.date(2024, 6, 28))
    with orm.db_session:
        Sql(engine.db).execute("UPDATE project SET planned_end = ? WHERE id = ?", (dt.date(2024, 9, 30), pid))
    assert run_tick(engine, dt.date(2024, 7, 15)).issued == []
    run_tick(engine, dt.date(2024, 9, 30))
    assert [(row[2], row[3]) for row in stored(engine, pid)] == [
        ("2024-06-28", "warn"), ("2024-06-28", "overdue"), ("2024-09-30", "overdue")]


def test_open_rectifications_are_chased_until_the_unit_reports_them_done(engine, district):
    pid = started(engine, district, "2024-12-31")
    finding = Finding("围栏破损", "2024-04-30", district.units["housing"])
    recorded = record_inspection(engine, district.actor("supervisor"), pid,
                                 NewInspection("supervision", "2024-03-01", "findings_only", ["张三"], None,
                                               (finding,)))
    [rectification] = recorded.rectifications
    run_tick(engine, dt.date(2024, 4, 30))
    with orm.db_session:
        row = Sql(engine.db).one("SELECT deadline_key, source_id, step, unit_id, addressee, reason"
                                 " FROM supervision_notice WHERE step = 'overdue'")
    assert tuple(row) == ("rectification", rectification.id, "overdue", district.units["housing"], "lead_unit",
                          "rectification '围栏破损' deadline 2024-04-30 is today")
    engine.clock.set("2024-05-06T09:00:00")
    mark_done(engine, district.actor("county_office"), rectification.id, "已修复")
    assert run_tick(engine, dt.date(2024, 6, 30)).issued == []  # done: no escalation


def test_the_unique_key_refuses_a_second_copy_of_a_step(engine, district):
    pid = started(engine, district, "2024-06-28")
    run_tick(engine, dt.date(2024, 6, 28))
    with pytest.raises(orm.IntegrityError), orm.db_session:
        Sql(engine.db).execute(
            "INSERT INTO supervision_notice (project_id, deadline_key, source_id, due_on, step, step_label, addressee,"
            " reason, status, issued_on, issued_at) VALUES (?, 'in_progress', 0, ?, 'overdue', '逾期', 'lead_unit',"
            " 'again', 'issued', ?, ?)", (pid, dt.date(2024, 6, 28), dt.date(2024, 6, 28), engine.clock.now()))


def test_two_ticks_at_once_issue_nothing_twice(engine, district):
    projects = [started(engine, district, "2024-06-28") for _ in range(12)]
    barrier, results, errors = threading.Barrier(2), [], []

    def one_tick() -> None:
        try:
            barrier.wait()
            results.append(run_tick(engine, dt.date(2024, 7, 26)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            engine.close()  # this thread's connection

    threads = [threading.Thread(target=one_tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    issued = [i for r in results for i in r.issued]
    assert len(issued) == len(set(issued)) == 12  # summon for each project (overdue and escalate passed over)
    assert len(stored(engine)) == 12
    assert all(len(notice_records(engine, pid)) == 1 for pid in projects)
    with orm.db_session:
        assert chain.verify(Sql(engine.db), engine.catalog.tables) == []


def test_a_tick_interrupted_half_way_leaves_no_half_issued_notice_and_the_next_issues_the_rest(
        engine, district, monkeypatch):
    projects = [started(engine, district, "2024-06-28") for _ in range(5)]
    real, calls = audit.append_records, []

    def crashing(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 4:  # the fourth notice's audit record: the process dies here
            raise KeyboardInterrupt("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(tick_module, "NOTICES_PER_TRANSACTION", 1)
    monkeypatch.setattr(tick_module.audit, "append_records", crashing)
    with pytest.raises(KeyboardInterrupt):
        run_tick(engine, dt.date(2024, 6, 28))  # overdue for 5 projects
    assert [row[0] for row in stored(engine)] == projects[:3]  # the fourth rolled back, notice and record
    assert [len(notice_records(engine, pid)) for pid in projects] == [1, 1, 1, 0, 0]
    monkeypatch.setattr(tick_module.audit, "append_records", real)
    assert len(run_tick(engine, dt.date(2024, 6, 28)).issued) == 2
    assert sorted(row[0] for row in stored(engine)) == projects
    with orm.db_session:
        assert chain.verify(Sql(engine.db), engine.catalog.tables) == []


def test_the_default_workflow_supervises_in_progress_and_rectifications():
    catalog = gather(make_plugin_manager([], entry_points=False))
    definition = load_definition(WORKFLOWS[0], catalog.guards, catalog.actions)
    assert definition.version >= 2
    assert definition.states["in_progress"].deadline.field == "planned_end"
    steps = [(s.when, s.offset, s.step, s.to, s.label) for s in definition.ladder_of("in_progress")]
    assert steps == [("before", "5 working days", "warn", "lead_unit", "到期预警"), ("at", "", "overdue", "lead_unit", "逾期"),
                     ("after", "10 working days", "escalate", "office", "挂牌督办"),
                     ("after", "20 working days", "summon", "lead_unit", "约谈")]
    assert definition.supervision.rectifications == definition.supervision.ladder


@pytest.mark.skipif(backend() != "postgres", reason="the advisory lock is PostgreSQL's")
def test_on_postgresql_a_tick_while_another_holds_the_lock_does_nothing_and_says_so(engine, district, db_url):
    import psycopg2

    started(engine, district, "2024-06-28")
    other = psycopg2.connect(db_url)  # another process's connection
    try:
        other.cursor().execute("SELECT pg_advisory_lock(%s, hashtext(current_schema()))", (tick_module.ADVISORY_KEY,))
        held = run_tick(engine, dt.date(2024, 6, 28))
        assert (held.busy, held.issued, stored(engine)) == (True, [], [])
        other.cursor().execute("SELECT pg_advisory_unlock(%s, hashtext(current_schema()))",
                               (tick_module.ADVISORY_KEY,))
        assert len(run_tick(engine, dt.date(2024, 6, 28)).issued) == 1
    finally:
        other.close()


SPRING_FESTIVAL = [  # 2025: holidays 01-28 … 02-04; make-up working days Sunday 01-26 and Saturday 02-08
    ("2025-01-17", "warn", "planned end 2025-01-24 is in 5 working days"),
    ("2025-01-24", "overdue", "planned end 2025-01-24 is today"),
    ("2025-02-13", "escalate", "planned end 2025-01-24 passed 10 working days ago"),  # Mon–Fri counting: 02-07
    ("2025-02-27", "summon", "planned end 2025-01-24 passed 20 working days ago"),
]


def test_working_day_steps_across_the_2025_spring_festival_and_its_make_up_days(engine, district, clock):
    pid = started(engine, district, "2025-01-24")
    issued_on = []
    for day in days("2025-01-10", "2025-03-10"):
        clock.set(dt.datetime.combine(day, dt.time(8)))
        if run_tick(engine).issued:
            issued_on.append(day.isoformat())
    assert issued_on == [day for day, _, _ in SPRING_FESTIVAL]
    assert [(row[4], row[3], row[5]) for row in stored(engine, pid)] == SPRING_FESTIVAL
