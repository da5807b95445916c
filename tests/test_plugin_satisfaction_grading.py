"""The satisfaction plugin's guard ``satisfaction.rated`` and action ``satisfaction.grade`` in a workflow."""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest
from pony import orm

from engine.errors import GuardFailed
from engine.workflow.guards import Param
from engine.storage.sql import Sql
from plugins import satisfaction
from tests.test_plugin_satisfaction_support import Survey, add_answers, grade_row, record_calls, survey, table, vote

__all__ = ["survey"]  # the fixture, imported so pytest finds it


# --- the guard satisfaction.rated ----------------------------------------------------------------------------------

def test_review_is_blocked_until_30_valid_answers(survey: Survey) -> None:
    pid = survey.project()
    add_answers(survey.engine, pid, satisfied=12)
    with pytest.raises(GuardFailed) as caught:
        survey.fire("committee", pid, "review")
    assert caught.value.reasons == ["only 12 valid satisfaction responses (满意度测评), at least 30 required"]
    add_answers(survey.engine, pid, satisfied=18)
    assert survey.fire("committee", pid, "review").dest == "reviewed"


def test_a_bottom_grade_blocks_the_review_with_its_rate(survey: Survey) -> None:
    pid = survey.project()
    add_answers(survey.engine, pid, satisfied=20, basic=3, dissatisfied=10)  # 23 / 33 = 69.70% < 75%
    with pytest.raises(GuardFailed) as caught:
        survey.fire("committee", pid, "review_above_bottom")
    assert caught.value.reasons == ["the satisfaction rate 69.70% of survey round 1 grades the project 一般 (below "
                                    "75%): it must be sent back for rectification (整改), after which a new round "
                                    "re-surveys it"]
    add_answers(survey.engine, pid, satisfied=10)  # 33 / 43 = 76.74%
    assert survey.fire("committee", pid, "review_above_bottom").dest == "reviewed"


def test_deputies_votes_are_not_answers(survey: Survey) -> None:
    pid = survey.project()
    add_answers(survey.engine, pid, satisfied=1)
    vote(survey, "committee", pid, 29, (28, 1, 0))
    with pytest.raises(GuardFailed, match="only 1 valid satisfaction response \\(满意度测评\\), at least 30"):
        survey.fire("committee", pid, "review")


# --- the action satisfaction.grade ---------------------------------------------------------------------------------

REWARD_PARAMS = {"amount": Param("number", required=True), "reason": Param("string")}
RECTIFY_PARAMS = {"days": Param("int"), "description": Param("string")}


def test_top_grade_is_stored_and_rewarded(survey: Survey, monkeypatch: pytest.MonkeyPatch) -> None:
    rewards = record_calls(monkeypatch, survey.engine, "funding.grant_reward", REWARD_PARAMS)
    rectifications = record_calls(monkeypatch, survey.engine, "inspection.open_rectification", RECTIFY_PARAMS)
    pid = survey.project()
    add_answers(survey.engine, pid, satisfied=25, basic=2, dissatisfied=3)  # 90.00%: 优良 at the default 90
    survey.fire("committee", pid, "review")
    graded = grade_row(survey, pid)
    assert (graded.grade, graded.rate, graded.responses, graded.favourable) == ("top", Decimal("90.00"), 30, 27)
    assert (graded.band_top, graded.band_middle) == (Decimal("90.00"), Decimal("75.00"))
    assert graded.reward_fen == 10_000_000 and graded.rectification_days is None
    assert graded.graded_at == dt.datetime(2024, 3, 1, 9, 0)
    assert [c.params["amount"] for c in rewards] == [100000]
    assert "优良" in rewards[0].params["reason"] and "90.00%" in rewards[0].params["reason"]
    assert rectifications == []


def test_top_grade_reward_reaches_the_funding_plugin(survey: Survey) -> None:
    if "funding.grant_reward" not in survey.engine.catalog.actions:
        pytest.skip("the funding plugin is not enabled")
    pid = survey.project()
    add_answers(survey.engine, pid, satisfied=30)
    survey.fire("committee", pid, "review")
    rewards = [r for r in table(survey.engine, "funding_reward") if r["project_id"] == pid]
    assert [r["amount_fen"] for r in rewards] == [10_000_000]
    assert "优良" in rewards[0]["reason"]


