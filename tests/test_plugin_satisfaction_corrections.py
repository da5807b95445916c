"""Rating corrections 冲正, idempotent retries and ratings in the projects' hash chains, over GraphQL."""
from __future__ import annotations

import base64
import json
from typing import Any, Callable

from pony import orm

from engine import chain
from engine.api.ids import to_global_id
from engine.storage.sql import Sql
from tests.test_plugin_satisfaction_support import Survey, issue_token, survey, table

__all__ = ["survey"]  # the fixture, imported so pytest finds it

Gql = Callable[..., dict]
RATE = """mutation($input: RateProjectInput!) { rateProject(input: $input) {
  rating { id kind verdict } userErrors { code message path } } }"""
REVERSE = """mutation($input: ReverseRatingInput!) { reverseRating(input: $input) {
  correction { id reverses reason recordedBy } userErrors { code message path } } }"""
COUNTS = """query($id: ID!, $kinds: [String!]) { project(id: $id) { satisfaction { responses satisfied dissatisfied }
  history(first: 50, kinds: $kinds) { kind event actorName fields } } }"""


def gid(project_id: int) -> str:
    return to_global_id("Project", project_id)


def rate(gql: Gql, who: str | None, project_id: int, **answer: Any) -> dict:
    return gql(who, RATE, {"input": {"projectId": gid(project_id), **answer}})["data"]["rateProject"]


def reverse(gql: Gql, who: str, project_id: int, rating: str, reason: str = "代表误评了另一个项目") -> dict:
    data = {"projectId": gid(project_id), "ratingId": rating, "reason": reason}
    return gql(who, REVERSE, {"input": data})["data"]["reverseRating"]


def db_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def test_a_reversed_rating_no_longer_counts_and_both_are_in_the_history(gql: Gql, survey: Survey) -> None:
    pid = survey.project()
    deputy = rate(gql, "deputy", pid, verdict="DISSATISFIED")["rating"]["id"]
    device = issue_token(gql)
    survey.engine.clock.advance(seconds=5)
    assert rate(gql, None, pid, verdict="SATISFIED", deviceToken=device)["userErrors"] == []
    before = gql("committee", COUNTS, {"id": gid(pid)})["data"]["project"]["satisfaction"]
    assert (before["responses"], before["dissatisfied"]) == (2, 1)

    done = reverse(gql, "committee", pid, deputy)
    assert done["userErrors"] == [] and done["correction"]["reverses"] == deputy
    seen = gql("committee", COUNTS, {"id": gid(pid), "kinds": ["rating", "correction"]})["data"]["project"]
    assert (seen["satisfaction"]["responses"], seen["satisfaction"]["dissatisfied"]) == (1, 0)
    assert [(e["kind"], e["event"], e["actorName"]) for e in seen["history"]] == [
        ("correction", "reverse_rating", "committee"), ("rating", "rate_project", "群众"),
        ("rating", "rate_project", "deputy")]
    resident = seen["history"][1]["fields"]
    assert set(resident) == {"table", "record", "rater_kind", "score", "verdict", "actor_id"}
    assert resident["actor_id"] is None  # a resident's record names no one and holds no device hash
    stored = table(survey.engine, "satisfaction_rating")
    assert all(row["device_hash"] not in json.dumps(seen["history"]) for row in stored if row["device_hash"])


def test_reversals_refused_with_the_reason(gql: Gql, survey: Survey) -> None:
    pid, other = survey.project(), survey.project()
    rating = rate(gql, "supervisor", pid, score=40)["rating"]["id"]
    correction = reverse(gql, "county_office", pid, rating)["correction"]["id"]
    assert reverse(gql, "county_office", pid, rating)["userErrors"] == [{
        "code": "INVALID_INPUT", "path": ["input", "ratingId"],
        "message": f"rating {db_id(rating)} was already reversed (correction {db_id(correction)})"}]
    assert reverse(gql, "county_office", other, rating)["userErrors"] == [{
        "code": "INVALID_INPUT", "path": ["input", "ratingId"],
        "message": f"rating {db_id(rating)} is not a record of project {other}: a correction reverses a record of "
                   "its own project"}]
    assert "is itself a correction" in reverse(gql, "county_office", pid, correction)["userErrors"][0]["message"]
    assert reverse(gql, "deputy", pid, rating)["userErrors"][0]["code"] == "FORBIDDEN"
    assert reverse(gql, "town_b_office", pid, rating)["userErrors"] == [{
        "code": "NOT_FOUND", "path": ["input", "projectId"], "message": f"project {pid} does not exist"}]
    assert len(table(survey.engine, "satisfaction_rating_correction")) == 1


