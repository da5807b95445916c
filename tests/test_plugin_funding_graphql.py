"""The funding plugin 资金 through GraphQL (POST /graphql): what finance, unit clerks, town officers and the
public see and may do, userErrors included."""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from engine.api.ids import to_global_id
from engine.core import Engine
from tests.district import District
from tests.test_plugin_funding import engine, fire, new_project  # noqa: F401 - the module's engine fixture

Gql = Callable[..., dict]

ERRORS = "userErrors { code message path }"
FIGURES = "planned received paid rewarded inPlaceRate disbursementRate"
SET_PLAN = f"""mutation($input: SetFundingPlanInput!) {{ setFundingPlan(input: $input) {{
    line {{ source kind label amount note setBy setAt }} funding {{ {FIGURES} }} {ERRORS} }} }}"""
RECEIVE = f"""mutation($input: RecordFundsReceivedInput!) {{ recordFundsReceived(input: $input) {{
    receipt {{ source kind label amount receivedOn documentNo recordedBy }} funding {{ {FIGURES} }} {ERRORS} }} }}"""
PAY = f"""mutation($input: RecordFundsPaidInput!) {{ recordFundsPaid(input: $input) {{
    payment {{ amount paidOn payee purpose recordedBy }} funding {{ {FIGURES} payments {{ payee }} }} {ERRORS} }} }}"""
REWARD = f"""mutation($input: RecordRewardInput!) {{ recordReward(input: $input) {{
    reward {{ amount reason grantedOn grantedBy }} funding {{ rewarded }} {ERRORS} }} }}"""
FUNDING = f"""query($id: ID!) {{ project(id: $id) {{ funding {{ {FIGURES}
    bySource {{ source label planned received inPlaceRate }}
    planLines {{ source amount setBy }} receipts {{ amount documentNo }} payments {{ amount payee }}
    rewards {{ amount reason }} }} }} }}"""
ROLLUP = f"""query($region: ID, $year: Int) {{ fundingRollup(region: $region, year: $year) {{ region regionName
    year projectCount budget {FIGURES} bySource {{ source planned received }} }} }}"""


def gid(project_id: int) -> str:
    return to_global_id("Project", project_id)


def mutate(gql: Gql, username: str, query: str, field: str, **values: Any) -> dict:
    body = gql(username, query, {"input": values})
    assert "errors" not in body, body
    return body["data"][field]


def test_set_funding_plan(gql: Gql, district: District) -> None:
    pid = new_project(district)
    result = mutate(gql, "county_finance", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="CENTRAL",
                    amount="2000000")
    assert result["userErrors"] == []
    assert result["line"] == {"source": "CENTRAL", "kind": None, "label": "中央资金", "amount": "2000000.00",
                              "note": "", "setBy": "county_finance", "setAt": "2024-03-01T09:00:00"}
    result = mutate(gql, "county_office", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="SOCIAL",
                    kind="DONATION", amount=500000.5, note="企业捐赠")
    assert (result["line"]["label"], result["line"]["amount"]) == ("社会资本（捐赠）", "500000.50")
    assert result["funding"]["planned"] == "2500000.50"


@pytest.mark.parametrize("username, values, error", [
    ("edu_clerk", {"source": "CENTRAL", "amount": "1"},
     {"code": "FORBIDDEN", "path": [], "message": "only 财政/发改/民生办 (finance) or 政府办/督查室 (office) may set "
                                                  "a project's funding plan (资金筹措计划)"}),
    ("county_finance", {"source": "CENTRAL", "amount": "1.234"},
     {"code": "INVALID_INPUT", "path": ["input", "amount"],
      "message": "must have at most two decimal places (yuan and fen), got 1.234"}),
    ("county_finance", {"source": "SOCIAL", "amount": "1"},
     {"code": "INVALID_INPUT", "path": ["input", "kind"],
      "message": "social capital (社会资本) needs a kind: donation (捐赠), sponsorship (赞助), naming_rights (冠名)"}),
    ("town_b_office", {"source": "TOWN", "amount": "1"},
     {"code": "NOT_FOUND", "path": ["input", "projectId"], "message": "project {pid} does not exist"}),
])
def test_set_funding_plan_user_errors(gql: Gql, district: District, username: str, values: dict,
                                      error: dict) -> None:
    pid = new_project(district, region="town_a")
    result = mutate(gql, username, SET_PLAN, "setFundingPlan", projectId=gid(pid), **values)
    assert result["userErrors"] == [{**error, "message": error["message"].format(pid=pid)}]
    assert (result["line"], result["funding"]) == (None, None)
    after = gql("county_finance", FUNDING, {"id": gid(pid)})["data"]["project"]["funding"]
    assert (after["planned"], after["planLines"]) == ("0.00", [])