def test_bottom_grade_opens_a_rectification_with_custom_bands(survey: Survey,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    rewards = record_calls(monkeypatch, survey.engine, "funding.grant_reward", REWARD_PARAMS)
    rectifications = record_calls(monkeypatch, survey.engine, "inspection.open_rectification", RECTIFY_PARAMS)
    pid = survey.project()
    add_answers(survey.engine, pid, satisfied=28, dissatisfied=2)  # 93.33%: below 95 → 一般 with bands [99, 95]
    survey.fire("committee", pid, "review_strict")
    graded = grade_row(survey, pid)
    assert (graded.grade, graded.rate, graded.band_top, graded.band_middle) == (
        "bottom", Decimal("93.33"), Decimal("99.00"), Decimal("95.00"))
    assert graded.rectification_days == 15 and graded.reward_fen is None
    assert [c.params for c in rectifications] == [{"days": 15, "description": "满意度评价为一般，限期整改"}]
    assert rewards == []


def test_bottom_grade_rectification_reaches_the_inspection_plugin(survey: Survey) -> None:
    if "inspection.open_rectification" not in survey.engine.catalog.actions:
        pytest.skip("the inspection plugin is not enabled")
    pid = survey.project()
    add_answers(survey.engine, pid, satisfied=10, dissatisfied=20)
    survey.fire("committee", pid, "review_strict")
    rows = [r for r in table(survey.engine, "inspection_rectification") if r["project_id"] == pid]
    assert [(r["description"], str(r["deadline"])[:10], r["status"]) for r in rows] == [
        ("满意度评价为一般，限期整改", "2024-03-16", "open")]


def test_middle_grade_neither_rewards_nor_rectifies(survey: Survey, monkeypatch: pytest.MonkeyPatch) -> None:
    rewards = record_calls(monkeypatch, survey.engine, "funding.grant_reward", REWARD_PARAMS)
    rectifications = record_calls(monkeypatch, survey.engine, "inspection.open_rectification", RECTIFY_PARAMS)
    pid = survey.project()
    add_answers(survey.engine, pid, satisfied=29, dissatisfied=1)  # 96.67%: 良好 with [99, 95]
    survey.fire("committee", pid, "review_strict")
    assert grade_row(survey, pid).grade == "middle"
    assert (rewards, rectifications) == ([], [])


def test_missing_plugins_are_skipped_and_logged(survey: Survey, monkeypatch: pytest.MonkeyPatch,
                                                caplog: pytest.LogCaptureFixture) -> None:
    for name in ("funding.grant_reward", "inspection.open_rectification"):
        if name in survey.engine.catalog.actions:
            monkeypatch.delitem(survey.engine.catalog.actions, name)
    top, bottom = survey.project(), survey.project()
    add_answers(survey.engine, top, satisfied=30)
    add_answers(survey.engine, bottom, dissatisfied=30)
    with caplog.at_level(logging.WARNING, logger="minsheng.satisfaction"):
        survey.fire("committee", top, "review")
        survey.fire("committee", bottom, "review_strict")
    assert (grade_row(survey, top).grade, grade_row(survey, top).reward_fen) == ("top", None)
    assert (grade_row(survey, bottom).grade, grade_row(survey, bottom).rectification_days) == ("bottom", None)
    assert "'funding.grant_reward' is not registered" in caplog.text
    assert "'inspection.open_rectification' is not registered" in caplog.text


def test_grading_without_answers_is_refused_and_rolled_back(survey: Survey) -> None:
    pid = survey.project()
    with pytest.raises(GuardFailed, match="no valid satisfaction responses"):
        survey.fire("county_office", pid, "grade_unchecked")
    assert table(survey.engine, "satisfaction_grade") == []
    with orm.db_session:
        assert Sql(survey.engine.db).scalar("SELECT state FROM project WHERE id = ?", (pid,)) == "published"


def test_grade_uses_the_rate_not_the_mean_score(survey: Survey) -> None:
    pid = survey.project()
    add_answers(survey.engine, pid, scores=[60] * 30)  # mean 60, but every answer is 基本满意: rate 100%
    survey.fire("county_office", pid, "grade_unchecked")
    assert (grade_row(survey, pid).grade, grade_row(survey, pid).rate) == ("top", Decimal("100.00"))


def test_bad_bands_in_a_workflow_file_name_the_action() -> None:
    with pytest.raises(ValueError, match="action 'satisfaction.grade': 'bands' must satisfy 100 ≥ top > middle"):
        satisfaction.guards.grade(None, bands=[75, 90])  # type: ignore[arg-type]  # refused before any reading
