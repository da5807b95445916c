"""The inspection plugin's service functions: recording inspections, closing rectifications, access, overdue."""
from __future__ import annotations

import datetime as dt

import pytest
from pony import orm

from engine.directory.admin import add_actor
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql
from plugins.inspection import overdue
from plugins.inspection.rectifications import mark_done, verify
from tests.test_plugin_inspection_support import (engine, finding, inspect, rectifications,  # noqa: F401
                                                  started)


def problems(caught: pytest.ExceptionInfo) -> list[tuple[str, str]]:
    return [(".".join(p.path), p.message) for p in caught.value.problems()]


def listing(engine, lister, username_actor, *args, **kwargs):
    with orm.db_session:
        return [r.id for r in lister(engine, Sql(engine.db), username_actor, *args, **kwargs)]


# --- recording inspections -----------------------------------------------------------------------------------

def test_record_inspection_opens_one_rectification_per_finding(engine, district):
    pid = started(engine, district)
    recorded = inspect(engine, district, pid, "deputy", "npc_inspection", "2024-02-28", "findings_only",
                       (finding("围栏破损", "2024-03-31"), finding("标识牌缺失", "2024-04-30", district.units["housing"])),
                       inspectors=[" 王代表 ", "赵代表"], notes="代表视察，群众反映良好")
    i = recorded.inspection
    assert (i.project_id, i.kind, i.held_on, i.result) == (pid, "npc_inspection", dt.date(2024, 2, 28),
                                                           "findings_only")
    assert (i.inspectors, i.notes, i.recorded_by) == (["王代表", "赵代表"], "代表视察，群众反映良好",
                                                      district.actor("deputy").id)
    opened = [(r.description, r.deadline, r.unit_id, r.status, r.inspection_id) for r in recorded.rectifications]
    assert opened == [("围栏破损", dt.date(2024, 3, 31), district.units["edu"], "open", i.id),
                      ("标识牌缺失", dt.date(2024, 4, 30), district.units["housing"], "open", i.id)]
    assert [r.id for r in rectifications(engine, pid)] == [r.id for r in recorded.rectifications]


def test_every_recording_role_may_record_and_others_may_not(engine, district):
    add_actor(engine, "evaluator", "第三方评估机构", ["third_party"], "county")
    pid = started(engine, district)
    for username in ("county_office", "supervisor", "deputy", "committee", "evaluator"):
        assert inspect(engine, district, pid, username).inspection.recorded_by == district.actor(username).id
    for username in ("edu_clerk", "county_finance"):
        with pytest.raises(Forbidden, match="may record inspections"):
            inspect(engine, district, pid, username)


def test_invalid_inspection_names_every_problem_and_stores_nothing(engine, district):
    pid = started(engine, district, lead_unit_id=None)
    with pytest.raises(InvalidInput) as caught:
        inspect(engine, district, pid, kind="visit", held_on="2024-03-02", result="ok", inspectors=["张三", " "],
                findings=(finding("", "2024-02-01"), finding("资料不全", "2024-13-01"),
                          finding("围栏", "2024-04-01", 999)))
    assert problems(caught) == [
        ("input.kind", "unknown inspection kind 'visit'; use one of npc_inspection (人大视察), supervision (督查), "
                       "random_check (随机抽查), unannounced_visit (明察暗访), third_party (第三方评估), acceptance (验收), "
                       "custody (管护巡查)"),
        ("input.result", "unknown result 'ok'; use one of pass (通过), fail (未通过), findings_only (发现问题（不作结论）)"),
        ("input.date", "the inspection date 2024-03-02 is after today (2024-03-01)"),
        ("input.inspectors.1", "an inspector's name is empty"),
        ("input.findings.0.description", "describe what must be rectified (整改内容)"),
        ("input.findings.0.deadline", "the deadline 2024-02-01 is before the inspection date 2024-03-02"),
        ("input.findings.0.unitId", "the project has no lead unit (牵头单位): name the responsible unit"),
        ("input.findings.1.deadline", "'2024-13-01' is not a date (YYYY-MM-DD)"),
        ("input.findings.1.unitId", "the project has no lead unit (牵头单位): name the responsible unit"),
        ("input.findings.2.unitId", "no unit with id 999"),
    ]
    with orm.db_session:
        assert Sql(engine.db).scalar("SELECT COUNT(*) FROM inspection_record") == 0
    assert rectifications(engine, pid) == []


# --- marking done and verifying ------------------------------------------------------------------------------

def opened_one(engine, district, region="county", deadline="2024-03-31", **details) -> int:
    pid = started(engine, district, region=region, **details)
    return inspect(engine, district, pid, findings=(finding(deadline=deadline),)).rectifications[0].id


