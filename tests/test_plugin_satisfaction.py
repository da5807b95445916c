"""The satisfaction plugin's services: rating (residents, 监督员, 人大代表) and deputies' vote sessions.
Grading: ``..._grading.py``; roll-up, hooks and demo data: ``..._hooks.py``; GraphQL: ``..._api.py``."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pony import orm

from engine.directory.actors import PUBLIC
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql
from plugins.satisfaction.ratings import RatingRequest, rate_project
from plugins.satisfaction.votes import votes_of
from plugins.satisfaction.rounds import OpenRoundRequest, open_survey_round
from tests.test_plugin_satisfaction_support import DEVICE, OTHER_DEVICE, Survey, survey, table, tally, vote

__all__ = ["survey"]  # the fixture, imported so pytest finds it


def rate(survey: Survey, who: str | None, project_id: int, score: int | None = None, verdict: str | None = None,
         device: str | None = DEVICE):
    actor = PUBLIC if who is None else survey.district.actor(who)
    device = survey.token(device) if device in (DEVICE, OTHER_DEVICE) else device
    return rate_project(survey.engine, actor, RatingRequest(project_id, score, verdict, device))


# --- residents: anonymous, once per project per device -------------------------------------------------------------

def test_public_rates_a_published_project(survey: Survey) -> None:
    pid = survey.project()
    rating = rate(survey, None, pid, score=60)
    assert (rating.rater_kind, rating.score, rating.verdict) == ("resident", 60, "basically_satisfied")
    assert rating.rated_at == dt.datetime(2024, 3, 1, 9, 0)
    assert tally(survey, pid).by_kind["resident"].basically_satisfied == 1


def test_same_device_rates_a_project_only_once(survey: Survey) -> None:
    pid = survey.project()
    rate(survey, None, pid, verdict="satisfied")
    with pytest.raises(Conflict, match="this device has already rated project") as caught:
        rate(survey, None, pid, score=100)
    assert caught.value.path == ["input", "deviceToken"]
    rate(survey, None, pid, score=20, device=OTHER_DEVICE)  # another phone may
    rate(survey, None, survey.project(), score=100)  # and the first phone may rate another project
    assert tally(survey, pid).overall.responses == 2


def test_unpublished_project_is_not_found_for_the_public(survey: Survey) -> None:
    draft = survey.project(publish=False)
    with pytest.raises(NotFound) as caught:
        rate(survey, None, draft, score=100)
    assert caught.value.path == ["input", "projectId"]
    with pytest.raises(NotFound):
        rate(survey, None, 999_999, score=100)
    with pytest.raises(NotFound):  # a signed-in resident sees no more than the public
        rate(survey, "resident_li", draft, score=100)


def test_nothing_personal_and_no_device_token_in_clear(survey: Survey) -> None:
    first, second = survey.project(), survey.project()
    rate(survey, None, first, score=80)
    rate(survey, "resident_li", second, score=40)
    rate(survey, None, second, score=100, device=OTHER_DEVICE)
    rows = table(survey.engine, "satisfaction_rating")
    assert set(rows[0]) == {"id", "project_id", "rater_kind", "score", "verdict", "device_hash", "actor_id",
                            "rated_at", "round_id"}  # round_id: the survey round (调查轮次) answered in
    for row in rows:
        assert row["actor_id"] is None  # not even the signed-in resident's actor
        assert len(row["device_hash"]) == 64
        assert all(survey.token(DEVICE) not in str(v) and survey.token(OTHER_DEVICE) not in str(v)
                   for v in row.values())
        assert all(survey.token(DEVICE).split(".")[2] not in str(v) for v in row.values())
    assert rows[0]["device_hash"] != rows[1]["device_hash"]  # one device, two projects: not linkable


def test_pepper_changes_the_stored_hash_and_voids_issued_tokens(survey: Survey,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pid = survey.project()
    rate(survey, None, pid, score=80)
    monkeypatch.setenv("MINSHENG_DEVICE_PEPPER", "county-secret")
    with pytest.raises(InvalidInput, match="not issued by this server"):
        rate(survey, None, pid, score=80)  # signed under the old pepper
    survey.devices.clear()
    rate(survey, None, pid, score=80)  # a token signed under the new pepper: a new device as far as we know
    hashes = [row["device_hash"] for row in table(survey.engine, "satisfaction_rating")]
    assert len(set(hashes)) == 2


@pytest.mark.parametrize("token, message", [
    (None, "a device token is required"),
    ("", "a device token is required"),
    ("short-token", "16 to 128 characters long (e.g. a UUID), got 11"),
    ("x" * 129, "got 129"),
    ("3f1c2b9e 8d4a 4c57 9a0e 6b2f7d1e5a93", "only letters, digits"),
])
def test_device_token_is_validated(survey: Survey, token: str | None, message: str) -> None:
    pid = survey.project()
    with pytest.raises(InvalidInput) as caught:
        rate(survey, None, pid, score=100, device=token)
    (problem,) = caught.value.problems()
    assert problem.path == ["input", "deviceToken"]
    assert message in problem.message


@pytest.mark.parametrize("score, verdict, path, message", [
    (None, None, "score", "give a score (100, 80, 60, 40 or 20) or a verdict"),
    (100, "satisfied", "verdict", "not both"),
    (70, None, "score", "got 70"),
    (None, "happy", "verdict", "unknown verdict 'happy'"),
])
def test_answer_is_a_score_or_a_verdict(survey: Survey, score, verdict, path: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        rate(survey, None, survey.project(), score=score, verdict=verdict)
    (problem,) = caught.value.problems()
    assert problem.path == ["input", path]
    assert message in problem.message


# --- supervisors and deputies --------------------------------------------------------------------------------------

def test_supervisor_and_deputy_rate_as_themselves(survey: Survey) -> None:
    pid = survey.project(publish=False)  # officials rate projects in their area, published or not
    open_survey_round(survey.engine, survey.district.actor("county_office"), OpenRoundRequest(pid))  # in a round
    assert rate(survey, "supervisor", pid, score=80, device=None).rater_kind == "supervisor"
    assert rate(survey, "deputy", pid, verdict="dissatisfied", device=None).rater_kind == "deputy"
    rows = table(survey.engine, "satisfaction_rating")
    supervisor, deputy = survey.district.actor("supervisor"), survey.district.actor("deputy")
    assert [(r["rater_kind"], r["actor_id"], r["device_hash"]) for r in rows] == [
        ("supervisor", supervisor.id, None), ("deputy", deputy.id, None)]
    result = tally(survey, pid)
    assert (result.by_kind["supervisor"].satisfied, result.by_kind["deputy"].dissatisfied) == (1, 1)
    assert result.overall.rate_percent() == Decimal("50.00")


def test_official_rates_once_per_project(survey: Survey) -> None:
    pid = survey.project()
    rate(survey, "deputy", pid, score=100)
    with pytest.raises(Conflict, match="already rated project .* as 人大代表"):
        rate(survey, "deputy", pid, score=60)


def test_other_roles_may_not_rate_and_area_is_enforced(survey: Survey) -> None:
    pid = survey.project(region="town_a")
    with pytest.raises(Forbidden, match="监督员"):
        rate(survey, "county_office", pid, score=100)
    with pytest.raises(NotFound) as caught:
        rate(survey, "town_b_supervisor", pid, score=100)
    assert caught.value.path == ["input", "projectId"]


# --- deputies' vote sessions ---------------------------------------------------------------------------------------

def test_committee_records_vote_sessions_with_the_majority_verdict(survey: Survey) -> None:
    pid = survey.project()
    first = vote(survey, "committee", pid, 29, (28, 1, 0), body="县人大常委会第十五次会议",
                 voted_on=dt.date(2024, 2, 20))
    assert (first.verdict, first.quorum_met, first.body) == ("satisfied", True, "县人大常委会第十五次会议")
    assert vote(survey, "committee", pid, 29, (17, 11, 1)).verdict == "satisfied"
    assert vote(survey, "committee", pid, 29, (10, 10, 9)).verdict == "basically_satisfied"
    assert vote(survey, "committee", pid, 29, (5, 8, 16), expected=60).verdict == "dissatisfied"
    with orm.db_session:
        stored = votes_of(Sql(survey.engine.db), pid)
    assert [(v.satisfied, v.verdict, v.quorum_met) for v in stored] == [
        (5, "dissatisfied", False), (10, "basically_satisfied", True), (17, "satisfied", True),
        (28, "satisfied", True)]  # latest first: today's, newest recorded first, then 2024-02-20
    assert stored[0].voted_on == dt.date(2024, 3, 1) and stored[0].body == "人大常委会"


@pytest.mark.parametrize("present, votes, expected, paths", [
    (29, (20, 10, 0), 35, [["input", "dissatisfied"]]),  # 30 votes, 29 present
    (29, (1, 1, 1), 20, [["input", "expected"]]),
    (0, (0, 0, 0), 35, [["input", "present"]]),
    (29, (-1, 0, 0), 35, [["input", "satisfied"]]),
])
def test_vote_figures_are_validated(survey: Survey, present: int, votes, expected: int, paths) -> None:
    with pytest.raises(InvalidInput) as caught:
        vote(survey, "committee", survey.project(), present, votes, expected=expected)
    assert [p.path for p in caught.value.problems()] == paths


def test_vote_date_in_the_future_is_refused(survey: Survey) -> None:
    with pytest.raises(InvalidInput, match="votedOn: the vote date 2024-03-02 is in the future"):
        vote(survey, "committee", survey.project(), 29, (28, 1, 0), voted_on=dt.date(2024, 3, 2))


def test_only_the_committee_of_the_area_records_votes(survey: Survey) -> None:
    pid = survey.project(region="town_a")
    with pytest.raises(Forbidden, match="人大常委会"):
        vote(survey, "deputy", pid, 29, (28, 1, 0))
    with pytest.raises(NotFound):
        vote(survey, "town_b_committee", pid, 29, (28, 1, 0))
    assert table(survey.engine, "satisfaction_vote") == []
