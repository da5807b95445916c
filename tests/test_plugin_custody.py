"""Custody (管护) and the 回头看 review as records, over GraphQL: the hand-over opens the custody record and its
管护经费 funding line, custody inspections only during the period, the review deadline chased by the tick, the
checklist's failed items opening rectifications, and the listing of custody periods about to end."""
from __future__ import annotations

import datetime as dt

from engine.api.ids import to_global_id
from tests.test_lifecycle import (Clerks, approve, clerks, close_rectifications, rate,  # noqa: F401
                                  start, survey_from_one_address)

CUSTODY = """query($id: ID!) { project(id: $id) { custody { custodian responsibleUnit duties yearlyFunds startsOn
  endsOn reviews { event stillInUse maintained signage satisfaction satisfactionLabel findings } } } }"""
EXPIRING = """query($region: ID, $within: String!) { custodyExpiring(region: $region, within: $within) {
  projectId projectTitle custodian startsOn endsOn responsibleUnit yearlyFunds } }"""
INSPECT = """mutation($input: RecordInspectionInput!) { recordInspection(input: $input) {
  inspection { kind } userErrors { code message path } } }"""
PASSED = {"still_in_use": True, "maintained": True, "signage": True, "satisfaction": "satisfied"}
HAND_OVER = {"custodian": "城区第一小学", "responsible_unit": "县教育局", "duties": "日常巡查、定期维护",
             "maintenance_funding": "20000"}


def completed(clerks: Clerks, region: str = "county") -> str:
    """A project of the edu bureau taken through acceptance to 完工验收."""
    p = clerks.create(region=region)
    clerks.ok("county_finance", p, "assess", opinion="可行")
    approve(clerks, p)
    start(clerks, p)
    clerks.plugin("county_office", "recordInspection inspection { result }",
                  {"projectId": p, "kind": "ACCEPTANCE", "date": "2024-03-01", "result": "PASS"})
    assert clerks.ok("county_office", p, "complete", completion_date="2024-03-01") == "completed"
    return p


def handed_over(clerks: Clerks, region: str = "county", **fields) -> str:
    p = completed(clerks, region)
    assert clerks.ok("edu_clerk", p, "hand_over", **{**HAND_OVER, **fields}) == "handed_over"
    return p


def custody_of(clerks: Clerks, username: str | None, p: str) -> dict | None:
    return clerks.call(username, CUSTODY, {"id": p})["project"]["custody"]


def test_hand_over_opens_the_custody_record_for_three_years_and_its_maintenance_funding_line(clerks):
    p = completed(clerks)
    assert custody_of(clerks, "county_office", p) is None
    clerks.ok("edu_clerk", p, "hand_over", **HAND_OVER)
    assert custody_of(clerks, "county_office", p) == {
        "custodian": "城区第一小学", "responsibleUnit": "县教育局", "duties": "日常巡查、定期维护",
        "yearlyFunds": "20000.00", "startsOn": "2024-03-01", "endsOn": "2027-03-01", "reviews": []}  # 上管三年
    funding = clerks.call("county_finance", """query($id: ID!) { project(id: $id) { funding { planned inPlaceRate
        bySource { source planned } planLines { source label amount note } } } }""", {"id": p})["project"]["funding"]
    assert funding["planLines"][-1] == {"source": "MAINTENANCE", "label": "管护经费", "amount": "60000.00",
                                        "note": "年度管护经费 20,000.00 元 × 3 年（2024-03-01 至 2027-03-01）"}
    assert {"source": "MAINTENANCE", "planned": "60000.00"} in funding["bySource"]
    # the construction totals and 资金到位率 leave the custody's own money out
    assert (funding["planned"], funding["inPlaceRate"]) == ("3000000.00", "33.33")