def test_only_the_responsible_unit_or_the_office_marks_done(engine, district):
    rid = opened_one(engine, district)
    with pytest.raises(NotFound):  # a clerk of another unit does not reach the project at all
        mark_done(engine, district.actor("housing_clerk"), rid)
    for username in ("supervisor", "committee"):
        with pytest.raises(Forbidden) as caught:
            mark_done(engine, district.actor(username), rid)
        assert problems(caught) == [("input.rectificationId", f"only the responsible unit (县教育局) or the government "
                                                              f"office (政府办/督查室) may mark rectification {rid} done")]
    done = mark_done(engine, district.actor("edu_clerk"), rid, "已修复围栏")
    assert (done.status, done.done_by, done.done_note) == ("done", district.actor("edu_clerk").id, "已修复围栏")
    assert mark_done(engine, district.actor("county_office"), opened_one(engine, district)).status == "done"


def test_verification_roles_and_not_by_whoever_marked_it_done(engine, district):
    rid = opened_one(engine, district)
    mark_done(engine, district.actor("county_office"), rid)
    for username in ("edu_clerk", "deputy", "county_finance"):
        with pytest.raises(Forbidden, match="may verify rectification"):
            verify(engine, district.actor(username), rid)
    with pytest.raises(Forbidden) as caught:
        verify(engine, district.actor("county_office"), rid)
    assert problems(caught) == [("input.rectificationId", f"you marked rectification {rid} done yourself; another "
                                                          "person (政府办/督查室, 监督员 or 人大常委会) must verify it")]
    assert verify(engine, district.actor("committee"), rid, "同意销号").verified_by == district.actor("committee").id
    for username in ("county_office", "supervisor"):
        other = opened_one(engine, district)
        mark_done(engine, district.actor("edu_clerk"), other)
        assert verify(engine, district.actor(username), other).status == "verified"


def test_invalid_status_moves_are_invalid_input(engine, district, clock):
    rid = opened_one(engine, district)
    with pytest.raises(InvalidInput) as caught:
        verify(engine, district.actor("supervisor"), rid)
    assert problems(caught) == [("input.rectificationId", f"rectification {rid} is still open: the responsible "
                                                          "unit must mark it done before it can be verified")]
    mark_done(engine, district.actor("edu_clerk"), rid)
    with pytest.raises(InvalidInput) as caught:
        mark_done(engine, district.actor("edu_clerk"), rid)
    assert problems(caught) == [("input.rectificationId", f"rectification {rid} was already marked done on "
                                                          "2024-03-01; it awaits verification (核验)")]
    clock.advance(days=1)
    verify(engine, district.actor("supervisor"), rid)
    for move, username in ((mark_done, "edu_clerk"), (verify, "committee")):
        with pytest.raises(InvalidInput) as caught:
            move(engine, district.actor(username), rid)
        assert problems(caught) == [("input.rectificationId", f"rectification {rid} was already verified on "
                                                              "2024-03-02 and is closed")]


def test_a_missing_rectification_is_not_found(engine, district):
    with pytest.raises(NotFound, match="rectification 4242 does not exist"):
        mark_done(engine, district.actor("county_office"), 4242)


# --- scoping -------------------------------------------------------------------------------------------------

def test_town_b_officer_can_neither_see_nor_act_on_town_a_rectifications(engine, district):
    rid = opened_one(engine, district, region="town_a")
    pid = rectifications_project(engine, rid)
    town_b = district.actor("town_b_office")
    for act in (lambda: mark_done(engine, town_b, rid), lambda: verify(engine, town_b, rid)):
        with pytest.raises(NotFound) as caught:
            act()
        assert problems(caught) == [("input.rectificationId", f"rectification {rid} does not exist")]
    with pytest.raises(NotFound) as caught:
        inspect(engine, district, pid, "town_b_office")
    assert problems(caught) == [("input.projectId", f"project {pid} does not exist")]
    with pytest.raises(NotFound):
        listing(engine, overdue.of_project, town_b, pid)
    with pytest.raises(NotFound, match=f"region {district.regions['town_a']} does not exist"):
        listing(engine, overdue.in_region, town_b, district.regions["town_a"])
    assert mark_done(engine, district.actor("town_a_office"), rid).status == "done"


def rectifications_project(engine, rid) -> int:
    with orm.db_session:
        return Sql(engine.db).scalar("SELECT project_id FROM inspection_rectification WHERE id = ?", (rid,))


# --- overdue -------------------------------------------------------------------------------------------------

@pytest.fixture
def spread(engine, district):
    """Rectifications across the county: ids by name, deadlines from 2024-03-10 to 2024-04-30."""
    ids = {"county_edu": opened_one(engine, district, "county", "2024-03-10"),
           "town_a_edu": opened_one(engine, district, "town_a", "2024-03-20"),
           "village_a1_housing": opened_one(engine, district, "village_a1", "2024-03-15",
                                            lead_unit_id=district.units["housing"]),
           "town_b_edu": opened_one(engine, district, "town_b", "2024-04-30"),
           "town_a_done": opened_one(engine, district, "town_a", "2024-03-12"),
           "town_a_verified": opened_one(engine, district, "town_a", "2024-03-11")}
    mark_done(engine, district.actor("edu_clerk"), ids["town_a_done"])
    mark_done(engine, district.actor("edu_clerk"), ids["town_a_verified"])
    verify(engine, district.actor("supervisor"), ids["town_a_verified"])
    return ids


