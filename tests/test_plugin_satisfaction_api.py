"""The satisfaction plugin through GraphQL over HTTP: what residents, officials and the public see."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from engine.api.ids import to_global_id
from tests.test_plugin_satisfaction_support import DEVICE, Survey, add_answers, issue_token, survey, table

__all__ = ["survey"]  # the fixture, imported so pytest finds it

Gql = Callable[..., dict]

RATE = """mutation($input: RateProjectInput!) { rateProject(input: $input) {
  rating { projectId kind score verdict verdictLabel ratedAt } userErrors { code message path } } }"""

VOTE = """mutation($input: RecordDeputyVoteInput!) { recordDeputyVote(input: $input) {
  vote { body votedOn expected present quorumMet satisfied basicallySatisfied dissatisfied verdict verdictLabel }
  userErrors { code message path } } }"""

SATISFACTION = """query($id: ID!) { project(id: $id) { satisfaction {
  responses satisfied basicallySatisfied dissatisfied scoredResponses rate meanScore
  byKind { kind label responses rate meanScore }
  latestGrade { grade label rate responses bands rewardAmount rectificationDays gradedAt }
  deputyVotes { present satisfied basicallySatisfied dissatisfied verdict verdictLabel quorumMet } } } }"""

ROLLUP = """query($region: ID, $year: Int) { satisfactionRollup(region: $region, year: $year) {
  responses satisfied basicallySatisfied dissatisfied rate meanScore projects } }"""


def gid(project_id: int) -> str:
    return to_global_id("Project", project_id)


def rate(gql: Gql, who: str | None, project_id: int, **answer: Any) -> dict:
    body = gql(who, RATE, {"input": {"projectId": gid(project_id), **answer}})
    assert "errors" not in body, body
    return body["data"]["rateProject"]


def errors(result: dict) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["path"]) for e in result["userErrors"]]


def test_anonymous_resident_rates_over_http_once_per_device(gql: Gql, survey: Survey) -> None:
    pid = survey.project()
    device, other = issue_token(gql), issue_token(gql)
    survey.engine.clock.advance(seconds=5)  # the default minimum age of a token
    first = rate(gql, None, pid, score=80, deviceToken=device)
    assert first == {"rating": {"projectId": gid(pid), "kind": "RESIDENT", "score": 80, "verdict": "SATISFIED",
                                "verdictLabel": "满意", "ratedAt": "2024-03-01T09:00:05"}, "userErrors": []}
    again = rate(gql, None, pid, verdict="DISSATISFIED", deviceToken=device)
    assert again["rating"] is None
    assert errors(again) == [("CONFLICT", ["input", "deviceToken"])]
    assert "already rated" in again["userErrors"][0]["message"]
    assert rate(gql, None, pid, verdict="BASICALLY_SATISFIED", deviceToken=other)["userErrors"] == []
    stored = table(survey.engine, "satisfaction_rating")
    assert [(r["rater_kind"], r["actor_id"]) for r in stored] == [("resident", None), ("resident", None)]
    assert all(device not in str(r) and other not in str(r) for r in stored)


def test_public_cannot_rate_an_unpublished_project(gql: Gql, survey: Survey) -> None:
    draft = survey.project(publish=False)
    device = issue_token(gql)
    survey.engine.clock.advance(seconds=5)
    result = rate(gql, None, draft, score=100, deviceToken=device)
    assert errors(result) == [("NOT_FOUND", ["input", "projectId"])]
    assert table(survey.engine, "satisfaction_rating") == []


@pytest.mark.parametrize("answer, expected", [
    ({"score": 100}, [("INVALID_INPUT", ["input", "deviceToken"])]),
    ({"score": 100, "deviceToken": "abc"}, [("INVALID_INPUT", ["input", "deviceToken"])]),
    ({"score": 90, "deviceToken": DEVICE}, [("INVALID_INPUT", ["input", "score"])]),
    ({"deviceToken": DEVICE}, [("INVALID_INPUT", ["input", "score"])]),
    ({"score": 60, "verdict": "SATISFIED", "deviceToken": DEVICE}, [("INVALID_INPUT", ["input", "verdict"])]),
])
def test_rating_input_errors(gql: Gql, survey: Survey, answer: dict, expected: list) -> None:
    assert errors(rate(gql, None, survey.project(), **answer)) == expected


def test_bad_project_id_is_invalid_input(gql: Gql, survey: Survey) -> None:
    body = gql(None, RATE, {"input": {"projectId": to_global_id("Region", 1), "score": 100, "deviceToken": DEVICE}})
    assert errors(body["data"]["rateProject"]) == [("INVALID_INPUT", ["input", "projectId"])]


def test_supervisor_and_deputy_rate_with_their_token(gql: Gql, survey: Survey) -> None:
    pid = survey.project()
    assert rate(gql, "supervisor", pid, score=40)["rating"]["kind"] == "SUPERVISOR"
    assert rate(gql, "deputy", pid, verdict="SATISFIED")["rating"]["kind"] == "DEPUTY"
    assert errors(rate(gql, "deputy", pid, score=100)) == [("CONFLICT", ["input", "projectId"])]
    assert errors(rate(gql, "county_finance", pid, score=100)) == [("FORBIDDEN", ["input", "projectId"])]
    town_project = survey.project(region="town_a")
    assert errors(rate(gql, "town_b_supervisor", town_project, score=100)) == [("NOT_FOUND", ["input", "projectId"])]


def test_committee_records_a_deputies_vote(gql: Gql, survey: Survey) -> None:
    pid = survey.project()
    variables = {"input": {"projectId": gid(pid), "present": 29, "expected": 35, "satisfied": 17,
                           "basicallySatisfied": 11, "dissatisfied": 1, "votedOn": "2024-02-28"}}
    result = gql("committee", VOTE, variables)["data"]["recordDeputyVote"]
    assert result == {"vote": {"body": "人大常委会", "votedOn": "2024-02-28", "expected": 35, "present": 29,
                               "quorumMet": True, "satisfied": 17, "basicallySatisfied": 11, "dissatisfied": 1,
                               "verdict": "SATISFIED", "verdictLabel": "满意"}, "userErrors": []}
    assert errors(gql("deputy", VOTE, variables)["data"]["recordDeputyVote"]) == [
        ("FORBIDDEN", ["input", "projectId"])]
    too_many = {"input": {**variables["input"], "satisfied": 20, "basicallySatisfied": 10}}
    refused = gql("committee", VOTE, too_many)["data"]["recordDeputyVote"]
    assert errors(refused) == [("INVALID_INPUT", ["input", "dissatisfied"])]
    assert refused["userErrors"][0]["message"] == "31 votes were cast but only 29 members were present"


def test_project_satisfaction_after_review_as_the_public_sees_it(gql: Gql, survey: Survey) -> None:
    pid = survey.project()
    add_answers(survey.engine, pid, satisfied=27, basic=1, dissatisfied=1, scores=[100, 20])
    device = issue_token(gql)
    survey.engine.clock.advance(seconds=5)
    assert rate(gql, None, pid, score=60, deviceToken=device)["userErrors"] == []
    assert rate(gql, "deputy", pid, verdict="SATISFIED")["userErrors"] == []
    gql("committee", VOTE, {"input": {"projectId": gid(pid), "present": 29, "expected": 35, "satisfied": 10,
                                      "basicallySatisfied": 10, "dissatisfied": 9}})
    survey.fire("committee", pid, "review")  # 30 favourable of 33 answers: 90.91% → 优良
    body = gql(None, SATISFACTION, {"id": gid(pid)})
    assert "errors" not in body, body
    data = body["data"]["project"]["satisfaction"]
    assert {k: data[k] for k in ("responses", "satisfied", "basicallySatisfied", "dissatisfied", "scoredResponses",
                                 "rate", "meanScore")} == {
        "responses": 33, "satisfied": 29, "basicallySatisfied": 2, "dissatisfied": 2, "scoredResponses": 3,
        "rate": "93.94", "meanScore": "60.00"}
    assert data["byKind"] == [
        {"kind": "RESIDENT", "label": "群众", "responses": 32, "rate": "93.75", "meanScore": "60.00"},
        {"kind": "SUPERVISOR", "label": "监督员", "responses": 0, "rate": None, "meanScore": None},
        {"kind": "DEPUTY", "label": "人大代表", "responses": 1, "rate": "100.00", "meanScore": None}]
    assert data["latestGrade"] == {"grade": "TOP", "label": "优良", "rate": "93.94", "responses": 33,
                                   "bands": ["90.00", "75.00"], "rewardAmount": _reward(survey),
                                   "rectificationDays": None, "gradedAt": "2024-03-01T09:00:05"}
    assert data["deputyVotes"] == [{"present": 29, "satisfied": 10, "basicallySatisfied": 10, "dissatisfied": 9,
                                    "verdict": "BASICALLY_SATISFIED", "verdictLabel": "基本满意", "quorumMet": True}]


def _reward(survey: Survey) -> str | None:
    """A top grade's reward shows only when the funding plugin granted it."""
    return "100000.00" if "funding.grant_reward" in survey.engine.catalog.actions else None