def test_a_project_id_of_another_type_is_refused(gql: Gql, district: District) -> None:
    result = mutate(gql, "county_finance", SET_PLAN, "setFundingPlan", source="TOWN", amount="1",
                    projectId=to_global_id("Region", district.regions["county"]))
    assert result["userErrors"][0]["code"] == "INVALID_INPUT"
    assert result["userErrors"][0]["path"] == ["input", "projectId"]


def test_funds_received_and_paid_with_the_published_disbursement_rate(gql: Gql, district: District) -> None:
    pid = new_project(district)
    mutate(gql, "county_finance", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="COUNTY", amount="50")
    received = mutate(gql, "edu_clerk", RECEIVE, "recordFundsReceived", projectId=gid(pid), source="COUNTY",
                      amount="42.93", receivedOn="2024-02-27", documentNo="财预〔2024〕8号")
    assert received["userErrors"] == []
    assert received["receipt"] == {"source": "COUNTY", "kind": None, "label": "县区配套", "amount": "42.93",
                                   "receivedOn": "2024-02-27", "documentNo": "财预〔2024〕8号",
                                   "recordedBy": "edu_clerk"}
    paid = mutate(gql, "edu_clerk", PAY, "recordFundsPaid", projectId=gid(pid), amount="42.72",
                  payee="县第一建筑公司", purpose="工程进度款")
    assert paid["payment"] == {"amount": "42.72", "paidOn": "2024-03-01", "payee": "县第一建筑公司",
                               "purpose": "工程进度款", "recordedBy": "edu_clerk"}
    assert paid["funding"] == {"planned": "50.00", "received": "42.93", "paid": "42.72", "rewarded": "0.00",
                               "inPlaceRate": "85.86", "disbursementRate": "99.51",
                               "payments": [{"payee": "县第一建筑公司"}]}


def test_overpayment_is_refused_through_graphql_and_nothing_is_written(gql: Gql, district: District) -> None:
    pid = new_project(district)
    mutate(gql, "county_finance", RECEIVE, "recordFundsReceived", projectId=gid(pid), source="CENTRAL",
           amount="1000")
    refused = mutate(gql, "county_finance", PAY, "recordFundsPaid", projectId=gid(pid), amount="1000.01",
                     payee="施工单位")
    assert refused["userErrors"] == [{"code": "INVALID_INPUT", "path": ["input", "amount"], "message": (
        "paying out 1,000.01 yuan would exceed the funds received: 1,000.00 yuan received, 0.00 already paid out, "
        "1,000.00 available")}]
    assert (refused["payment"], refused["funding"]) == (None, None)
    after = gql("county_finance", FUNDING, {"id": gid(pid)})["data"]["project"]["funding"]
    assert (after["paid"], after["payments"]) == ("0.00", [])


def test_another_units_clerk_may_not_record_funds(gql: Gql, district: District) -> None:
    pid = new_project(district)  # led by edu
    result = mutate(gql, "housing_clerk", RECEIVE, "recordFundsReceived", projectId=gid(pid), source="COUNTY",
                    amount="1")
    assert result["userErrors"] == [{"code": "NOT_FOUND", "path": ["input", "projectId"],
                                     "message": f"project {pid} does not exist"}]


def test_record_reward(gql: Gql, district: District) -> None:
    pid = new_project(district)
    result = mutate(gql, "committee", REWARD, "recordReward", projectId=gid(pid), amount="65000",
                    reason="年度考评优良", grantedOn="2024-02-29")
    assert result == {"reward": {"amount": "65000.00", "reason": "年度考评优良", "grantedOn": "2024-02-29",
                                 "grantedBy": "committee"}, "funding": {"rewarded": "65000.00"}, "userErrors": []}
    refused = mutate(gql, "county_office", REWARD, "recordReward", projectId=gid(pid), amount="1")
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]


def funded_published_project(gql: Gql, engine: Engine, district: District) -> int:
    pid = new_project(district, budget="100")
    mutate(gql, "county_finance", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="MUNICIPAL", amount="100")
    fire(engine, district, "committee", pid, "approve")
    mutate(gql, "county_finance", RECEIVE, "recordFundsReceived", projectId=gid(pid), source="MUNICIPAL",
           amount="80", documentNo="临财建〔2024〕5号")
    mutate(gql, "county_finance", PAY, "recordFundsPaid", projectId=gid(pid), amount="60", payee="县第一建筑公司")
    mutate(gql, "committee", REWARD, "recordReward", projectId=gid(pid), amount="5", reason="考评优良")
    return pid


