"""Survey rounds 调查轮次 (issue 11, item 7) over HTTP: once per device per round, the rectification loop opening a
second round that unblocks the review, deputies' vote sessions in the weighted deputy share, refusals, scoping."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from engine.api.ids import to_global_id
from tests.test_plugin_satisfaction_support import Survey, add_answers, issue_token, survey, table

__all__ = ["survey"]  # the fixture, imported so pytest finds it

Gql = Callable[..., dict]

LOOP_WORKFLOW = """
name: loop
version: 1
label: 整改后再次测评
initial: draft
roles: {office: 政府办, committee: 人大常委会, supervisor: 监督员, deputy: 人大代表, resident: 群众, unit: 牵头单位}
states:
  draft: {label: 草稿, editable: true}
  handed_over: {label: 移交管护, public: true}
  rectifying: {label: 整改, public: true}
  reviewed: {label: 回头看, final: true, public: true}
transitions:
  - {event: hand_over, label: 移交管护, from: draft, to: handed_over, roles: [office]}
  - event: review
    label: 回头看
    from: handed_over
    to: reviewed
    roles: [committee, office]
    guards:
      - satisfaction.rated: {min_responses: 30}
      - satisfaction.above_bottom_grade
    actions:
      - satisfaction.grade
  - {event: fail_review, label: 回头看发现问题，转入整改, from: handed_over, to: rectifying, roles: [committee, office]}
  - {event: rectified, label: 整改完成, from: rectifying, to: "@return", roles: [office]}
"""

WEIGHTED_WORKFLOW = """
name: deputies
version: 1
initial: draft
roles: {office: 政府办, committee: 人大常委会, deputy: 人大代表, resident: 群众}
states:
  draft: {label: 草稿}
  published: {label: 已公开, public: true}
  reviewed: {label: 回头看, final: true, public: true}
transitions:
  - {event: publish, from: draft, to: published, roles: [committee, office]}
  - event: review
    from: published
    to: reviewed
    roles: [committee]
    actions:
      - satisfaction.grade: {weights: {resident: 60, deputy: 40}}
