"""Survey rounds 调查轮次: answers are taken in rounds, each with an opening and a closing date.

- A round opens automatically when a project enters a **survey state**: a state from which a transition of its
  workflow is guarded by ``satisfaction.rated`` / ``satisfaction.above_bottom_grade`` or grades with
  ``satisfaction.grade`` (in the default workflow: 移交管护 ``handed_over``). It stays open ``DEFAULT_ROUND_DAYS``.
- It closes when the project leaves the survey state (the review 回头看 grades it; ``fail_review`` sends it to
  rectification 整改), when an office closes it (``closeSurveyRound``), or at the end of its closing date.
- Coming back to the survey state (``rectified`` 整改完成 returns the project to ``handed_over``) opens the next
  round: the rectification loop re-surveys the project, and the review reads the new round only.
- An office (政府办) or the committee (人大常委会) may open a round by hand (``openSurveyRound``) when none is open.

A device (and a signed-in rater) answers once per round. The guards and the grade read the **current round**:
the project's latest round, open or closed; earlier rounds stay on record with their own figures.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from pony import orm

from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql, by_project, marks, to_date, to_datetime
from engine.transition import locate
from plugins.satisfaction.config import DEFAULT_ROUND_DAYS

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.workflow.model import WorkflowDefinition

OPENER_ROLES = frozenset({"office", "committee"})  # 政府办, 人大常委会
STATE, OFFICE, RESURVEY, MIGRATED = "state", "office", "resurvey", "migrated"
ORIGIN_LABELS = {STATE: "进入测评阶段时自动开启", OFFICE: "由政府办/人大常委会开启",
                 RESURVEY: "整改后重新进入测评阶段，自动开启", MIGRATED: "轮次功能上线前的测评（迁移为第一轮）"}
SCHEDULED, OPEN, CLOSED = "scheduled", "open", "closed"
MAX_ROUND_DAYS = 366
SURVEY_GUARDS = frozenset({"satisfaction.rated", "satisfaction.above_bottom_grade"})
SURVEY_ACTIONS = frozenset({"satisfaction.grade"})
PROJECT_PATH = ["input", "projectId"]

COLUMNS = "id, project_id, number, opens_on, closes_on, closed_at, origin, created_at"


@dataclass(frozen=True)
class RoundView:
    id: int
    project_id: int
    number: int
    opens_on: dt.date
    closes_on: dt.date  # the last day answers are taken
    closed_at: dt.datetime | None  # closed before the end of its closing date
    origin: str
    created_at: dt.datetime

    def status(self, today: dt.date) -> str:
        if self.closed_at is not None or today > self.closes_on:
            return CLOSED
        return SCHEDULED if today < self.opens_on else OPEN

    def closed_on(self) -> dt.date:
        """The day the round stopped (or stops) taking answers."""
        return self.closes_on if self.closed_at is None else min(self.closed_at.date(), self.closes_on)


def round_view(row: Sequence[Any]) -> RoundView:
    return RoundView(row[0], row[1], row[2], to_date(row[3]), to_date(row[4]),
                     None if row[5] is None else to_datetime(row[5]), row[6], to_datetime(row[7]))


def rounds_of_projects(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[RoundView]]:
    """Each project's rounds, first round first, in one query."""
    if not project_ids:
        return {}
    rows = sql.all(f"SELECT {COLUMNS} FROM satisfaction_round WHERE project_id IN ({marks(len(project_ids))})"
                   " ORDER BY project_id, number", list(project_ids))
    return by_project(rows, round_view, 1)


def current_rounds(sql: Sql, project_ids: Sequence[int]) -> dict[int, RoundView]:
    """Each project's latest round (open or closed); projects without a round are left out."""
    return {pid: rounds[-1] for pid, rounds in rounds_of_projects(sql, project_ids).items()}


def current_round(sql: Sql, project_id: int) -> RoundView | None:
    return current_rounds(sql, [project_id]).get(project_id)


def definition_of(engine: Engine, name: str, version: int) -> WorkflowDefinition | None:
    current = engine.workflows.named(name)
    if current is not None and current.definition.version == version:
        return current.definition
    for loaded in engine.workflows.by_id.values():
        if loaded.definition.name == name and loaded.definition.version == version:
            return loaded.definition
    return None


def survey_states(definition: WorkflowDefinition) -> frozenset[str]:
    """The states from which a transition checks or grades satisfaction: where surveys are taken."""
    states: set[str] = set()
    for transition in definition.transitions:
        if any(ref.name in SURVEY_GUARDS for ref in transition.guards) or \
                any(ref.name in SURVEY_ACTIONS for ref in transition.actions):
            states.update(transition.sources)
    return frozenset(states)


def open_round_row(sql: Sql, project_id: int, previous: RoundView | None, opens_on: dt.date, closes_on: dt.date,
                   origin: str, opened_by: int | None, now: dt.datetime) -> RoundView:
    """Insert the project's next round (the caller holds the project's lock and checked none is open); a
    previous round past its closing date is marked closed on it."""
    if previous is not None and previous.closed_at is None:
        close_round_row(sql, previous, now)
    number = 1 if previous is None else previous.number + 1
    round_id = sql.insert("INSERT INTO satisfaction_round (project_id, number, opens_on, closes_on, closed_at, origin,"
                          " opened_by, created_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
                          (project_id, number, opens_on, closes_on, origin, opened_by, now))
    return RoundView(round_id, project_id, number, opens_on, closes_on, None, origin, now)


