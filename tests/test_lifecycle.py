"""The default 民生实事 lifecycle and every side path, driven over GraphQL by the people who would act.

Each step goes through `fireTransition` as the actor whose role the workflow names; the plugins' guards block
until their records exist (funding plan, funds in place, acceptance, rectifications, satisfaction ratings).
"""
from __future__ import annotations

import pytest

from engine.api.ids import to_global_id

FIRE = """mutation($input: FireTransitionInput!) { fireTransition(input: $input) {
  fromState toState project { state { name label } version } userErrors { code message path } } }"""

# the 回头看 checklist (plugins.custody), every item passed
CHECKLIST_PASSED = {"still_in_use": True, "maintained": True, "signage": True, "satisfaction": "satisfied"}

OPTIONS = """query($id: ID!) { project(id: $id) { state { name }
  availableTransitions { event allowed reasons } } }"""


class Clerks:
    """The people of the test district acting on one project over GraphQL."""

    def __init__(self, gql, district) -> None:
        self.gql, self.district = gql, district

    def create(self, region: str = "county", budget: str = "3000000.00") -> str:
        data = self.call("county_office", """mutation($input: CreateProjectInput!) { createProject(input: $input) {
            project { id state { name } } userErrors { code message } } }""", {"input": {
            "regionId": to_global_id("Region", self.district.regions[region]), "title": "城区学校运动场改造",
            "year": 2024, "category": "教育", "budget": budget, "leadUnitId": to_global_id("Unit", self.district.units["edu"])}})
        assert data["createProject"]["userErrors"] == []
        return data["createProject"]["project"]["id"]

    def call(self, username: str | None, query: str, variables: dict) -> dict:
        response = self.gql(username, query, variables)
        assert "errors" not in response, response
        return response["data"]

    def fire(self, username: str, project: str, event: str, **fields) -> dict:
        payload = self.call(username, FIRE, {"input": {"projectId": project, "event": event, "fields": fields}})
        return payload["fireTransition"]

    def ok(self, username: str, project: str, event: str, **fields) -> str:
        result = self.fire(username, project, event, **fields)
        assert result["userErrors"] == [], result["userErrors"]
        return result["toState"]

    def blocked(self, username: str, project: str, event: str, **fields) -> list[str]:
        result = self.fire(username, project, event, **fields)
        assert {e["code"] for e in result["userErrors"]} == {"GUARD_FAILED"}, result
        return [e["message"] for e in result["userErrors"]]

    def plugin(self, username: str | None, mutation: str, input: dict) -> dict:
        name = mutation.split(" ", 1)[0]
        data = self.call(username, f"mutation($input: {name[0].upper()}{name[1:]}Input!) "
                                   f"{{ {name}(input: $input) {{ {mutation.split(' ', 1)[1]} userErrors {{ code message }} }} }}",
                         {"input": input})
        assert data[name]["userErrors"] == [], data[name]["userErrors"]
        return data[name]

    def reasons(self, username: str, project: str) -> dict[str, list[str]]:
        options = self.call(username, OPTIONS, {"id": project})["project"]["availableTransitions"]
        return {o["event"]: o["reasons"] for o in options}


@pytest.fixture
def clerks(gql, district) -> Clerks:
    return Clerks(gql, district)


def approve(clerks: Clerks, project: str) -> None:
    clerks.plugin("county_finance", "setFundingPlan line { amount }",
                  {"projectId": project, "source": "COUNTY", "amount": "3000000.00"})
    clerks.ok("committee", project, "approve", decision_body="平安县人大常委会", vote_date="2024-01-20", present=29,
              votes_for=28, votes_against=1, votes_abstain=0)


def start(clerks: Clerks, project: str) -> None:
    clerks.plugin("county_finance", "recordFundsReceived receipt { amount }",
                  {"projectId": project, "source": "COUNTY", "amount": "1000000.00", "documentNo": "平财〔2024〕12号"})
    clerks.ok("edu_clerk", project, "start", start_date="2024-03-01")