def test_public_cannot_read_satisfaction_of_an_unpublished_project(gql: Gql, survey: Survey) -> None:
    draft = survey.project(publish=False)
    add_answers(survey.engine, draft, satisfied=3)
    body = gql(None, SATISFACTION, {"id": gid(draft)})
    assert body == {"data": {"project": None}}
    seen = gql("county_office", SATISFACTION, {"id": gid(draft)})["data"]["project"]["satisfaction"]
    assert seen["responses"] == 3


def test_rollup_by_region_and_year(gql: Gql, survey: Survey) -> None:
    town_a, village = survey.project(region="town_a"), survey.project(region="village_a1")
    town_b, draft = survey.project(region="town_b"), survey.project(region="town_a", publish=False)
    add_answers(survey.engine, town_a, satisfied=1500, basic=90, dissatisfied=10, scores=[80, 40])
    add_answers(survey.engine, village, satisfied=1545, dissatisfied=53)  # with town_a: 3,200 answers, 98%
    add_answers(survey.engine, town_b, dissatisfied=40)
    add_answers(survey.engine, draft, dissatisfied=60)
    region = to_global_id("Region", survey.district.regions["town_a"])
    office = gql("county_office", ROLLUP, {"region": region, "year": 2024})["data"]["satisfactionRollup"]
    assert office == {"responses": 3260, "satisfied": 3046, "basicallySatisfied": 90, "dissatisfied": 124,
                      "rate": "96.20", "meanScore": "60.00", "projects": 3}
    public = gql(None, ROLLUP, {"region": region, "year": 2024})["data"]["satisfactionRollup"]
    assert (public["responses"], public["rate"], public["projects"]) == (3200, "98.00", 2)
    assert gql("county_office", ROLLUP, {"region": region, "year": 2023})["data"]["satisfactionRollup"][
        "responses"] == 0
    town_b_office = gql("town_b_office", ROLLUP)["data"]["satisfactionRollup"]
    assert (town_b_office["responses"], town_b_office["rate"]) == (40, "0.00")


def test_rollup_of_a_region_outside_the_area_is_an_error(gql: Gql, survey: Survey) -> None:
    region = to_global_id("Region", survey.district.regions["town_a"])
    body = gql("town_b_office", ROLLUP, {"region": region})
    assert body["data"] is None
    (error,) = body["errors"]
    assert (error["message"], error["extensions"]["code"]) == (
        f"region {survey.district.regions['town_a']} does not exist", "NOT_FOUND")


def test_schema_has_the_plugin_fields(gql: Gql, survey: Survey) -> None:
    body = gql(None, """{ q: __type(name: "Query") { fields { name } } m: __type(name: "Mutation") { fields { name } }
      p: __type(name: "Project") { fields { name } } }""")
    names = {k: {f["name"] for f in v["fields"]} for k, v in body["data"].items()}
    assert "satisfactionRollup" in names["q"]
    assert {"rateProject", "recordDeputyVote"} <= names["m"]
    assert "satisfaction" in names["p"]
