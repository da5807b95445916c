"""Supervision notices over GraphQL: who sees which notices and deadlines, signing for, answering and closing
them, the connection's filters and pages, and notices pushed to subscribers (never to the public)."""
from __future__ import annotations

import datetime as dt

from pony import orm

from engine.api.ids import to_global_id
from engine.storage.sql import Sql
from plugins.supervision.tick import run_tick
from tests.test_api_subscriptions import subscribed
from tests.test_plugin_supervision_support import engine, fire, notice_records, started, stored  # noqa: F401

NOTICES = """query($region: ID, $unit: ID, $state: NoticeStatus, $first: Int, $after: String) {
  notices(region: $region, unit: $unit, state: $state, first: $first, after: $after) {
    edges { cursor node { id projectCode step stepLabel reason status unitName addressee dueOn } }
    pageInfo { hasNextPage endCursor } } }"""
PROJECT = """query($id: ID!) { node(id: $id) { ... on Project {
  deadlines { key label dueOn status steps { step label on addressee issued passedOver } }
  notices { step status reason } } } }"""
MOVE = """mutation($ack: AcknowledgeNoticeInput!, $answer: AnswerNoticeInput!, $close: CloseNoticeInput!,
  $doAck: Boolean!, $doAnswer: Boolean!, $doClose: Boolean!) {
  acknowledgeNotice(input: $ack) @include(if: $doAck) { notice { status acknowledgedAt } userErrors { code message path } }
  answerNotice(input: $answer) @include(if: $doAnswer) { notice { status answer } userErrors { code message path } }
  closeNotice(input: $close) @include(if: $doClose) { notice { status closeNote } userErrors { code message path } }
}"""


def two_projects(engine, district) -> tuple[int, int]:
    """County project led by edu, town B project led by housing; overdue on 2024-06-28, escalated on 2024-07-15."""
    county = started(engine, district, "2024-06-28")
    town_b = started(engine, district, "2024-06-28", region="town_b", lead_unit_id=district.units["housing"])
    run_tick(engine, dt.date(2024, 6, 28))
    run_tick(engine, dt.date(2024, 7, 15))
    return county, town_b


def codes_and_steps(gql, username, **variables) -> list[tuple[str, str]]:
    body = gql(username, NOTICES, variables)
    assert "errors" not in body, body
    return [(e["node"]["projectCode"], e["node"]["step"]) for e in body["data"]["notices"]["edges"]]


def code_of(engine, project_id: int) -> str:
    with orm.db_session:
        return Sql(engine.db).scalar("SELECT code FROM project WHERE id = ?", (project_id,))


def move(gql, username, notice_gid, which, text=None) -> dict:
    variables = {"ack": {"noticeId": notice_gid}, "answer": {"noticeId": notice_gid, "answer": text or ""},
                 "close": {"noticeId": notice_gid, "note": text}, "doAck": which == "ack",
                 "doAnswer": which == "answer", "doClose": which == "close"}
    body = gql(username, MOVE, variables)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def test_each_reader_sees_the_notices_of_the_projects_it_reaches_and_the_public_none(engine, gql, district):
    county, town_b = two_projects(engine, district)
    a, b = code_of(engine, county), code_of(engine, town_b)
    everything = [(a, "overdue"), (b, "overdue"), (a, "escalate"), (b, "escalate")]  # in the order issued
    assert codes_and_steps(gql, "county_office") == everything
    assert codes_and_steps(gql, "edu_clerk") == everything[::2]  # a unit clerk: its own unit's projects
    assert codes_and_steps(gql, "housing_clerk") == everything[1::2]
    assert codes_and_steps(gql, "town_b_office") == everything[1::2]  # a town: its own area
    assert codes_and_steps(gql, "town_a_office") == []
    assert codes_and_steps(gql, None) == []  # the public never sees notices
    published = gql(None, PROJECT, {"id": to_global_id("Project", county)})["data"]["node"]
    assert published == {"deadlines": [], "notices": []}  # …nor deadlines, even of a published project
    node = gql("town_a_office", PROJECT, {"id": to_global_id("Project", town_b)})["data"]["node"]
    assert node is None  # outside its area the project answers like a missing one


def test_a_project_shows_its_deadline_ladder_and_notices(engine, gql, district):
    county, _ = two_projects(engine, district)
    engine.clock.set("2024-07-15T09:00:00")
    node = gql("edu_clerk", PROJECT, {"id": to_global_id("Project", county)})["data"]["node"]
    assert node["deadlines"] == [{
        "key": "in_progress", "label": "planned end", "dueOn": "2024-06-28",
        "status": "passed 11 working days ago", "steps": [
            {"step": "warn", "label": "到期预警", "on": "2024-06-21", "addressee": "lead_unit", "issued": False,
             "passedOver": True},  # no tick ran while it was due; a later step's notice came first
            {"step": "overdue", "label": "逾期", "on": "2024-06-28", "addressee": "lead_unit", "issued": True,
             "passedOver": False},
            {"step": "escalate", "label": "挂牌督办", "on": "2024-07-12", "addressee": "office", "issued": True,
             "passedOver": False},
            {"step": "summon", "label": "约谈", "on": "2024-07-26", "addressee": "lead_unit", "issued": False,
             "passedOver": False}]}]
    assert node["notices"] == [
        {"step": "overdue", "status": "ISSUED", "reason": "planned end 2024-06-28 is today"},
        {"step": "escalate", "status": "ISSUED", "reason": "planned end 2024-06-28 passed 11 working days ago"}]


