"""Satisfaction records for the demo district (平安区): a residents' survey 满意度测评 before each review that
needs one, a few early answers on projects handed over but not yet reviewed (so the review shows why it is
blocked), and a deputies' vote session 人大代表票决测评 on every reviewed project. Deterministic per project."""
from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from pony import orm

from engine.storage.sql import Sql
from plugins.satisfaction import chained, device, tokens
from plugins.satisfaction.scoring import deputies_verdict
from plugins.satisfaction.summary import response_count

if TYPE_CHECKING:
    from engine.core import Engine

RATED_GUARD = "satisfaction.rated"
VOTES = ((28, 1, 0), (17, 11, 1), (25, 3, 1), (22, 6, 1), (10, 10, 9))  # DOMAIN.md's 29 present, and others
FIVE_LEVEL = {"satisfied": (100, 80), "basically_satisfied": (60,), "dissatisfied": (40, 20)}


def answers_needed(engine: Engine, workflow: str, state: str, event: str) -> int | None:
    """How many answers the event's ``satisfaction.rated`` guard asks for, or None when it has none."""
    loaded = engine.workflows.named(workflow)
    transition = loaded.definition.find(state, event) if loaded else None
    for ref in transition.guards if transition else ():
        if ref.name == RATED_GUARD:
            return int(ref.params.get("min_responses", 30))
    return None


def survey_answers(rng: random.Random, count: int) -> list[str]:
    """Verdicts of a plausible survey: mostly 满意, some 基本满意, a few 不满意 (rates of about 88–100%)."""
    dissatisfied = rng.randint(0, max(1, count // 9))
    basic = rng.randint(1, max(1, count // 5))
    return ["dissatisfied"] * dissatisfied + ["basically_satisfied"] * basic + \
        ["satisfied"] * max(count - dissatisfied - basic, 0)


def add_survey(sql: Sql, project_id: int, count: int, rng: random.Random, now: dt.datetime) -> None:
    """``count`` anonymous residents' answers, half of them on the five-level scale, each from a device holding a
    token the server signed an hour before (as ``issueDeviceToken`` would have)."""
    for verdict in survey_answers(rng, count):
        score = rng.choice(FIVE_LEVEL[verdict]) if rng.random() < 0.5 else None
        token = tokens.sign(sql, now - dt.timedelta(hours=1))
        rating_id = sql.insert("INSERT INTO satisfaction_rating (project_id, rater_kind, score, verdict, device_hash,"
                               " rated_at) VALUES (?, ?, ?, ?, ?, ?)",
                               (project_id, "resident", score, verdict, device.device_hash(sql, project_id, token), now))
        chained.append_rating(sql, project_id, rating_id, ("resident", score, verdict, None), None,
                              chained.RESIDENT_NAME, now)


def prepare(engine: Engine, demo: Any, project: Any, event: str) -> None:
    """Before an event guarded by ``satisfaction.rated``, leave a survey with enough answers."""
    needed = answers_needed(engine, demo.workflow, project.state, event)
    if needed is None:
        return
    rng = random.Random(f"survey-{project.code}")
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        missing = needed - response_count(sql, project.id)
        if missing > 0:
            add_survey(sql, project.id, missing + rng.randint(5, 25), rng, demo.clock.now())


def add_demo_data(sql: Sql, demo: Any) -> None:
    """Early answers on projects handed over (fewer than a review needs) and a vote on each reviewed one."""
    committee = demo.actors.get("committee")
    for project in demo.projects.values():
        rng = random.Random(f"demo-{project.code}")
        if project.stage == "handed_over" and not response_count(sql, project.id):
            add_survey(sql, project.id, rng.randint(8, 24), rng, demo.clock.now())
        if project.stage == "reviewed" and committee is not None:
            _add_vote(sql, project.id, rng.choice(VOTES), committee.id, demo.clock.now())


def _add_vote(sql: Sql, project_id: int, votes: tuple[int, int, int], actor_id: int, now: dt.datetime) -> None:
    verdict = deputies_verdict(29, votes[0], votes[1])
    sql.execute("INSERT INTO satisfaction_vote (project_id, body, voted_on, expected, present, satisfied,"
                " basically_satisfied, dissatisfied, verdict, actor_id, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (project_id, "平安区人大常委会", now.date() - dt.timedelta(days=5), 35, 29, *votes, verdict,
                 actor_id, now))
