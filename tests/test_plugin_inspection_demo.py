"""The inspection plugin's demo hooks: the year's records, and what the demo needs before each event."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pony import orm

from engine.demo import DemoDistrict, DemoProject, build_demo
from engine.storage.sql import Sql
from plugins import inspection
from plugins.inspection import overdue
from tests.test_plugin_inspection_support import engine, fire, rectifications, started, state_of  # noqa: F401


def test_demo_data_hook_adds_inspections_and_rectifications_in_every_status(engine):
    demo = build_demo(engine, "simple")
    with orm.db_session:
        sql = Sql(engine.db)
        kinds = dict(sql.all("SELECT kind, COUNT(*) FROM inspection_record GROUP BY kind"))
        statuses = dict(sql.all("SELECT status, COUNT(*) FROM inspection_rectification GROUP BY status"))
        late = overdue.in_area(engine, sql, demo.actor("office"))
    working = len(demo.in_state("approved"))
    assert kinds["npc_inspection"] == working > 0 and kinds["unannounced_visit"] == 1
    assert kinds["random_check"] > 0 and len(demo.in_state("done")) > 0
    # 'done' is a final state of the simple workflow that lists no records: its projects take no inspections
    assert "third_party" not in kinds
    assert set(statuses) == {"open", "done", "verified"} and sum(statuses.values()) == working + 1
    assert len(late) == statuses["open"] + statuses["done"] - 1  # the unannounced visit's finding is not yet due
    assert all(r.deadline == dt.date(2024, 8, 31) for r in late)


def test_demo_prepare_records_what_the_guards_of_each_event_need(engine, district, clock):
    pid = started(engine, district)
    demo = DemoDistrict(engine, "inspection_loop", clock, 2024,
                        actors={name: district.actor(name) for name in ("county_office", "edu_clerk", "supervisor",
                                                                        "committee", "town_a_office")})
    project = DemoProject(pid, "X-1", "城区学校运动场改造", "county", "/1/", "edu", district.units["edu"],
                          Decimal("3000000.00"), "completed", "in_progress")
    inspection.minsheng_demo_prepare(engine=engine, demo=demo, project=project, event="fail_acceptance")
    fire(engine, district, "county_office", pid, "fail_acceptance", findings="资料不全", deadline="2024-03-20")
    inspection.minsheng_demo_prepare(engine=engine, demo=demo, project=project, event="rectified")
    [closed] = rectifications(engine, pid)
    assert (closed.status, closed.done_by, closed.verified_by) == (
        "verified", district.actor("edu_clerk").id, district.actor("committee").id)
    fire(engine, district, "edu_clerk", pid, "rectified", report="已整改")
    inspection.minsheng_demo_prepare(engine=engine, demo=demo, project=project, event="complete")
    fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-01")
    assert state_of(engine, pid) == "completed"
    with orm.db_session:
        results = Sql(engine.db).all("SELECT result FROM inspection_record WHERE kind = 'acceptance' ORDER BY id")
    assert [r[0] for r in results] == ["fail", "pass"]