def test_the_period_may_be_set_per_hand_over_and_no_funds_means_no_funding_line(clerks):
    p = completed(clerks)
    clerks.ok("edu_clerk", p, "hand_over", custodian="东城镇公共设施管护站", custody_years=5)
    custody = custody_of(clerks, "county_office", p)
    assert (custody["endsOn"], custody["yearlyFunds"], custody["duties"]) == ("2029-03-01", "0.00", None)
    sources = clerks.call("county_finance", "query($id: ID!) { project(id: $id) { funding { planLines { source } } } }",
                          {"id": p})["project"]["funding"]["planLines"]
    assert [s["source"] for s in sources] == ["COUNTY"]


def test_hand_over_refuses_bad_custody_fields_and_changes_nothing(clerks):
    p = completed(clerks)
    result = clerks.fire("edu_clerk", p, "hand_over", custodian="", maintenance_funding="-5", custody_years=0,
                         rules="旧字段")
    assert {tuple(e["path"]) for e in result["userErrors"]} == {
        ("input", "fields", "custodian"), ("input", "fields", "maintenance_funding"),
        ("input", "fields", "custody_years"), ("input", "fields", "rules")}
    assert custody_of(clerks, "county_office", p) is None
    state = clerks.call("county_office", "query($id: ID!) { project(id: $id) { state { name } } }", {"id": p})
    assert state["project"]["state"]["name"] == "completed"


def test_custody_inspections_only_during_the_custody_period(clerks, district):
    def inspect(p: str, day: str) -> list[dict]:
        data = clerks.call("supervisor", INSPECT, {"input": {"projectId": p, "kind": "CUSTODY", "date": day,
                                                             "result": "PASS"}})
        return data["recordInspection"]["userErrors"]

    p = completed(clerks)
    [before] = inspect(p, "2024-03-01")
    assert (before["path"], before["code"]) == (["input", "kind"], "INVALID_INPUT")
    assert "no custody period (管护期)" in before["message"]
    district.engine.clock.set("2024-06-01T09:00:00")
    clerks.ok("edu_clerk", p, "hand_over", **HAND_OVER)
    [early] = inspect(p, "2024-05-31")
    assert early["path"] == ["input", "date"]
    assert early["message"] == ("the inspection date 2024-05-31 is outside the custody period (管护期) from "
                                "2024-06-01 to 2027-06-01")
    assert inspect(p, "2024-06-01") == []
    district.engine.clock.set("2027-06-02T09:00:00")
    [late] = inspect(p, "2027-06-02")
    assert late["path"] == ["input", "date"]
    kinds = clerks.call("county_office", "query($id: ID!) { project(id: $id) { inspections(kind: CUSTODY) { kind } } }",
                        {"id": p})["project"]["inspections"]
    assert kinds == [{"kind": "CUSTODY"}]


def test_the_review_falls_due_a_year_after_hand_over_and_the_tick_chases_it(clerks, district):
    p = handed_over(clerks)
    engine = district.engine
    engine.tick(dt.date(2025, 2, 20))
    notices = """query($id: ID!) { project(id: $id) { notices { step dueOn deadline } } }"""
    assert clerks.call("county_office", notices, {"id": p})["project"]["notices"] == []
    engine.tick(dt.date(2025, 2, 24))  # five working days before 2025-03-01 (a Saturday)
    engine.tick(dt.date(2025, 2, 24))  # twice: nothing twice
    [warned] = clerks.call("county_office", notices, {"id": p})["project"]["notices"]
    assert (warned["step"], warned["dueOn"]) == ("warn", "2025-03-01")
    engine.tick(dt.date(2025, 3, 1))
    steps = [n["step"] for n in clerks.call("county_office", notices, {"id": p})["project"]["notices"]]
    assert steps == ["warn", "overdue"]


