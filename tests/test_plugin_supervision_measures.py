"""Measures' and milestones' due dates (措施/节点) as deadlines of the tick: the default workflow's measure ladder
driven day by day, done measures no longer chased, and a cooperating unit (配合单位) seeing and signing for the
notices on its own measures only — over HTTP and the CLI."""
from __future__ import annotations

import datetime as dt

from pony import orm

from engine import chain
from engine.api.ids import to_global_id
from engine.cli import main
from engine.storage.sql import Sql
from tests.test_api_subscriptions import subscribed
from tests.test_plugin_schedule_records import MARK_DONE, SET_MEASURES, SET_UNITS, approve, gid, mutate, new_project

NOTICES = """query { notices(first: 50) { edges { node { id projectCode step stepLabel reason unitName addressee
  dueOn } } } }"""
PROJECT = """query($id: ID!) { project(id: $id) { deadlines { key label dueOn steps { step on issued } }
  notices { step reason unitName } } }"""
FIRE = "mutation($input: FireTransitionInput!) { fireTransition(input: $input) { userErrors { code message } } }"
ACK = "mutation($id: ID!) { acknowledgeNotice(input: {noticeId: $id}) { notice { status } userErrors { code path } } }"

# (day issued, step, reason) of the default workflow's measure ladder (warn 3 working days before, overdue on the
# day, 挂牌督办 10 and 约谈 20 working days after), for 设计招标 (edu, due Fri 28 June, done on 5 July) and
# 管线迁改 (housing, cooperating, due Wed 31 July, never done)
DESIGN, PIPES = "measure '设计招标' due date 2024-06-28", "measure '管线迁改' due date 2024-07-31"
LADDER = [("2024-06-25", "warn", f"{DESIGN} is in 3 working days", "县教育局"),
          ("2024-06-28", "overdue", f"{DESIGN} is today", "县教育局"),
          ("2024-07-26", "warn", f"{PIPES} is in 3 working days", "县住建局"),
          ("2024-07-31", "overdue", f"{PIPES} is today", "县住建局"),
          ("2024-08-14", "escalate", f"{PIPES} passed 10 working days ago", "县住建局"),
          ("2024-08-28", "summon", f"{PIPES} passed 20 working days ago", "县住建局")]


def planned(gql, engine, district) -> tuple[int, dict[str, str]]:
    """An approved project of edu with housing cooperating, and one measure each."""
    pid = new_project(district)
    approve(engine, district, pid)
    assert mutate(gql, "county_office", SET_UNITS, projectId=gid("Project", pid),
                  unitIds=[gid("Unit", district.units["housing"])])["userErrors"] == []
    result = mutate(gql, "county_office", SET_MEASURES, projectId=gid("Project", pid), measures=[
        {"title": "设计招标", "unitId": gid("Unit", district.units["edu"]), "dueDate": "2024-06-28"},
        {"title": "管线迁改", "unitId": gid("Unit", district.units["housing"]), "dueDate": "2024-07-31"}])
    assert result["userErrors"] == []
    return pid, {m["title"]: m["id"] for m in result["measures"]}


def days(first: str, last: str):
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def notices(gql, username) -> list[tuple]:
    body = gql(username, NOTICES)
    assert "errors" not in body, body
    return [(n["node"]["step"], n["node"]["reason"], n["node"]["unitName"]) for n in body["data"]["notices"]["edges"]]


def test_the_measure_ladder_day_by_day_stops_once_the_measure_is_done(gql, engine, district, clock):
    pid, measures = planned(gql, engine, district)
    issued: list[tuple[str, int]] = []
    for day in days("2024-06-01", "2024-09-30"):
        clock.set(dt.datetime.combine(day, dt.time(8)))
        if day == dt.date(2024, 7, 5):  # the lead unit reports its measure done: no 挂牌督办 on 12 July
            assert mutate(gql, "edu_clerk", MARK_DONE, measureId=measures["设计招标"],
                          evidence="中标通知书")["userErrors"] == []
        for report in engine.tick(day):
            if report.plugin == "supervision" and not report.summary.startswith("0 "):
                issued.append((day.isoformat(), int(report.summary.split()[0])))
    assert issued == [(day, 1) for day, _, _, _ in LADDER]  # exactly one notice per step, on its day
    assert notices(gql, "county_office") == [(step, reason, unit) for _, step, reason, unit in LADDER]
    again = {r.plugin: r.summary for r in engine.tick(dt.date(2024, 9, 30))}
    assert again["supervision"] == "0 notice(s) issued"  # safe to run twice
    with orm.db_session:
        sql = Sql(engine.db)
        assert sql.scalar("SELECT COUNT(*) FROM audit_record WHERE project_id = ? AND event = 'notice_issued'",
                          (pid,)) == 6
        assert chain.verify(sql, engine.catalog.tables) == []


