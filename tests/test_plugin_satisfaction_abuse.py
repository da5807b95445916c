"""Anonymous ballot stuffing (issue 7, item 7), over HTTP: rate limits per address and per project, device tokens
the server signs, and the grade weighting residents apart from 监督员 and 人大代表 (the bound it gives)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from starlette.testclient import TestClient

from engine.api.ids import to_global_id
from engine.errors import InvalidDefinition
from engine.workflow.loader import parse_definition
from plugins.satisfaction import config
from tests.test_plugin_satisfaction_support import DEVICE, ISSUE, Survey, add_answers, survey, table

__all__ = ["survey"]  # the fixture, imported so pytest finds it

RATE = """mutation($input: RateProjectInput!) { rateProject(input: $input) {
  rating { kind verdict ratedAt } userErrors { code message path } } }"""
GRADING = """query($id: ID!) { project(id: $id) { satisfaction { rate
  byKind { kind responses rate } grading { weights { resident supervisor deputy } rate missingKinds }
  latestGrade { grade rate responses weights { resident supervisor deputy } rewardAmount } } } }"""

WEIGHTED_WORKFLOW = """
name: weighted
version: 1
initial: draft
roles: {committee: 人大常委会, office: 政府办, supervisor: 监督员, deputy: 人大代表, resident: 群众}
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
      - satisfaction.grade: {reward_amount: 100000, weights: {resident: 60, supervisor: 20, deputy: 20}}
  - event: review_even
    from: published
    to: reviewed
    roles: [committee]
    actions:
      - satisfaction.grade: {weights: {resident: 50, supervisor: 50}}