def test_an_officials_retried_rating_with_a_key_answers_the_first(gql: Gql, survey: Survey) -> None:
    pid = survey.project()
    first = rate(gql, "deputy", pid, verdict="SATISFIED", idempotencyKey="rate-1")
    again = rate(gql, "deputy", pid, verdict="SATISFIED", idempotencyKey="rate-1")
    assert first["userErrors"] == again["userErrors"] == [] and again["rating"] == first["rating"]
    assert len(table(survey.engine, "satisfaction_rating")) == 1


def test_verify_catches_a_verdict_changed_in_sql(gql: Gql, survey: Survey) -> None:
    pid = survey.project()
    rating = db_id(rate(gql, "supervisor", pid, verdict="DISSATISFIED")["rating"]["id"])
    engine = survey.engine
    with orm.db_session:
        sql = Sql(engine.db)
        assert chain.verify(sql, engine.catalog.tables) == []
        sql.execute("UPDATE satisfaction_rating SET verdict = 'satisfied' WHERE id = ?", (rating,))
        (broken,) = chain.verify(sql, engine.catalog.tables)
    assert broken.project_id == pid and broken.reason == (
        f"rating 满意度测评 {rating} (satisfaction_rating) does not match its history record (altered): verdict is "
        "'satisfied' in the table but 'dissatisfied' in the history")


VOTE = """mutation($input: RecordDeputyVoteInput!) { recordDeputyVote(input: $input) {
  vote { present satisfied verdict } userErrors { code message path } } }"""


def test_a_retried_vote_session_with_a_key_is_recorded_once(gql: Gql, survey: Survey) -> None:
    pid = survey.project()
    data = {"projectId": gid(pid), "present": 30, "expected": 35, "satisfied": 25, "basicallySatisfied": 3,
            "dissatisfied": 2, "idempotencyKey": "vote-1"}
    first, again = (gql("committee", VOTE, {"input": data})["data"]["recordDeputyVote"] for _ in range(2))
    assert first["userErrors"] == [] and again == first
    assert len(table(survey.engine, "satisfaction_vote")) == 1


BOARD = """query($region: ID, $year: Int, $category: String) { dashboard(region: $region, year: $year,
  category: $category) { figures { plugin figures { name value } tables { name rows { key values } } } } }"""


def satisfaction_board(gql: Gql, region: int, category: str | None = None) -> dict[str, Any]:
    """The satisfaction figures of a region's 2024 dashboard as the county office sees them: by name, and the
    projects by latest grade."""
    body = gql("county_office", BOARD, {"region": to_global_id("Region", region), "year": 2024,
                                        "category": category})
    assert "errors" not in body, body
    (group,) = [g for g in body["data"]["dashboard"]["figures"] if g["plugin"] == "satisfaction"]
    (grades,) = group["tables"]
    return {**{f["name"]: f["value"] for f in group["figures"]},
            "grades": {r["key"]: r["values"][0] for r in grades["rows"]}}


def test_a_rating_then_its_correction_moves_the_top_regions_dashboard(gql: Gql, survey: Survey) -> None:
    """The whole county in a year is read from the maintained aggregates: each rating, grade and correction moves
    its satisfaction figures at once, exactly as the per-call computation (``category`` given) has them."""
    county, town_b = survey.district.regions["county"], survey.district.regions["town_b"]
    pid, other = survey.project(), survey.project(region="town_b")

    def seen(*expected: Any) -> dict[str, Any]:
        board = satisfaction_board(gql, county)
        assert board == satisfaction_board(gql, county, category="教育")  # every project is 教育 here
        figures = (board["responses"], board["rated_projects"], board["rate"], board["mean_score"], board["graded"])
        assert figures == expected[:5] and board["grades"] == {"top": expected[5], "middle": "0", "bottom": "0"}
        return board

    seen("0", "0", None, None, "0", "0")
    deputy = rate(gql, "deputy", pid, verdict="DISSATISFIED")["rating"]["id"]
    seen("1", "1", "0.00", None, "0", "0")
    assert rate(gql, "town_b_supervisor", other, score=80)["userErrors"] == []
    seen("2", "2", "50.00", "80.00", "0", "0")
    survey.fire("county_office", other, "grade_unchecked")  # 1 of 1 satisfied: 优良
    seen("2", "2", "50.00", "80.00", "1", "1")
    assert reverse(gql, "committee", pid, deputy)["userErrors"] == []
    seen("1", "1", "100.00", "80.00", "1", "1")
    town = satisfaction_board(gql, town_b)
    assert (town["responses"], town["rated_projects"], town["graded"]) == ("1", "1", "1")