def close_round_row(sql: Sql, round_: RoundView, now: dt.datetime) -> None:
    """Stop the round taking answers: now, or at the end of its closing date if that has passed."""
    closed_at = now if now.date() <= round_.closes_on else \
        dt.datetime.combine(round_.closes_on, dt.time(23, 59, 59))
    sql.execute("UPDATE satisfaction_round SET closed_at = ? WHERE id = ? AND closed_at IS NULL",
                (closed_at, round_.id))


def on_transition(engine: Engine, sql: Sql, record: Any) -> None:
    """Entering a survey state opens a round (unless one is open); leaving it closes the open round. Costs no
    statement for a transition that neither enters nor leaves a survey state."""
    project = record.project
    definition = definition_of(engine, project.workflow_name, project.workflow_version)
    if definition is None:
        return
    states = survey_states(definition)
    entering = record.dest in states and record.source not in states
    leaving = record.source in states and record.dest not in states
    if not entering and not leaving:
        return
    now = record.at
    current = current_round(sql, project.id)
    status = None if current is None else current.status(now.date())
    if leaving and current is not None and status != CLOSED:
        close_round_row(sql, current, now)
    elif entering and (current is None or status == CLOSED):
        open_round_row(sql, project.id, current, now.date(), now.date() + dt.timedelta(days=DEFAULT_ROUND_DAYS),
                       STATE if current is None else RESURVEY, None, now)


def open_round_for_rating(sql: Sql, project_id: int, today: dt.date) -> RoundView:
    """The round an answer (or a vote session) counts toward: the open one, else CONFLICT saying why none is."""
    current = current_round(sql, project_id)
    if current is None:
        raise Conflict(f"no survey round (调查轮次) is open on project {project_id}: a round opens when the project "
                       "reaches the stage surveyed, or when an office opens one", path=PROJECT_PATH)
    status = current.status(today)
    if status == SCHEDULED:
        raise Conflict(f"survey round {current.number} of project {project_id} opens on {current.opens_on}: "
                       "answers are taken from then", path=PROJECT_PATH)
    if status == CLOSED:
        raise Conflict(f"survey round {current.number} of project {project_id} closed on {current.closed_on()}: "
                       "no round is open to answer in", path=PROJECT_PATH)
    return current


@dataclass(frozen=True)
class OpenRoundRequest:
    project_id: int
    opens_on: dt.date | None = None  # default: today
    closes_on: dt.date | None = None  # default: DEFAULT_ROUND_DAYS after it opens


def _check_opener(actor: ActorView, verb: str) -> None:
    if not actor.roles & OPENER_ROLES:
        raise Forbidden(f"only 政府办 (office) and 人大常委会 (committee) may {verb} a survey round",
                        path=PROJECT_PATH)


def _locate(engine: Engine, sql: Sql, actor: ActorView, project_id: int) -> None:
    try:
        locate(engine, sql, actor, project_id, lock=True)
    except NotFound as exc:
        raise NotFound(exc.message, path=PROJECT_PATH) from None


def date_problems(request: OpenRoundRequest, today: dt.date) -> tuple[dt.date, dt.date, list[FieldProblem]]:
    opens_on = request.opens_on or today
    closes_on = request.closes_on or opens_on + dt.timedelta(days=DEFAULT_ROUND_DAYS)
    problems = []
    if opens_on < today:
        problems.append(FieldProblem(["input", "opensOn"], f"a round cannot open in the past: {opens_on} is before "
                                                           f"today ({today})"))
    if closes_on < opens_on:
        problems.append(FieldProblem(["input", "closesOn"], f"the closing date {closes_on} is before the opening "
                                                            f"date {opens_on}"))
    elif (days := (closes_on - opens_on).days) > MAX_ROUND_DAYS:
        problems.append(FieldProblem(["input", "closesOn"], f"a round lasts at most {MAX_ROUND_DAYS} days, "
                                                            f"{opens_on} to {closes_on} is {days}"))
    return opens_on, closes_on, problems


def open_survey_round(engine: Engine, actor: ActorView, request: OpenRoundRequest) -> RoundView:
    """Open the project's next round by hand; CONFLICT while a round is open or scheduled."""
    _check_opener(actor, "open")
    now = engine.clock.now()
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        _locate(engine, sql, actor, request.project_id)  # access first: then the input
        opens_on, closes_on, problems = date_problems(request, now.date())
        if problems:
            raise InvalidInput(problems)
        current = current_round(sql, request.project_id)
        if current is not None and current.status(now.date()) != CLOSED:
            raise Conflict(f"survey round {current.number} of project {request.project_id} is "
                           f"{'open' if current.status(now.date()) == OPEN else 'scheduled'} from {current.opens_on} "
                           f"to {current.closes_on}: close it before opening another", path=PROJECT_PATH)
        return open_round_row(sql, request.project_id, current, opens_on, closes_on, OFFICE, actor.id, now)


def close_survey_round(engine: Engine, actor: ActorView, project_id: int) -> RoundView:
    """Close the project's open (or scheduled) round now; CONFLICT when none is."""
    _check_opener(actor, "close")
    now = engine.clock.now()
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        _locate(engine, sql, actor, project_id)
        current = current_round(sql, project_id)
        if current is None or current.status(now.date()) == CLOSED:
            detail = "it has no round" if current is None else \
                f"round {current.number} closed on {current.closed_on()}"
            raise Conflict(f"no survey round is open on project {project_id}: {detail}", path=PROJECT_PATH)
        close_round_row(sql, current, now)
        return current_round(sql, project_id)  # type: ignore[return-value]