def test_sign_answer_close_each_by_whom_it_belongs_to_and_refusals_change_nothing(engine, gql, district):
    county, _ = two_projects(engine, district)
    notice = gql("county_office", NOTICES, {"first": 1})["data"]["notices"]["edges"][0]["node"]["id"]
    records = len(notice_records(engine, county))

    def refused(username, which, text=None):
        return [(e["code"], e["message"], e["path"]) for e in move(gql, username, notice, which, text)["userErrors"]]

    missing = [("NOT_FOUND", f"notice {stored_id(engine, 0)} does not exist", ["input", "noticeId"])]
    assert refused(None, "ack") == missing  # the public
    assert refused("housing_clerk", "ack") == missing  # another unit: not its project
    assert refused("town_a_office", "close", "办结") == missing  # outside its area
    assert refused("county_office", "ack") == [
        ("FORBIDDEN", "only the addressed unit (县教育局) may sign for or answer this notice", ["input", "noticeId"])]
    assert refused("edu_clerk", "answer", "已加快进度") == [
        ("CONFLICT", f"notice {stored_id(engine, 0)} is issued; it can be answered (反馈) only when acknowledged (签收)",
         ["input", "noticeId"])]
    assert len(notice_records(engine, county)) == records and stored(engine)[0][6] == "issued"

    assert move(gql, "edu_clerk", notice, "ack")["notice"]["status"] == "ACKNOWLEDGED"
    assert refused("edu_clerk", "answer", "  ") == [
        ("INVALID_INPUT", "the answer (反馈) must not be empty", ["input", "answer"])]
    assert move(gql, "edu_clerk", notice, "answer", "已增派施工队，7月底完工")["notice"] == {
        "status": "ANSWERED", "answer": "已增派施工队，7月底完工"}
    assert refused("edu_clerk", "close", "办结") == [
        ("FORBIDDEN", "only the supervision office (政府办/督查室) may close a notice (办结)", ["input", "noticeId"])]
    assert move(gql, "county_office", notice, "close", "同意办结")["notice"] == {"status": "CLOSED",
                                                                             "closeNote": "同意办结"}
    assert [e[0] for e in refused("edu_clerk", "ack")] == ["CONFLICT"]
    assert [r[1] for r in notice_records(engine, county)][-3:] == [
        "notice_acknowledged", "notice_answered", "notice_closed"]
    assert [r[2] for r in notice_records(engine, county)][-3:] == ["edu_clerk", "edu_clerk", "county_office"]


def stored_id(engine, index: int) -> int:
    with orm.db_session:
        return Sql(engine.db).all("SELECT id FROM supervision_notice ORDER BY id")[index][0]


def test_filters_and_pages(engine, gql, district):
    county, town_b = two_projects(engine, district)
    a, b = code_of(engine, county), code_of(engine, town_b)
    housing = to_global_id("Unit", district.units["housing"])
    assert codes_and_steps(gql, "county_office", unit=housing) == [(b, "overdue"), (b, "escalate")]
    town = to_global_id("Region", district.regions["town_b"])
    assert codes_and_steps(gql, "county_office", region=town) == [(b, "overdue"), (b, "escalate")]
    first = gql("county_office", NOTICES, {"first": 3})["data"]["notices"]
    assert first["pageInfo"]["hasNextPage"] is True and len(first["edges"]) == 3
    rest = codes_and_steps(gql, "county_office", first=3, after=first["pageInfo"]["endCursor"])
    assert rest == [(b, "escalate")]
    notice = first["edges"][0]["node"]["id"]
    move(gql, "edu_clerk", notice, "ack")
    assert codes_and_steps(gql, "county_office", state="ACKNOWLEDGED") == [(a, "overdue")]
    assert len(codes_and_steps(gql, "county_office", state="ISSUED")) == 3
    bad = gql("county_office", NOTICES, {"after": "bm90LWEtY3Vyc29y"})
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "inputPath": ["after"]}
    too_many = gql("county_office", NOTICES, {"first": 1000})
    assert too_many["errors"][0]["message"] == "must be between 1 and 100, got 1000"
    outside = gql("town_a_office", NOTICES, {"region": town})
    assert outside["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_notices_are_pushed_to_subscribers_who_reach_the_project_never_to_the_public(
        engine, http, app, gql, district):
    county = started(engine, district, "2024-06-28")
    with subscribed(http, app, district.tokens["edu_clerk"]) as clerk, subscribed(http, app, None) as public:
        run_tick(engine, dt.date(2024, 6, 28))
        event = clerk.next_event()
        assert (event["projectId"], event["event"], event["toState"]) == (
            to_global_id("Project", county), "notice_issued", "in_progress")
        fire(engine, district, "edu_clerk", county, "check")  # a transition the public may see
        assert public.next_event()["event"] == "check"  # the first the public hears of: not the notice
        assert clerk.next_event()["event"] == "check"


def test_a_retried_move_with_an_idempotency_key_answers_again_and_writes_nothing(engine, gql, district):
    county, _ = two_projects(engine, district)
    notice = gql("county_office", NOTICES, {"first": 1})["data"]["notices"]["edges"][0]["node"]["id"]
    variables = {"ack": {"noticeId": notice, "idempotencyKey": "ack-1"}, "answer": {"noticeId": notice, "answer": ""},
                 "close": {"noticeId": notice}, "doAck": True, "doAnswer": False, "doClose": False}
    first, again = (gql("edu_clerk", MOVE, variables)["data"]["acknowledgeNotice"] for _ in range(2))
    assert first["userErrors"] == [] and again == first and first["notice"]["status"] == "ACKNOWLEDGED"
    assert [r[1] for r in notice_records(engine, county)].count("notice_acknowledged") == 1