"""

RATE = """mutation($input: RateProjectInput!) { rateProject(input: $input) {
  rating { kind verdict } userErrors { code message path } } }"""
VOTE = """mutation($input: RecordDeputyVoteInput!) { recordDeputyVote(input: $input) {
  vote { verdict } userErrors { code message path } } }"""
FIRE = """mutation($input: FireTransitionInput!) { fireTransition(input: $input) {
  toState userErrors { code message path } } }"""
ROUND_FIELDS = """number opensOn closesOn status origin originLabel responses satisfied basicallySatisfied
  dissatisfied rate deputyVoteSessions deputyVotes gradingRate grade gradeLabel graded"""
OPEN = f"""mutation($input: OpenSurveyRoundInput!) {{ openSurveyRound(input: $input) {{
  round {{ {ROUND_FIELDS} }} userErrors {{ code message path }} }} }}"""
CLOSE = f"""mutation($input: CloseSurveyRoundInput!) {{ closeSurveyRound(input: $input) {{
  round {{ {ROUND_FIELDS} }} userErrors {{ code message path }} }} }}"""
ROUNDS = f"""query($id: ID!) {{ project(id: $id) {{ satisfaction {{ responses
  grading {{ rate missingKinds }} latestGrade {{ grade rate responses }}
  currentRound {{ {ROUND_FIELDS} }} rounds {{ {ROUND_FIELDS} }} }} }} }}"""


def gid(project_id: int) -> str:
    return to_global_id("Project", project_id)


def call(gql: Gql, who: str | None, query: str, variables: dict) -> dict:
    body = gql(who, query, variables)
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def rate(gql: Gql, who: str | None, pid: int, **answer: Any) -> dict:
    return call(gql, who, RATE, {"input": {"projectId": gid(pid), **answer}})


def fire(gql: Gql, who: str, pid: int, event: str) -> dict:
    return call(gql, who, FIRE, {"input": {"projectId": gid(pid), "event": event}})


def open_round(gql: Gql, who: str, pid: int, **dates: str) -> dict:
    return call(gql, who, OPEN, {"input": {"projectId": gid(pid), **dates}})


def close_round(gql: Gql, who: str, pid: int) -> dict:
    return call(gql, who, CLOSE, {"input": {"projectId": gid(pid)}})


def satisfaction(gql: Gql, who: str | None, pid: int) -> dict:
    project = call(gql, who, ROUNDS, {"id": gid(pid)})
    return project and project["satisfaction"]


def errors(result: dict) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["path"]) for e in result["userErrors"]]


def load(survey: Survey, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    survey.engine.load_workflows([path])


def test_a_device_rates_once_per_round_and_again_in_the_next(gql: Gql, survey: Survey) -> None:
    pid = survey.project()  # publishing enters the state surveyed: round 1 opens by itself
    device, other = issue_token(gql), issue_token(gql)
    survey.engine.clock.advance(seconds=5)
    assert rate(gql, None, pid, score=80, deviceToken=device)["userErrors"] == []
    again = rate(gql, None, pid, score=40, deviceToken=device)
    assert errors(again) == [("CONFLICT", ["input", "deviceToken"])]
    assert "in survey round 1" in again["userErrors"][0]["message"]
    assert rate(gql, "supervisor", pid, verdict="SATISFIED")["userErrors"] == []
    assert errors(rate(gql, "supervisor", pid, verdict="SATISFIED")) == [("CONFLICT", ["input", "projectId"])]

    closed = close_round(gql, "county_office", pid)
    assert closed["userErrors"] == []
    assert {k: closed["round"][k] for k in ("number", "status", "responses", "closesOn")} == {
        "number": 1, "status": "CLOSED", "responses": 2, "closesOn": "2024-03-01"}
    refused = rate(gql, None, pid, score=100, deviceToken=other)
    assert errors(refused) == [("CONFLICT", ["input", "projectId"])]
    assert refused["userErrors"][0]["message"] == (f"survey round 1 of project {pid} closed on 2024-03-01: no round "
                                                   "is open to answer in")

    opened = open_round(gql, "county_office", pid, closesOn="2024-03-31")
    assert opened["userErrors"] == []
    assert {k: opened["round"][k] for k in ("number", "opensOn", "closesOn", "status", "origin", "responses")} == {
        "number": 2, "opensOn": "2024-03-01", "closesOn": "2024-03-31", "status": "OPEN", "origin": "OFFICE",
        "responses": 0}
    assert rate(gql, None, pid, score=60, deviceToken=device)["userErrors"] == []  # the same device, a new round
    assert rate(gql, "supervisor", pid, verdict="BASICALLY_SATISFIED")["userErrors"] == []
    assert errors(rate(gql, None, pid, score=60, deviceToken=device)) == [("CONFLICT", ["input", "deviceToken"])]

    public = satisfaction(gql, None, pid)
    assert public["responses"] == 4  # every round's answers
    assert [(r["number"], r["status"], r["origin"], r["responses"], r["rate"]) for r in public["rounds"]] == [
        (1, "CLOSED", "STATE", 2, "100.00"), (2, "OPEN", "OFFICE", 2, "100.00")]
    assert public["currentRound"]["number"] == 2
    hashes = [r["device_hash"] for r in table(survey.engine, "satisfaction_rating") if r["device_hash"]]
    assert len(hashes) == 2 and hashes[0] != hashes[1]  # one device in two rounds: not linkable
    assert not any(h in json.dumps(public) for h in hashes) and device not in json.dumps(public)

    survey.engine.clock.advance(days=31)  # past round 2's closing date: closed without anyone closing it
    late = rate(gql, None, pid, score=100, deviceToken=other)
    assert errors(late) == [("CONFLICT", ["input", "projectId"])]
    assert "closed on 2024-03-31" in late["userErrors"][0]["message"]


def test_a_second_round_after_rectification_unblocks_the_review(gql: Gql, survey: Survey, tmp_path: Path) -> None:
    load(survey, tmp_path, "loop", LOOP_WORKFLOW)
    pid = survey.district.project(workflow="loop")
    assert satisfaction(gql, "county_office", pid)["rounds"] == []  # not yet surveyed: no round
    assert fire(gql, "county_office", pid, "hand_over")["toState"] == "handed_over"
    device = issue_token(gql)
    survey.engine.clock.advance(seconds=5)
    assert rate(gql, None, pid, verdict="DISSATISFIED", deviceToken=device)["userErrors"] == []
    add_answers(survey.engine, pid, satisfied=20, basic=3, dissatisfied=9)  # 23 of 33: 69.70% → 一般

    blocked = fire(gql, "committee", pid, "review")
    assert blocked["toState"] is None
    assert blocked["userErrors"][0]["code"] == "GUARD_FAILED"
    assert "69.70% of survey round 1 grades the project 一般" in blocked["userErrors"][0]["message"]
    first = satisfaction(gql, None, pid)["currentRound"]
    assert (first["number"], first["status"], first["grade"], first["gradeLabel"], first["graded"]) == (
        1, "OPEN", "BOTTOM", "一般", False)

    assert fire(gql, "committee", pid, "fail_review")["toState"] == "rectifying"  # 回头看发现问题，转入整改
    assert satisfaction(gql, None, pid)["currentRound"]["status"] == "CLOSED"
    survey.engine.clock.advance(days=20)
    assert fire(gql, "county_office", pid, "rectified")["toState"] == "handed_over"  # 整改完成: a new round

    data = satisfaction(gql, None, pid)
    second = data["currentRound"]
    assert {k: second[k] for k in ("number", "opensOn", "closesOn", "status", "origin", "responses")} == {
        "number": 2, "opensOn": "2024-03-21", "closesOn": "2024-04-20", "status": "OPEN", "origin": "RESURVEY",
        "responses": 0}
    assert data["rounds"][0]["closesOn"] == "2024-03-01" and data["rounds"][0]["rate"] == "69.70"
    still = fire(gql, "committee", pid, "review")
    assert still["userErrors"][0]["message"].endswith(
        "only 0 valid satisfaction responses (满意度测评), at least 30 required")

    assert rate(gql, None, pid, verdict="SATISFIED", deviceToken=device)["userErrors"] == []  # again, round 2
    add_answers(survey.engine, pid, satisfied=29, dissatisfied=1)  # 30 of 31: 96.77%
    assert fire(gql, "committee", pid, "review") == {"toState": "reviewed", "userErrors": []}

    data = satisfaction(gql, None, pid)
    assert data["latestGrade"] == {"grade": "TOP", "rate": "96.77", "responses": 31}
    assert [(r["number"], r["status"], r["responses"], r["grade"], r["graded"]) for r in data["rounds"]] == [
        (1, "CLOSED", 33, "BOTTOM", False), (2, "CLOSED", 31, "TOP", True)]
    assert data["responses"] == 64
    rows = table(survey.engine, "satisfaction_grade")
    assert len(rows) == 1 and rows[0]["round_id"] is not None


def test_deputies_vote_sessions_count_in_the_weighted_deputy_share_per_round(gql: Gql, survey: Survey,
                                                                            tmp_path: Path) -> None:
    load(survey, tmp_path, "deputies", WEIGHTED_WORKFLOW)
    pid = survey.district.project(workflow="deputies")
    assert fire(gql, "committee", pid, "publish")["toState"] == "published"
    add_answers(survey.engine, pid, satisfied=10)  # residents: 100%
    before = satisfaction(gql, None, pid)
    assert before["grading"] == {"rate": None, "missingKinds": ["DEPUTY"]}
    vote = {"projectId": gid(pid), "present": 29, "expected": 35, "satisfied": 5, "basicallySatisfied": 5,
            "dissatisfied": 19}
    assert call(gql, "committee", VOTE, {"input": vote})["userErrors"] == []
    after = satisfaction(gql, None, pid)
    # (60 × 100% + 40 × 10/29) / 100 = 73.79% → 一般 under the default bands [90, 75]
    assert after["grading"] == {"rate": "73.79", "missingKinds": []}
    current = after["currentRound"]
    assert (current["responses"], current["deputyVoteSessions"], current["deputyVotes"], current["gradingRate"],
            current["grade"]) == (10, 1, 29, "73.79", "BOTTOM")
    assert after["responses"] == 10  # a vote session is not an individual answer

    assert close_round(gql, "committee", pid)["userErrors"] == []
    assert open_round(gql, "committee", pid)["userErrors"] == []
    fresh = satisfaction(gql, None, pid)
    assert fresh["grading"] == {"rate": None, "missingKinds": ["RESIDENT", "DEPUTY"]}  # round 1's votes stay there
    add_answers(survey.engine, pid, satisfied=9, dissatisfied=1)  # 90%
    vote.update(satisfied=25, basicallySatisfied=3, dissatisfied=1)  # 28 of 29
    assert call(gql, "committee", VOTE, {"input": vote})["userErrors"] == []
    assert fire(gql, "committee", pid, "review")["toState"] == "reviewed"
    # (60 × 90% + 40 × 28/29) / 100 = 92.62% → 优良
    graded = satisfaction(gql, None, pid)
    assert graded["latestGrade"]["rate"] == "92.62" and graded["latestGrade"]["grade"] == "TOP"
    assert [(r["deputyVotes"], r["gradingRate"], r["grade"], r["graded"]) for r in graded["rounds"]] == [
        (29, "73.79", "BOTTOM", False), (29, "92.62", "TOP", True)]


def test_round_refusals_name_the_rule(gql: Gql, survey: Survey) -> None:
    pid = survey.project()
    busy = open_round(gql, "county_office", pid)
    assert errors(busy) == [("CONFLICT", ["input", "projectId"])]
    assert busy["userErrors"][0]["message"] == (f"survey round 1 of project {pid} is open from 2024-03-01 to "
                                                "2024-03-31: close it before opening another")
    assert close_round(gql, "county_office", pid)["userErrors"] == []
    again = close_round(gql, "county_office", pid)
    assert errors(again) == [("CONFLICT", ["input", "projectId"])]
    assert again["userErrors"][0]["message"] == (f"no survey round is open on project {pid}: round 1 closed on "
                                                 "2024-03-01")
    assert errors(open_round(gql, "county_office", pid, opensOn="2024-02-01")) == [("INVALID_INPUT",
                                                                                   ["input", "opensOn"])]
    backwards = open_round(gql, "county_office", pid, opensOn="2024-04-10", closesOn="2024-04-01")
    assert errors(backwards) == [("INVALID_INPUT", ["input", "closesOn"])]
    assert backwards["userErrors"][0]["message"] == "the closing date 2024-04-01 is before the opening date 2024-04-10"
    assert errors(open_round(gql, "county_office", pid, closesOn="2026-01-01")) == [("INVALID_INPUT",
                                                                                    ["input", "closesOn"])]
    for who in ("supervisor", "deputy", "edu_clerk", None):
        assert errors(open_round(gql, who, pid)) == [("FORBIDDEN", ["input", "projectId"])], who
    scheduled = open_round(gql, "county_office", pid, opensOn="2024-04-10", closesOn="2024-04-30")
    assert scheduled["round"]["status"] == "SCHEDULED"
    early = rate(gql, "supervisor", pid, score=80)
    assert errors(early) == [("CONFLICT", ["input", "projectId"])]
    assert early["userErrors"][0]["message"] == (f"survey round 2 of project {pid} opens on 2024-04-10: answers "
                                                 "are taken from then")
    draft = survey.project(publish=False)  # never surveyed: no round at all
    assert errors(rate(gql, "supervisor", draft, score=80)) == [("CONFLICT", ["input", "projectId"])]
    assert len(table(survey.engine, "satisfaction_rating")) == 0  # nothing refused was written
    assert [r["number"] for r in table(survey.engine, "satisfaction_round") if r["project_id"] == pid] == [1, 2]


def test_rounds_are_scoped_by_the_one_access_rule(gql: Gql, survey: Survey) -> None:
    town_a = survey.project(region="town_a")
    draft = survey.project(publish=False)
    for who in ("town_b_office", "town_b_committee"):
        outside = close_round(gql, who, town_a)
        assert errors(outside) == [("NOT_FOUND", ["input", "projectId"])]
        assert outside["userErrors"][0]["message"] == f"project {town_a} does not exist"  # like a missing one
        assert errors(open_round(gql, who, town_a, opensOn="2024-05-01")) == [("NOT_FOUND", ["input", "projectId"])]
    missing = close_round(gql, "town_b_office", 99999)
    assert missing["userErrors"][0]["message"] == "project 99999 does not exist"
    assert close_round(gql, "town_a_office", town_a)["userErrors"] == []  # the project's own town may
    assert open_round(gql, "county_office", draft)["round"]["number"] == 1  # and the county over its area
    assert satisfaction(gql, None, draft) is None  # the public does not see an unpublished project's rounds
    assert satisfaction(gql, "county_office", draft)["currentRound"]["status"] == "OPEN"
    assert satisfaction(gql, None, town_a)["rounds"][0]["status"] == "CLOSED"  # a published one's, it does


def test_the_demo_resurveys_a_project_graded_bottom_after_its_rectification(engine) -> None:
    """The demo district: a project whose 回头看 found its survey round graded 一般 goes to rectification; the
    rectification's completion opens round 2, which the review grades (public reads over HTTP)."""
    from starlette.testclient import TestClient

    from engine.api.app import ApiSettings, create_app
    from engine.demo import build_demo

    demo = build_demo(engine)
    looped = [p for p in demo.projects.values()
              if p.state == "reviewed" and "fail_review" in p.events and "rectified" in p.events]
    assert looped
    with TestClient(create_app(engine, ApiSettings())) as client:
        for project in looped:
            body = client.post("/graphql", json={"query": ROUNDS, "variables": {"id": gid(project.id)}}).json()
            assert "errors" not in body, body
            data = body["data"]["project"]["satisfaction"]
            assert [(r["number"], r["status"], r["origin"], r["grade"], r["graded"]) for r in data["rounds"]] == [
                (1, "CLOSED", "STATE", "BOTTOM", False), (2, "CLOSED", "RESURVEY", data["latestGrade"]["grade"], True)]
            assert data["rounds"][0]["responses"] >= 30 and data["rounds"][1]["responses"] >= 30
            assert data["latestGrade"]["grade"] in ("TOP", "MIDDLE")
            assert data["rounds"][1]["opensOn"] > data["rounds"][0]["closesOn"]


def test_two_offices_opening_a_round_at_once_open_one(survey: Survey) -> None:
    """Two clerks at once never both win: one opens round 2, the other is told a round is open."""
    import threading

    from engine.errors import Conflict
    from plugins.satisfaction.rounds import OpenRoundRequest, close_survey_round, open_survey_round

    pid = survey.project()
    close_survey_round(survey.engine, survey.district.actor("county_office"), pid)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def open_one(who: str) -> None:
        barrier.wait()
        try:
            open_survey_round(survey.engine, survey.district.actor(who), OpenRoundRequest(pid))
            outcomes.append("opened")
        except Conflict:
            outcomes.append("conflict")
        finally:
            survey.engine.db.disconnect()

    threads = [threading.Thread(target=open_one, args=(who,)) for who in ("county_office", "committee")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "opened"]
    assert [r["number"] for r in table(survey.engine, "satisfaction_round")] == [1, 2]
