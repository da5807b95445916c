"""Recording and reading the 议政会 (town deliberative council) resolutions on a project.

A resolution passes when more than half of the members present vote for it (过半数通过); ``passed`` is worked
out from the votes when the resolution is recorded, never typed in.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pony import orm

from engine.directory.actors import ActorView
from engine.errors import FieldProblem, Forbidden, InvalidInput
from engine.storage.sql import Sql, marks, to_date, to_datetime
from engine.transition import locate

if TYPE_CHECKING:
    from engine.core import Engine

RECORDING_ROLES = frozenset({"office", "committee"})  # 政府办 / 人大 of the project's area
MAX_MINUTES_NO = 60

SELECT = ("SELECT r.id, r.project_id, r.meeting_date, r.attendees, r.votes_for, r.votes_against,"
          " r.votes_abstain, r.passed, r.minutes_no, a.name, r.recorded_at"
          " FROM yizhenghui_resolution r LEFT JOIN actor a ON a.id = r.recorded_by")


@dataclass(frozen=True)
class NewResolution:
    """What the clerk copies from the council's minutes."""

    meeting_date: dt.date
    attendees: int
    votes_for: int
    votes_against: int
    votes_abstain: int
    minutes_no: str


@dataclass(frozen=True)
class Resolution:
    """A recorded resolution; ``recorded_by`` is the recording actor's name."""

    id: int
    project_id: int
    meeting_date: dt.date
    attendees: int
    votes_for: int
    votes_against: int
    votes_abstain: int
    passed: bool
    minutes_no: str
    recorded_by: str | None
    recorded_at: dt.datetime


def majority(attendees: int) -> int:
    """The fewest votes for that pass a resolution: more than half of the members present."""
    return attendees // 2 + 1


def record_resolution(engine: Engine, actor: ActorView, project_id: int, new: NewResolution) -> Resolution:
    """Record a council resolution on a project in the actor's area; return it as stored."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        locate(engine, sql, actor, project_id, lock=True)  # outside the actor's area: NotFound, like a missing one
        if not actor.roles & RECORDING_ROLES:
            raise Forbidden("only the government office (政府办) or the congress (人大) of the project's area may "
                            "record a 议政会 resolution", path=["input", "projectId"])
        minutes_no = _checked(sql, project_id, new, engine.clock.today())
        new_id = sql.insert(
            "INSERT INTO yizhenghui_resolution (project_id, meeting_date, attendees, votes_for, votes_against,"
            " votes_abstain, passed, minutes_no, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, new.meeting_date, new.attendees, new.votes_for, new.votes_against, new.votes_abstain,
             new.votes_for >= majority(new.attendees), minutes_no, actor.id, engine.clock.now()))
        return _resolution(sql.one(SELECT + " WHERE r.id = ?", (new_id,)))


def of_projects(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Resolution]]:
    """Each project's resolutions, latest meeting first, in one query for any number of projects: a page of
    projects asks for all of them at once (``engine.api.batch``); inside a db_session."""
    rows = sql.all(SELECT + f" WHERE r.project_id IN ({marks(len(project_ids))})"
                   " ORDER BY r.meeting_date DESC, r.id DESC", list(project_ids))
    found: dict[int, list[Resolution]] = {}
    for row in rows:
        resolution = _resolution(row)
        found.setdefault(resolution.project_id, []).append(resolution)
    return found


def _checked(sql: Sql, project_id: int, new: NewResolution, today: dt.date) -> str:
    """The trimmed minutes number, or ``InvalidInput`` listing every problem with the input."""
    problems = _vote_problems(new)
    if new.meeting_date > today:
        problems.append(_problem("meetingDate", f"the meeting date {new.meeting_date} is after today ({today})"))
    minutes_no = new.minutes_no.strip()
    if not minutes_no or len(minutes_no) > MAX_MINUTES_NO:
        problems.append(_problem("minutesNo", f"give the minutes number (1 to {MAX_MINUTES_NO} characters), "
                                              "e.g. 东议〔2024〕3号"))
    elif sql.scalar("SELECT id FROM yizhenghui_resolution WHERE project_id = ? AND minutes_no = ?",
                    (project_id, minutes_no)) is not None:
        problems.append(_problem("minutesNo", f"a resolution with minutes {minutes_no} is already recorded for "
                                              "this project"))
    if problems:
        raise InvalidInput(problems)
    return minutes_no


def _vote_problems(new: NewResolution) -> list[FieldProblem]:
    problems = [_problem(name, f"must not be negative, got {value}")
                for name, value in (("votesFor", new.votes_for), ("votesAgainst", new.votes_against),
                                    ("votesAbstain", new.votes_abstain)) if value < 0]
    cast = new.votes_for + new.votes_against + new.votes_abstain
    if new.attendees < 1:
        problems.append(_problem("attendees", f"at least one member must be present, got {new.attendees}"))
    elif cast > new.attendees:
        problems.append(_problem("attendees", f"{cast} votes were cast ({new.votes_for} for, {new.votes_against} "
                                              f"against, {new.votes_abstain} abstaining) but only "
                                              f"{new.attendees} members were present"))
    return problems


def _problem(field: str, message: str) -> FieldProblem:
    return FieldProblem(["input", field], message)


def _resolution(row: tuple) -> Resolution:
    return Resolution(row[0], row[1], to_date(row[2]), row[3], row[4], row[5], row[6], bool(row[7]), row[8],
                      row[9], to_datetime(row[10]))