def test_overdue_by_region_unit_and_project_as_the_clock_moves(engine, district, clock, spread):
    office, region, units = district.actor("county_office"), district.regions, district.units
    assert listing(engine, overdue.in_region, office, region["county"]) == []
    clock.set("2024-03-20T08:00:00")  # deadline 2024-03-20 is today: not yet overdue
    ids = spread
    assert listing(engine, overdue.in_region, office, region["county"]) == [
        ids["county_edu"], ids["town_a_done"], ids["village_a1_housing"]]
    assert listing(engine, overdue.in_region, office, region["town_a"]) == [ids["town_a_done"],
                                                                            ids["village_a1_housing"]]
    assert listing(engine, overdue.in_region, office, region["town_b"]) == []
    clock.set("2024-05-01")
    assert listing(engine, overdue.in_region, office, region["town_a"]) == [
        ids["town_a_done"], ids["village_a1_housing"], ids["town_a_edu"]]
    assert listing(engine, overdue.of_unit, office, units["housing"]) == [ids["village_a1_housing"]]
    assert listing(engine, overdue.of_unit, office, units["edu"]) == [
        ids["county_edu"], ids["town_a_done"], ids["town_a_edu"], ids["town_b_edu"]]
    assert listing(engine, overdue.of_unit, district.actor("town_a_office"), units["edu"]) == [
        ids["town_a_done"], ids["town_a_edu"]]
    assert listing(engine, overdue.in_region, office, region["county"], units["edu"], first=2) == [
        ids["county_edu"], ids["town_a_done"]]
    town_b_project = rectifications_project(engine, ids["town_b_edu"])
    assert listing(engine, overdue.of_project, office, town_b_project) == [ids["town_b_edu"]]
    assert listing(engine, overdue.in_area, district.actor("town_b_office")) == [ids["town_b_edu"]]
    # a unit clerk sees what its own unit must rectify, whatever it asks for
    assert listing(engine, overdue.in_area, district.actor("housing_clerk")) == [ids["village_a1_housing"]]
    assert listing(engine, overdue.in_area, district.actor("housing_clerk"), None, units["edu"]) == [
        ids["village_a1_housing"]]


def test_overdue_days_and_closing_removes_it(engine, district, clock, spread):
    clock.set("2024-03-25")
    with orm.db_session:
        [first] = overdue.of_project(engine, Sql(engine.db), district.actor("county_office"),
                                     rectifications_project(engine, spread["county_edu"]))
    assert first.days_overdue(dt.date(2024, 3, 25)) == 15
    verify(engine, district.actor("supervisor"), mark_done(engine, district.actor("edu_clerk"), first.id).id)
    assert spread["county_edu"] not in listing(engine, overdue.in_area, district.actor("county_office"))


def test_each_overdue_listing_is_one_query_whatever_the_number_of_projects(engine, district, clock, monkeypatch):
    office = district.actor("county_office")
    calls: list[str] = []
    original = Sql.execute

    def counting(self, sql, params=()):
        calls.append(sql)
        return original(self, sql, params)

    def overdue_queries(lister, *args) -> int:
        calls.clear()
        monkeypatch.setattr(Sql, "execute", counting)
        listing(engine, lister, office, *args)
        monkeypatch.setattr(Sql, "execute", original)
        return sum("inspection_rectification" in sql for sql in calls)

    for _ in range(3):
        opened_one(engine, district, "town_a", "2024-03-10")
    clock.set("2024-04-01")
    assert len(listing(engine, overdue.in_region, office, district.regions["county"])) == 3
    assert overdue_queries(overdue.in_region, district.regions["county"]) == 1
    assert overdue_queries(overdue.of_unit, district.units["edu"]) == 1
    assert overdue_queries(overdue.in_area) == 1


def test_overdue_listing_checks_its_arguments(engine, district):
    office = district.actor("county_office")
    with pytest.raises(NotFound, match="unit 999 does not exist"):
        listing(engine, overdue.of_unit, office, 999)
    with pytest.raises(InvalidInput, match="first: must be between 1 and 500, got 0"):
        listing(engine, overdue.in_area, office, first=0)


def test_a_cooperating_unit_named_responsible_marks_its_rectification_done(engine, district):
    """The housing bureau does not lead this education project but was named responsible for one finding."""
    pid = started(engine, district)
    housing = district.units["housing"]
    recorded = inspect(engine, district, pid, findings=(finding(deadline="2024-03-31", unit_id=housing),))
    rid = recorded.rectifications[0].id
    done = mark_done(engine, district.actor("housing_clerk"), rid, "已补装护栏")
    assert (done.status, done.done_by) == ("done", district.actor("housing_clerk").id)