def test_a_cooperating_unit_sees_and_signs_for_the_notices_on_its_own_measures_only(gql, engine, district, clock):
    pid, _ = planned(gql, engine, district)
    clock.set("2024-07-31T09:00:00")
    engine.tick(dt.date(2024, 7, 31))  # design (due 6-28): late, 约谈 alone; pipes: overdue on its day
    clock.set("2024-08-15T09:00:00")
    engine.tick(dt.date(2024, 8, 15))  # pipes: 挂牌督办
    design = (f"{DESIGN} passed 23 working days ago (steps passed over: 节点逾期, 挂牌督办)", "县教育局")
    everything = [("summon", *design), ("overdue", f"{PIPES} is today", "县住建局"),
                  ("escalate", f"{PIPES} passed 11 working days ago", "县住建局")]
    assert notices(gql, "county_office") == everything
    assert notices(gql, "edu_clerk") == everything  # the lead unit: every notice of its project
    assert notices(gql, "housing_clerk") == everything[1:]  # its own measure's only
    assert notices(gql, "town_a_office") == [] and notices(gql, None) == []
    project = gql("housing_clerk", PROJECT, {"id": gid("Project", pid)})["data"]["project"]
    assert [(n["step"], n["unitName"]) for n in project["notices"]] == [("overdue", "县住建局"), ("escalate", "县住建局")]
    assert [(d["key"], d["label"], d["dueOn"]) for d in project["deadlines"]] == [
        ("measure", "measure '管线迁改' due date", "2024-07-31")]
    led = gql("edu_clerk", PROJECT, {"id": gid("Project", pid)})["data"]["project"]
    assert [d["label"] for d in led["deadlines"]] == ["measure '设计招标' due date", "measure '管线迁改' due date"]
    assert led["deadlines"][1]["steps"] == [
        {"step": "warn", "on": "2024-07-26", "issued": False}, {"step": "overdue", "on": "2024-07-31", "issued": True},
        {"step": "escalate", "on": "2024-08-14", "issued": True},
        {"step": "summon", "on": "2024-08-28", "issued": False}]
    with orm.db_session:
        ids = {(r[1], r[2]): to_global_id("SupervisionNotice", r[0]) for r in Sql(engine.db).all(
            "SELECT n.id, m.title, n.step FROM supervision_notice n JOIN schedule_measure m ON m.id = n.source_id"
            " WHERE n.deadline_key = 'measure'")}
    theirs, others = ids[("管线迁改", "overdue")], ids[("设计招标", "summon")]
    signed = gql("housing_clerk", ACK, {"id": theirs})["data"]["acknowledgeNotice"]
    assert signed == {"notice": {"status": "ACKNOWLEDGED"}, "userErrors": []}
    refused = gql("housing_clerk", ACK, {"id": others})["data"]["acknowledgeNotice"]
    assert refused == {"notice": None, "userErrors": [{"code": "NOT_FOUND", "path": ["input", "noticeId"]}]}
    not_theirs = gql("edu_clerk", ACK, {"id": ids[("管线迁改", "escalate")]})["data"]["acknowledgeNotice"]
    assert not_theirs["userErrors"][0]["code"] == "FORBIDDEN"  # the lead unit sees it but does not sign for it
    assert gql("edu_clerk", ACK, {"id": others})["data"]["acknowledgeNotice"]["userErrors"] == []


def test_the_cli_tick_chases_open_measures_and_issues_nothing_twice(gql, engine, district, db_url, tmp_path,
                                                                  monkeypatch, capsys):
    planned(gql, engine, district)
    folder = tmp_path / "workflows"
    folder.mkdir()
    for path in engine.workflows.by_id.values():
        (folder / path.definition.path.split("/")[-1]).write_text(path.definition.source, encoding="utf-8")
    monkeypatch.setenv("MINSHENG_WORKFLOWS", str(folder))
    assert main(["tick", "--db", db_url, "--at", "2024-07-01"]) == 0
    assert "tick 2024-07-01: 1 notice(s) issued" in capsys.readouterr().out.splitlines()  # design overdue
    assert main(["tick", "--db", db_url, "--at", "2024-07-01"]) == 0
    assert "tick 2024-07-01: 0 notice(s) issued" in capsys.readouterr().out.splitlines()


def test_a_cooperating_unit_hears_of_the_project_and_of_its_own_measures_notices(http, app, gql, engine, district,
                                                                                clock):
    pid, _ = planned(gql, engine, district)
    with subscribed(http, app, district.tokens["housing_clerk"]) as cooperating, \
            subscribed(http, app, district.tokens["edu_clerk"]) as lead:
        for event, fields in (("suspend", {"reason": "汛期"}), ("resume", {})):
            assert gql("county_office", FIRE, {"input": {"projectId": gid("Project", pid), "event": event,
                                                         "fields": fields}})["data"]["fireTransition"][
                "userErrors"] == []
            assert cooperating.next_event()["event"] == event  # a project it cooperates on (配合单位)
            assert lead.next_event()["event"] == event
        clock.set("2024-08-01T09:00:00")
        engine.tick(dt.date(2024, 8, 1))  # design: summon (late: overdue and escalate passed over); pipes: overdue
        heard = [lead.next_event()["event"] for _ in range(2)]
        assert heard == ["notice_issued"] * 2
        assert cooperating.next_event()["event"] == "notice_issued"  # pipes' overdue, its own
        signed = gql("housing_clerk", ACK, {"id": _notice_id(engine, "管线迁改", "overdue")})["data"]
        assert signed["acknowledgeNotice"]["userErrors"] == []
        assert cooperating.next_event()["event"] == "notice_acknowledged"  # nothing of the lead unit's notices
        assert lead.next_event()["event"] == "notice_acknowledged"


def _notice_id(engine, title: str, step: str) -> str:
    with orm.db_session:
        found = Sql(engine.db).scalar(
            "SELECT n.id FROM supervision_notice n JOIN schedule_measure m ON m.id = n.source_id"
            " WHERE n.deadline_key = 'measure' AND m.title = ? AND n.step = ?", (title, step))
    return to_global_id("SupervisionNotice", found)
