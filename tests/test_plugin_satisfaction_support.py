"""Fixtures and helpers for the satisfaction plugin's tests (no tests here).

The ``survey`` workflow is small and uses only this plugin's guard and action, so the tests do not depend on the
other plugins' guards to reach a review: draft → published (public) → reviewed, with three review events that
grade with different action parameters.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pytest
from pony import orm

from engine.directory.admin import add_actor
from engine.core import Engine
from engine.workflow.guards import ActionSpec, GuardContext, Param
from engine.storage.sql import Sql
from plugins.satisfaction import tokens
from plugins.satisfaction.summary import GradeView, ProjectTally, latest_grade, project_tally
from plugins.satisfaction.votes import VoteRequest, VoteView, record_deputy_vote
from engine.transition import TransitionRecord, TransitionRequest, fire_transition
from tests.district import District

SURVEY_WORKFLOW = """
name: survey
version: 1
label: 满意度测评测试流程
initial: draft
roles:
  office: 政府办
  committee: 人大常委会
  supervisor: 监督员
  deputy: 人大代表
  resident: 群众
  unit: 牵头单位
  finance: 财政局
states:
  draft: {label: 草稿, editable: true}
  published: {label: 已公开, public: true}
  reviewed: {label: 回头看, final: true, public: true}
transitions:
  - event: publish
    label: 公开
    from: draft
    to: published
    roles: [committee, office]
  - event: review
    label: 回头看
    from: published
    to: reviewed
    roles: [committee, office]
    guards:
      - satisfaction.rated: {min_responses: 30}
    actions:
      - satisfaction.grade: {reward_amount: 100000}
  - event: review_strict
    label: 回头看（严格档次）
    from: published
    to: reviewed
    roles: [committee]
    guards:
      - satisfaction.rated
    actions:
      - satisfaction.grade: {bands: [99, 95], rectification_days: 15}
  - event: review_above_bottom
    label: 回头看（一般档须整改）
    from: published
    to: reviewed
    roles: [committee]
    guards:
      - satisfaction.above_bottom_grade
  - event: grade_unchecked
    label: 直接评定
    from: published
    to: reviewed
    roles: [office]
    actions:
      - satisfaction.grade
"""

DEVICE = "3f1c2b9e-8d4a-4c57-9a0e-6b2f7d1e5a93"  # well-formed, but not signed by the server
OTHER_DEVICE = "b7e0d8c1-2a6f-4e3b-8c9d-0f1a2b3c4d5e"

ISSUE = "mutation { issueDeviceToken { token issuedAt validFrom expiresAt userErrors { code message path } } }"


def signed_token(engine: Engine, seconds_ago: int = 60) -> str:
    """A device token the server signed ``seconds_ago`` (old enough to rate, by default)."""
    with orm.db_session:
        return tokens.sign(Sql(engine.db), engine.clock.now() - dt.timedelta(seconds=seconds_ago))


def issue_token(gql: Any) -> str:
    """A device token from ``issueDeviceToken`` over HTTP, as an app gets one (not yet old enough to rate)."""
    body = gql(None, ISSUE)
    assert "errors" not in body and body["data"]["issueDeviceToken"]["userErrors"] == [], body
    return body["data"]["issueDeviceToken"]["token"]


@dataclass
class Survey:
    """The survey workflow loaded into the test engine, and the district to act in."""

    engine: Engine
    district: District
    devices: dict[str, str] = field(default_factory=dict)

    def token(self, name: str = DEVICE) -> str:
        """The signed token of the device called ``name`` (one per name, issued a minute before the clock)."""
        if name not in self.devices:
            self.devices[name] = signed_token(self.engine)
        return self.devices[name]

    def project(self, region: str = "county", publish: bool = True, **details: Any) -> int:
        project_id = self.district.project(region=region, workflow="survey", **details)
        if publish:
            self.fire("committee", project_id, "publish")
        return project_id

    def fire(self, username: str, project_id: int, event: str, **fields: Any) -> TransitionRecord:
        actor = self.district.actor(username)
        return fire_transition(self.engine, actor, TransitionRequest(project_id, event, fields))


@pytest.fixture
def survey(engine: Engine, district: District, tmp_path: Path) -> Survey:
    path = tmp_path / "survey.yaml"
    path.write_text(SURVEY_WORKFLOW, encoding="utf-8")
    engine.load_workflows([path])
    for username, roles, region in [("resident_li", ["resident"], "county"),
                                    ("town_b_supervisor", ["supervisor"], "town_b"),
                                    ("town_b_committee", ["committee"], "town_b")]:
        district.tokens[username] = add_actor(engine, username, username, roles, region)
    return Survey(engine, district)


def add_answers(engine: Engine, project_id: int, satisfied: int = 0, basic: int = 0, dissatisfied: int = 0,
                scores: Iterable[int] = ()) -> None:
    """Bulk answers from residents (verdicts, then five-level scores) in the project's current survey round, as a
    survey campaign would leave them."""
    score_verdict = {100: "satisfied", 80: "satisfied", 60: "basically_satisfied", 40: "dissatisfied",
                     20: "dissatisfied"}
    rows = [(None, "satisfied")] * satisfied + [(None, "basically_satisfied")] * basic
    rows += [(None, "dissatisfied")] * dissatisfied + [(s, score_verdict[s]) for s in scores]
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        round_id = sql.scalar("SELECT MAX(id) FROM satisfaction_round WHERE project_id = ?", (project_id,))
        for score, verdict in rows:
            sql.execute("INSERT INTO satisfaction_rating (project_id, rater_kind, score, verdict, device_hash,"
                        " rated_at, round_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (project_id, "resident", score, verdict, secrets.token_hex(32), engine.clock.now(), round_id))


def table(engine: Engine, name: str) -> list[dict[str, Any]]:
    """Every row of a table as dicts (to inspect what is really stored)."""
    with orm.db_session:
        cursor = Sql(engine.db).execute(f"SELECT * FROM {name} ORDER BY id")
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


@dataclass
class ActionCall:
    name: str
    params: dict[str, Any]


def record_calls(monkeypatch: pytest.MonkeyPatch, engine: Engine, name: str, params: dict[str, Param]) -> list:
    """Replace (or add) the named action by one that records its calls and then runs the real one, if any."""
    calls: list[ActionCall] = []
    real = engine.catalog.actions.get(name)

    def run(ctx: GuardContext, **given: Any) -> None:
        calls.append(ActionCall(name, given))
        if real is not None:
            real.run(ctx, **given)

    spec = ActionSpec(name, run, real.params if real else params, "recorded by the test")
    monkeypatch.setitem(engine.catalog.actions, name, spec)
    return calls


def tally(survey: Survey, project_id: int) -> ProjectTally:
    with orm.db_session:
        return project_tally(Sql(survey.engine.db), project_id)


def grade_row(survey: Survey, project_id: int) -> GradeView | None:
    with orm.db_session:
        return latest_grade(Sql(survey.engine.db), project_id)


def vote(survey: Survey, who: str, pid: int, present: int, votes: tuple[int, int, int], expected: int = 35,
         **more: Any) -> VoteView:
    """Record a deputies' vote session as ``who``."""
    request = VoteRequest(pid, present, expected, *votes, **more)
    return record_deputy_vote(survey.engine, survey.district.actor(who), request)