def close_rectifications(clerks: Clerks, project: str) -> None:
    data = clerks.call("county_office", "query($id: ID!) { project(id: $id) { rectifications { id status } } }",
                       {"id": project})
    for item in data["project"]["rectifications"]:
        if item["status"] == "OPEN":
            clerks.plugin("edu_clerk", "markRectificationDone rectification { status }",
                          {"rectificationId": item["id"], "note": "已整改"})
        if item["status"] != "VERIFIED":
            clerks.plugin("supervisor", "verifyRectification rectification { status }",
                          {"rectificationId": item["id"], "note": "现场核验"})


@pytest.fixture(autouse=True)
def survey_from_one_address(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every resident here calls from the test client's one address: allow a whole survey from it."""
    monkeypatch.setenv("MINSHENG_SATISFACTION_RATINGS_PER_ADDRESS", "100/60")
    monkeypatch.setenv("MINSHENG_SATISFACTION_TOKENS_PER_ADDRESS", "100/60")


def rate(clerks: Clerks, project: str, count: int) -> None:
    """``count`` residents get a device token, wait the minimum age, and rate the project 满意."""
    issued = [clerks.call(None, "mutation { issueDeviceToken { token } }", {})["issueDeviceToken"]["token"]
              for _ in range(count)]
    clerks.district.engine.clock.advance(seconds=5)
    for token in issued:
        clerks.plugin(None, "rateProject rating { verdict }",
                      {"projectId": project, "verdict": "SATISFIED", "deviceToken": token})


def test_the_whole_default_lifecycle(clerks: Clerks):
    p = clerks.create()
    assert clerks.ok("county_finance", p, "assess", opinion="必要且可行", score=92) == "assessed"
    assert clerks.blocked("committee", p, "approve", decision_body="平安县人大常委会", vote_date="2024-01-20") == [
        "no funding plan (资金筹措计划) has been set; it must cover the 3,000,000.00 yuan budget"]
    approve(clerks, p)
    assert clerks.blocked("edu_clerk", p, "start", start_date="2024-03-01") == [
        "funds in place 0.00% of the plan (0.00 of 3,000,000.00 yuan), at least 30% required"]
    start(clerks, p)
    assert clerks.reasons("county_office", p)["complete"] == [
        "no acceptance inspection (验收) has been recorded"]
    clerks.plugin("county_office", "recordInspection inspection { result }",
                  {"projectId": p, "kind": "ACCEPTANCE", "date": "2024-03-01", "result": "PASS", "inspectors": ["王工"]})
    assert clerks.ok("county_office", p, "complete", completion_date="2024-03-01") == "completed"
    assert clerks.ok("edu_clerk", p, "hand_over", custodian="城区第一小学", maintenance_funding="20000") == "handed_over"
    assert clerks.blocked("committee", p, "review", **CHECKLIST_PASSED) == [
        "only 0 valid satisfaction responses (满意度测评), at least 30 required"]
    rate(clerks, p, 30)
    assert clerks.ok("committee", p, "review", findings="运行良好", **CHECKLIST_PASSED) == "reviewed"
    data = clerks.call("county_office", """query($id: ID!) { project(id: $id) { state { name label } version
        funding { rewarded } history(kinds: ["create", "transition"]) { event }
        records: history(first: 100) { kind event } } }""", {"id": p})["project"]
    assert data["state"] == {"name": "reviewed", "label": "回头看"}
    assert data["funding"]["rewarded"] == "100000.00"  # the top grade's reward subsidy (奖补)
    assert [h["event"] for h in data["history"]] == ["review", "hand_over", "complete", "start", "approve",
                                                     "assess", "create"]
    # the whole history also holds every funding, inspection and rating record, the reward just after the review
    kinds = [(r["kind"], r["event"]) for r in data["records"]]
    assert kinds[0] == ("funding", "record_reward") and kinds[1] == ("transition", "review")
    assert {"funding", "inspection", "rating"} <= {kind for kind, _ in kinds}


def test_failed_acceptance_goes_through_rectification_and_back(clerks: Clerks):
    p = clerks.create()
    clerks.ok("county_finance", p, "assess", opinion="可行")
    approve(clerks, p)
    start(clerks, p)
    assert clerks.ok("supervisor", p, "fail_acceptance", findings="跑道排水不畅", deadline="2024-04-30") == "rectifying"
    assert clerks.blocked("edu_clerk", p, "rectified", report="已整改") == [
        "1 rectification (整改) is still open (earliest deadline 2024-04-30)"]
    close_rectifications(clerks, p)
    assert clerks.ok("edu_clerk", p, "rectified", report="已整改") == "in_progress"  # back to where it was


def test_failed_review_goes_back_to_management_after_rectification(clerks: Clerks):
    p = clerks.create()
    clerks.ok("county_finance", p, "assess", opinion="可行")
    approve(clerks, p)
    start(clerks, p)
    clerks.plugin("county_office", "recordInspection inspection { result }",
                  {"projectId": p, "kind": "ACCEPTANCE", "date": "2024-03-01", "result": "PASS"})
    clerks.ok("county_office", p, "complete", completion_date="2024-03-01")
    clerks.ok("edu_clerk", p, "hand_over", custodian="城区第一小学")
    assert clerks.ok("committee", p, "fail_review", findings="照明损坏", deadline="2024-05-31",
                     **CHECKLIST_PASSED) == "rectifying"
    close_rectifications(clerks, p)
    assert clerks.ok("county_office", p, "rectified", report="已修复") == "handed_over"


def test_rejected_at_screening(clerks: Clerks):
    p = clerks.create()
    assert clerks.ok("county_office", p, "reject", reason="不属于民生实事范围") == "rejected"
    assert clerks.reasons("county_office", p) == {}  # a final state has no way out


def test_suspended_resumed_to_where_it_was_then_terminated(clerks: Clerks):
    p = clerks.create()
    clerks.ok("county_finance", p, "assess", opinion="可行")
    approve(clerks, p)
    start(clerks, p)
    assert clerks.ok("county_office", p, "suspend", reason="用地调整") == "suspended"
    assert clerks.ok("committee", p, "resume", decision_no="平人常〔2024〕9号") == "in_progress"
    assert clerks.ok("county_office", p, "suspend", reason="资金缺口") == "suspended"
    assert clerks.ok("committee", p, "terminate", decision_no="平人常〔2024〕11号", reason="规划调整") == "terminated"


def test_dynamic_adjustment_needs_the_standing_committee(clerks: Clerks):
    p = clerks.create()
    clerks.ok("county_finance", p, "assess", opinion="可行")
    approve(clerks, p)
    result = clerks.fire("county_office", p, "adjust", decision_no="X", scope="缩减")
    assert [(e["code"], e["message"]) for e in result["userErrors"]] == [("FORBIDDEN", "only 人大常委会 may 动态调整")]
    assert clerks.ok("committee", p, "adjust", decision_no="平人常〔2024〕5号", scope="增加照明") == "approved"


def test_a_blocked_transition_lists_all_its_reasons(clerks: Clerks):
    p = clerks.create()
    clerks.ok("county_finance", p, "assess", opinion="可行")
    approve(clerks, p)
    start(clerks, p)
    clerks.ok("supervisor", p, "fail_acceptance", findings="排水", deadline="2024-04-30")
    close_rectifications(clerks, p)
    clerks.ok("edu_clerk", p, "rectified", report="已整改")
    clerks.plugin("county_office", "recordInspection inspection { result }",
                  {"projectId": p, "kind": "ACCEPTANCE", "date": "2024-03-01", "result": "FAIL",
                   "findings": [{"description": "围栏缺失", "deadline": "2024-06-30"}]})
    assert clerks.blocked("county_office", p, "complete", completion_date="2024-03-01") == [
        "the latest acceptance inspection on 2024-03-01 failed",
        "1 rectification (整改) is still open (earliest deadline 2024-06-30)"]
