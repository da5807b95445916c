"""Satisfaction records for the demo district (平安区): a residents' survey 满意度测评 before each review that
needs one, a few early answers on projects handed over but not yet reviewed (so the review shows why it is
blocked), and a deputies' vote session 人大代表票决测评 on every reviewed project. A project whose 回头看 sends it
to rectification (``fail_review``) first gets a survey round graded 一般; after ``rectified`` a second round
re-surveys it and the review grades that round. Deterministic per project."""
from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from pony import orm

from engine.storage.sql import Sql
from plugins.satisfaction import chained, device, tokens
from plugins.satisfaction.config import DEFAULT_ROUND_DAYS
from plugins.satisfaction.rounds import STATE, RoundView, current_round, open_round_row, survey_states
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


def poor_survey_answers(rng: random.Random, count: int) -> list[str]:
    """Verdicts of a survey that grades the project 一般: about 55–70% favourable."""
    favourable = count * rng.randint(55, 70) // 100
    basic = favourable // 3
    return ["satisfied"] * (favourable - basic) + ["basically_satisfied"] * basic + \
        ["dissatisfied"] * (count - favourable)


def survey_round(sql: Sql, project_id: int, now: dt.datetime) -> RoundView:
    """The project's current survey round; one opened now when it has none (a workflow without survey states)."""
    current = current_round(sql, project_id)
    if current is not None:
        return current
    return open_round_row(sql, project_id, None, now.date(), now.date() + dt.timedelta(days=DEFAULT_ROUND_DAYS),
                          STATE, None, now)


def add_survey(sql: Sql, project_id: int, count: int, rng: random.Random, now: dt.datetime,
               verdicts: list[str] | None = None) -> None:
    """``count`` anonymous residents' answers in the current survey round (or ``verdicts``), half of them on the
    five-level scale, each from a device holding a token the server signed an hour before (as
    ``issueDeviceToken`` would have)."""
    round_ = survey_round(sql, project_id, now)
    for verdict in verdicts if verdicts is not None else survey_answers(rng, count):
        score = rng.choice(FIVE_LEVEL[verdict]) if rng.random() < 0.5 else None
        token = tokens.sign(sql, now - dt.timedelta(hours=1))
        rating_id = sql.insert("INSERT INTO satisfaction_rating (project_id, rater_kind, score, verdict, device_hash,"
                               " rated_at, round_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (project_id, "resident", score, verdict,
                                device.device_hash(sql, project_id, token, round_.number), now, round_.id))
        chained.append_rating(sql, project_id, rating_id, ("resident", score, verdict, None), None,
                              chained.RESIDENT_NAME, now)


def leaves_survey_ungraded(engine: Engine, workflow: str, state: str, event: str) -> int | None:
    """When ``event`` takes the project out of a survey state without grading it (``fail_review``: 回头看发现问题，
    转入整改), the answers a review from that state would need (so the demo leaves a round graded 一般 first)."""
    loaded = engine.workflows.named(workflow)
    transition = loaded.definition.find(state, event) if loaded else None
    if transition is None or state not in survey_states(loaded.definition):
        return None
    if any(ref.name.startswith("satisfaction.") for ref in (*transition.guards, *transition.actions)):
        return None
    needs = [answers_needed(engine, workflow, state, t.event) for t in loaded.definition.transitions
             if state in t.sources]
    return max([n for n in needs if n is not None], default=30)


def prepare(engine: Engine, demo: Any, project: Any, event: str) -> None:
    """Before an event guarded by ``satisfaction.rated``, leave a survey with enough answers in the current round;
    before an event that sends the project from its survey to rectification, a poor survey (graded 一般). The
    rectification's return then opens the next round, which the review reads: the demo's re-survey."""
    needed = answers_needed(engine, demo.workflow, project.state, event)
    poor = None if needed is not None else leaves_survey_ungraded(engine, demo.workflow, project.state, event)
    if needed is None and poor is None:
        return
    rng = random.Random(f"survey-{project.code}-{event}")
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        if poor is not None:
            count = poor + rng.randint(5, 15)
            add_survey(sql, project.id, count, rng, demo.clock.now(), poor_survey_answers(rng, count))
            return
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
    round_ = survey_round(sql, project_id, now)
    sql.execute("INSERT INTO satisfaction_vote (project_id, body, voted_on, expected, present, satisfied,"
                " basically_satisfied, dissatisfied, verdict, actor_id, recorded_at, round_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (project_id, "平安区人大常委会", now.date() - dt.timedelta(days=5), 35, 29, *votes, verdict,
                 actor_id, now, round_.id))