"""

Caller = Callable[..., dict]


@pytest.fixture
def caller(app, district) -> Iterator[Callable[[str], Caller]]:
    """``caller(address)`` → ``call(username_or_None, query, variables)`` from that client address."""
    clients: list[TestClient] = []

    def at(address: str) -> Caller:
        client = TestClient(app, client=(address, 40000))
        client.__enter__()
        clients.append(client)

        def call(username: str | None, query: str, variables: dict | None = None) -> dict:
            headers = {"Authorization": f"Bearer {district.tokens[username]}"} if username else {}
            response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body
            return body["data"]
        return call

    yield at
    for client in clients:
        client.__exit__(None, None, None)


def issue(call: Caller) -> dict[str, Any]:
    return call(None, ISSUE)["issueDeviceToken"]


def rate(call: Caller, project_id: int, token: str, verdict: str = "DISSATISFIED") -> dict[str, Any]:
    variables = {"input": {"projectId": to_global_id("Project", project_id), "verdict": verdict,
                           "deviceToken": token}}
    return call(None, RATE, variables)["rateProject"]


def codes(result: dict) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["path"]) for e in result["userErrors"]]


# --- rate limits -----------------------------------------------------------------------------------------------

def test_a_loop_of_ratings_from_one_address_is_throttled_and_writes_nothing(
        survey: Survey, caller, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.TOKENS_PER_ADDRESS_ENV, "100/60")  # isolate the rating limit (default 5/60)
    pid, attacker = survey.project(), caller("198.51.100.9")
    minted = [issue(attacker)["token"] for _ in range(7)]
    survey.engine.clock.advance(seconds=5)
    assert [codes(rate(attacker, pid, token)) for token in minted[:5]] == [[]] * 5
    refused = rate(attacker, pid, minted[5])
    assert refused["rating"] is None and codes(refused) == [("THROTTLED", [])]
    assert refused["userErrors"][0]["message"] == ("too many ratings from your address (at most 5 per 60 seconds): "
                                                   "try again in 12 seconds")
    assert len(table(survey.engine, "satisfaction_rating")) == 5  # the refused one wrote nothing
    assert codes(rate(caller("203.0.113.20"), pid, minted[6])) == []  # another address has its own budget
    survey.engine.clock.advance(seconds=12)  # one rating's worth drained
    assert codes(rate(attacker, pid, minted[5])) == []
    assert len(table(survey.engine, "satisfaction_rating")) == 7


def test_anonymous_ratings_of_one_project_are_bounded(survey: Survey, caller,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.RATINGS_PER_PROJECT_ENV, "3/3600")
    pid, other = survey.project(), survey.project()
    calls = [caller(f"192.0.2.{n}") for n in range(5)]
    minted = [issue(call)["token"] for call in calls]
    survey.engine.clock.advance(seconds=5)
    assert [codes(rate(call, pid, token)) for call, token in zip(calls[:3], minted)] == [[]] * 3
    refused = rate(calls[3], pid, minted[3])
    assert codes(refused) == [("THROTTLED", ["input", "projectId"])]
    assert "at most 3 per 3600 seconds): try again in 1200 seconds" in refused["userErrors"][0]["message"]
    assert codes(rate(calls[4], other, minted[4])) == []  # other projects are not affected
    assert len(table(survey.engine, "satisfaction_rating")) == 4


def test_issuing_device_tokens_is_throttled_per_address(survey: Survey, caller) -> None:
    call = caller("198.51.100.10")
    assert all(issue(call)["userErrors"] == [] for _ in range(10))  # default 10 per hour
    refused = issue(call)
    assert refused["token"] is None
    assert refused["userErrors"] == [{"code": "THROTTLED", "path": [], "message":
                                      "too many device tokens requested from your address (at most 10 per 3600 "
                                      "seconds): try again in 360 seconds"}]
    assert issue(caller("198.51.100.11"))["token"]


# --- signed device tokens -----------------------------------------------------------------------------------------

def test_an_issued_token_rates_once_after_its_minimum_age(survey: Survey, caller) -> None:
    pid, call = survey.project(), caller("198.51.100.12")
    issued = issue(call)
    assert (issued["issuedAt"], issued["validFrom"], issued["expiresAt"]) == (
        "2024-03-01T09:00:00", "2024-03-01T09:00:05", "2024-03-31T09:00:00")
    too_new = rate(call, pid, issued["token"])
    assert codes(too_new) == [("INVALID_INPUT", ["input", "deviceToken"])]
    assert too_new["userErrors"][0]["message"] == ("the device token is too new: a token may rate 5 seconds after "
                                                   "it was issued; try again in 5 seconds")
    survey.engine.clock.advance(seconds=5)
    assert rate(call, pid, issued["token"], "SATISFIED") == {
        "rating": {"kind": "RESIDENT", "verdict": "SATISFIED", "ratedAt": "2024-03-01T09:00:05"}, "userErrors": []}
    assert codes(rate(call, pid, issued["token"])) == [("CONFLICT", ["input", "deviceToken"])]
    assert len(table(survey.engine, "satisfaction_rating")) == 1


def _tampered(token: str) -> str:
    version, issued, nonce, mac = token.split(".")
    return ".".join([version, str(int(issued) - 86400), nonce, mac])  # back-dated a day to skip the minimum age


@pytest.mark.parametrize("forge", [
    lambda token: DEVICE,  # any random id, as the app sent before
    lambda token: "v1.1709283600.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    _tampered,
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character of the signature changed
], ids=["unsigned", "forged", "back-dated", "bad-signature"])
def test_forged_or_tampered_tokens_are_refused(survey: Survey, caller, forge) -> None:
    pid, call = survey.project(), caller("198.51.100.13")
    token = issue(call)["token"]
    survey.engine.clock.advance(seconds=5)
    refused = rate(call, pid, forge(token))
    assert codes(refused) == [("INVALID_INPUT", ["input", "deviceToken"])]
    assert refused["userErrors"][0]["message"] == ("the device token was not issued by this server (or was "
                                                   "altered): ask issueDeviceToken for one")
    assert table(survey.engine, "satisfaction_rating") == []


def test_expired_tokens_are_refused_and_the_lifetime_is_configurable(survey: Survey, caller,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.TOKEN_LIFETIME_ENV, "3600")
    pid, call = survey.project(), caller("198.51.100.14")
    issued = issue(call)
    assert issued["expiresAt"] == "2024-03-01T10:00:00"
    survey.engine.clock.advance(seconds=3601)
    refused = rate(call, pid, issued["token"])
    assert codes(refused) == [("INVALID_INPUT", ["input", "deviceToken"])]
    assert refused["userErrors"][0]["message"] == ("the device token expired at 2024-03-01T10:00:00 UTC: ask "
                                                   "issueDeviceToken for a new one")
    assert table(survey.engine, "satisfaction_rating") == []


@pytest.mark.parametrize("env, message", [
    ({config.RATINGS_PER_ADDRESS_ENV: "5 per minute"}, "MINSHENG_SATISFACTION_RATINGS_PER_ADDRESS must be "
                                                       "'<count>/<seconds>'"),
    ({config.TOKENS_PER_ADDRESS_ENV: "0/60"}, "both at least 1"),
    ({config.TOKEN_MIN_AGE_ENV: "-1"}, "MINSHENG_DEVICE_TOKEN_MIN_AGE must be a whole number of seconds"),
    ({config.TOKEN_LIFETIME_ENV: "10", config.TOKEN_MIN_AGE_ENV: "10"}, "must be below"),
])
def test_malformed_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config.from_env(env)


# --- the weighted grade ------------------------------------------------------------------------------------------

@pytest.fixture
def weighted(survey: Survey, tmp_path: Path) -> Callable[[], int]:
    path = tmp_path / "weighted.yaml"
    path.write_text(WEIGHTED_WORKFLOW, encoding="utf-8")
    survey.engine.load_workflows([path])

    def project() -> int:
        pid = survey.district.project(region="county", workflow="weighted")
        survey.fire("committee", pid, "publish")
        return pid
    return project


def officials_rate(call: Caller, pid: int, verdict: str) -> None:
    for who in ("supervisor", "deputy"):
        result = call(who, RATE, {"input": {"projectId": to_global_id("Project", pid), "verdict": verdict}})
        assert result["rateProject"]["userErrors"] == []


def grading(call: Caller, pid: int) -> dict[str, Any]:
    return call(None, GRADING, {"id": to_global_id("Project", pid)})["project"]["satisfaction"]


def test_300_hostile_resident_ratings_cannot_pull_the_grade_below_the_weights_bound(survey: Survey, caller,
                                                                                  weighted) -> None:
    pid, call = weighted(), caller("198.51.100.15")
    officials_rate(call, pid, "SATISFIED")
    add_answers(survey.engine, pid, dissatisfied=300)  # 300 anonymous 不满意 that got through
    shown = grading(call, pid)
    assert shown["rate"] == "0.66"  # pooled: 2 of 302
    assert shown["grading"] == {"weights": {"resident": 60, "supervisor": 20, "deputy": 20}, "rate": "40.00",
                                "missingKinds": []}
    survey.fire("committee", pid, "review")
    assert grading(call, pid)["latestGrade"] == {"grade": "BOTTOM", "rate": "40.00", "responses": 302, "weights": {
        "resident": 60, "supervisor": 20, "deputy": 20}, "rewardAmount": None}


def test_300_friendly_resident_ratings_cannot_unlock_the_top_grade_alone(survey: Survey, caller, weighted) -> None:
    pid, call = weighted(), caller("198.51.100.16")
    officials_rate(call, pid, "DISSATISFIED")
    add_answers(survey.engine, pid, satisfied=300)
    survey.fire("committee", pid, "review")
    grade = grading(call, pid)["latestGrade"]
    assert (grade["grade"], grade["rate"], grade["rewardAmount"]) == ("BOTTOM", "60.00", None)  # 60 points at most


@pytest.mark.parametrize("favourable, expected_grade, expected_rate", [
    (150, "MIDDLE", "75.00"),  # resident 50% × 50 + supervisor 100% × 50 = exactly 75: 良好
    (149, "BOTTOM", "74.83"),  # 49.67% × 50 + 50 = 74.833…: below 75
])
def test_weighted_rate_is_exact_at_a_band_edge(survey: Survey, caller, weighted, favourable: int,
                                               expected_grade: str, expected_rate: str) -> None:
    pid, call = weighted(), caller("198.51.100.17")
    officials_rate(call, pid, "SATISFIED")  # the deputy's answer weighs 0 under review_even
    add_answers(survey.engine, pid, satisfied=favourable, dissatisfied=300 - favourable)
    survey.fire("committee", pid, "review_even")
    grade = grading(call, pid)["latestGrade"]
    assert (grade["grade"], grade["rate"], grade["weights"]) == (
        expected_grade, expected_rate, {"resident": 50, "supervisor": 50, "deputy": 0})


def test_a_weighted_kind_without_answers_blocks_the_grade(survey: Survey, caller, weighted) -> None:
    pid, call = weighted(), caller("198.51.100.18")
    add_answers(survey.engine, pid, satisfied=40)
    assert grading(call, pid)["grading"]["missingKinds"] == ["SUPERVISOR", "DEPUTY"]
    assert grading(call, pid)["grading"]["rate"] is None
    result = call("committee", """mutation($input: FireTransitionInput!) { fireTransition(input: $input) {
        toState userErrors { code message } } }""", {"input": {"projectId": to_global_id("Project", pid),
                                                                 "event": "review"}})["fireTransition"]
    assert result["toState"] is None
    assert result["userErrors"] == [{"code": "GUARD_FAILED", "message": "no answers yet from 监督员 (supervisor)、"
                                     "人大代表 (deputy), whose weight the grade needs (满意度测评权重)"}]
    assert table(survey.engine, "satisfaction_grade") == []


@pytest.mark.parametrize("weights, message", [
    ("{resident: -1, supervisor: 20}", "must give whole numbers ≥ 0, got resident: -1"),
    ("{residents: 60}", "unknown rater kind(s) residents"),
    ("{resident: 0}", "at least one rater kind a positive weight"),
    ("[60, 20, 20]", "parameter 'weights' must be mapping"),
])
def test_bad_weights_are_reported_with_file_and_line(engine, weights: str, message: str) -> None:
    text = WEIGHTED_WORKFLOW.replace("{weights: {resident: 50, supervisor: 50}}", f"{{weights: {weights}}}")
    with pytest.raises(InvalidDefinition) as caught:
        parse_definition(text, "weighted.yaml", engine.catalog.guards, engine.catalog.actions)
    (problem,) = caught.value.problems
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if f"{{weights: {weights}}}" in text_line)
    assert (problem.file, problem.line) == ("weighted.yaml", line)
    assert "transition 'review_even': action 'satisfaction.grade': " in problem.message and message in problem.message