def test_a_failed_checklist_item_opens_a_rectification_and_blocks_the_plain_review(clerks):
    p = handed_over(clerks)
    result = clerks.fire("committee", p, "review", **{**PASSED, "signage": False})
    assert "the 回头看 checklist item 'signage' failed: 公示标识标牌缺失（signage: no）" in result["userErrors"][0]["message"]
    clerks.ok("committee", p, "fail_review", findings="东侧围栏损坏", deadline="2024-05-31",
              **{**PASSED, "maintained": False, "satisfaction": "dissatisfied"})
    data = clerks.call("county_office", """query($id: ID!) { project(id: $id) { state { name }
        rectifications { description deadline status } } }""", {"id": p})["project"]
    assert data["state"]["name"] == "rectifying"
    assert data["rectifications"] == [
        {"description": "回头看：日常管护不到位（maintained: no）。东侧围栏损坏", "deadline": "2024-05-31", "status": "OPEN"},
        {"description": "回头看：群众不满意（residents' satisfaction: 不满意）。东侧围栏损坏", "deadline": "2024-05-31",
         "status": "OPEN"}]
    [review] = custody_of(clerks, "county_office", p)["reviews"]
    assert review == {"event": "fail_review", "stillInUse": True, "maintained": False, "signage": True,
                      "satisfaction": "dissatisfied", "satisfactionLabel": "不满意", "findings": "东侧围栏损坏"}
    close_rectifications(clerks, p)
    assert clerks.ok("county_office", p, "rectified", report="已修复") == "handed_over"
    rate(clerks, p, 30)
    assert clerks.ok("committee", p, "review", findings="运行良好", **PASSED) == "reviewed"
    assert [r["event"] for r in custody_of(clerks, "county_office", p)["reviews"]] == ["fail_review", "review"]


def test_checklist_fields_are_required_and_checked(clerks):
    p = handed_over(clerks)
    result = clerks.fire("committee", p, "fail_review", findings="照明损坏", deadline="2024-05-31",
                         still_in_use="yes", satisfaction="很好")
    assert {tuple(e["path"]) for e in result["userErrors"]} == {
        ("input", "fields", n) for n in ("still_in_use", "maintained", "signage", "satisfaction")}
    assert custody_of(clerks, "county_office", p)["reviews"] == []


def test_custody_periods_about_to_end_listed_within_each_reader_s_reach(clerks, district):
    county = handed_over(clerks, "county")
    town = handed_over(clerks, "town_a", custodian="东城镇公共设施管护站", custody_years=4)
    region = to_global_id("Region", district.regions["county"])

    def listed(username: str | None, within: str = "90 days", in_region: str | None = region) -> list[str]:
        data = clerks.call(username, EXPIRING, {"region": in_region, "within": within})
        return [c["projectId"] for c in data["custodyExpiring"]]

    assert listed("county_office") == []
    district.engine.clock.set("2027-01-15T09:00:00")
    assert listed("county_office") == [county]
    assert listed("county_office", within="5 years") == [county, town]
    town_a = to_global_id("Region", district.regions["town_a"])
    assert listed("county_office", within="5 years", in_region=town_a) == [town]
    assert listed("edu_clerk", within="5 years") == [county, town]
    assert listed("housing_clerk", within="5 years") == []  # a unit sees its own projects only
    assert listed("town_a_office", within="5 years", in_region=None) == [town]
    assert listed("town_b_office", within="5 years", in_region=None) == []
    public = clerks.call(None, EXPIRING, {"region": region, "within": "5 years"})["custodyExpiring"]
    assert [(c["custodian"], c["endsOn"], c["responsibleUnit"], c["yearlyFunds"]) for c in public] == [
        ("城区第一小学", "2027-03-01", None, None), ("东城镇公共设施管护站", "2028-03-01", None, None)]
    assert custody_of(clerks, None, county)["reviews"] is None
    district.engine.clock.set("2027-03-02T09:00:00")
    assert listed("county_office", within="5 years") == [town]  # an ended period is no longer "about to end"


def test_expiring_refuses_a_bad_duration_and_an_unknown_region(clerks, gql):
    bad = gql("county_office", EXPIRING, {"region": None, "within": "soon"})
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert "soon" in bad["errors"][0]["message"]
    missing = gql("county_office", EXPIRING, {"region": to_global_id("Region", 9999), "within": "90 days"})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