def test_the_public_sees_totals_and_rates_but_no_payees_or_document_numbers(gql: Gql, engine: Engine,
                                                                            district: District) -> None:
    pid = funded_published_project(gql, engine, district)
    body = gql(None, FUNDING, {"id": gid(pid)})
    funding = body["data"]["project"]["funding"]
    assert {k: funding[k] for k in FIGURES.split()} == {
        "planned": "100.00", "received": "80.00", "paid": "60.00", "rewarded": "5.00", "inPlaceRate": "80.00",
        "disbursementRate": "75.00"}
    municipal = next(s for s in funding["bySource"] if s["source"] == "MUNICIPAL")
    assert municipal == {"source": "MUNICIPAL", "label": "市级资金", "planned": "100.00", "received": "80.00",
                         "inPlaceRate": "80.00"}
    assert [funding[k] for k in ("planLines", "receipts", "payments", "rewards")] == [None, None, None, None]
    text = json.dumps(body, ensure_ascii=False)
    assert "县第一建筑公司" not in text and "临财建" not in text and "county_finance" not in text
    inside = gql("deputy", FUNDING, {"id": gid(pid)})["data"]["project"]["funding"]
    assert inside["receipts"] == [{"amount": "80.00", "documentNo": "临财建〔2024〕5号"}]
    assert inside["payments"] == [{"amount": "60.00", "payee": "县第一建筑公司"}]
    assert inside["planLines"] == [{"source": "MUNICIPAL", "amount": "100.00", "setBy": "county_finance"}]
    assert inside["rewards"] == [{"amount": "5.00", "reason": "考评优良"}]


def test_funding_rollup_is_scoped_to_the_readers_area(gql: Gql, district: District) -> None:
    for region, amount in [("town_a", "100"), ("village_a1", "20"), ("town_b", "7000")]:
        pid = new_project(district, region=region)
        mutate(gql, "county_finance", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="TOWN", amount=amount)
        mutate(gql, "county_finance", RECEIVE, "recordFundsReceived", projectId=gid(pid), source="TOWN",
               amount=amount)
    town_a = gql("town_a_office", ROLLUP, {"year": 2024})["data"]["fundingRollup"]
    assert (town_a["region"], town_a["regionName"], town_a["projectCount"], town_a["received"],
            town_a["inPlaceRate"]) == (to_global_id("Region", district.regions["town_a"]), "东城镇", 2, "120.00",
                                       "100.00")
    town = next(s for s in town_a["bySource"] if s["source"] == "TOWN")
    assert town == {"source": "TOWN", "planned": "120.00", "received": "120.00"}
    county = gql("county_finance", ROLLUP)["data"]["fundingRollup"]
    assert (county["projectCount"], county["planned"], county["year"]) == (3, "7120.00", None)
    outside = gql("town_a_office", ROLLUP, {"region": to_global_id("Region", district.regions["town_b"])})
    assert outside["errors"][0]["extensions"] == {"code": "NOT_FOUND", "inputPath": ["region"]}
    assert outside["data"] is None


def test_the_publics_rollup_needs_a_region_and_counts_published_projects(gql: Gql, engine: Engine,
                                                                        district: District) -> None:
    funded_published_project(gql, engine, district)
    draft = new_project(district, budget="100")
    mutate(gql, "county_finance", SET_PLAN, "setFundingPlan", projectId=gid(draft), source="COUNTY", amount="100")
    body = gql(None, ROLLUP)
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "inputPath": ["region"]}
    assert body["errors"][0]["message"] == "name the region to roll up (the public has no home region)"
    public = gql(None, ROLLUP, {"region": to_global_id("Region", district.regions["county"]), "year": 2024})
    rolled = public["data"]["fundingRollup"]
    assert (rolled["projectCount"], rolled["planned"], rolled["received"], rolled["paid"],
            rolled["disbursementRate"]) == (1, "100.00", "80.00", "60.00", "75.00")


FIRE = """mutation($input: FireTransitionInput!) { fireTransition(input: $input) { toState
    userErrors { code message path } } }"""


def test_guard_reasons_reach_the_client(gql: Gql, district: District) -> None:
    pid = new_project(district)
    mutate(gql, "county_finance", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="CENTRAL",
           amount="2500000")
    result = mutate(gql, "committee", FIRE, "fireTransition", projectId=gid(pid), event="approve", fields={})
    assert result == {"toState": None, "userErrors": [{"code": "GUARD_FAILED", "path": ["input", "event"], "message": (
        "the funding plan covers 2,500,000.00 of the 3,000,000.00 yuan budget (83.33%); it must cover all of it")}]}
    mutate(gql, "county_finance", SET_PLAN, "setFundingPlan", projectId=gid(pid), source="COUNTY", amount="500000")
    mutate(gql, "county_finance", RECEIVE, "recordFundsReceived", projectId=gid(pid), source="CENTRAL",
           amount="600000")
    assert mutate(gql, "committee", FIRE, "fireTransition", projectId=gid(pid), event="approve",
                  fields={})["toState"] == "approved"
    result = mutate(gql, "edu_clerk", FIRE, "fireTransition", projectId=gid(pid), event="start", fields={})
    assert result["userErrors"] == [{"code": "GUARD_FAILED", "path": ["input", "event"], "message": (
        "funds in place 20.00% of the plan (600,000.00 of 3,000,000.00 yuan), at least 30% required")}]
