"""Reading satisfaction results: a project's tally by rater kind, its latest grade, and the roll-up over a
region and year (one SQL query)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Sequence

from engine.directory.actors import ActorView
from engine.directory.access import read_scope_sql
from engine.api.access import readable_region
from engine.storage.sql import Sql, by_project, first_rows_per_project, marks, to_datetime, to_decimal
from plugins.satisfaction.chained import IN_FORCE
from plugins.satisfaction.ratings import DEPUTY, RATER_KINDS
from plugins.satisfaction.rounds import RoundView, round_view, rounds_of_projects
from plugins.satisfaction.scoring import BASICALLY_SATISFIED, DEFAULT_BANDS, DISSATISFIED, SATISFIED, Tally

if TYPE_CHECKING:
    from engine.core import Engine

TALLY_COLUMNS = (f"SUM(CASE WHEN r.verdict = '{SATISFIED}' THEN 1 ELSE 0 END),"
                 f" SUM(CASE WHEN r.verdict = '{BASICALLY_SATISFIED}' THEN 1 ELSE 0 END),"
                 f" SUM(CASE WHEN r.verdict = '{DISSATISFIED}' THEN 1 ELSE 0 END),"
                 " SUM(r.score), COUNT(r.score)")


def _tally(row: tuple | None) -> Tally:
    if row is None:
        return Tally()
    return Tally(*(int(v or 0) for v in row))


@dataclass(frozen=True)
class ProjectTally:
    """All answers on a project, and the same split by rater kind (群众 / 监督员 / 人大代表)."""

    overall: Tally
    by_kind: dict[str, Tally] = field(default_factory=dict)


def project_tally(sql: Sql, project_id: int) -> ProjectTally:
    return project_tallies(sql, [project_id])[project_id]


def project_tallies(sql: Sql, project_ids: Sequence[int]) -> dict[int, ProjectTally]:
    """``project_tally`` of each project, in one query."""
    rows = sql.all(f"SELECT r.project_id, r.rater_kind, {TALLY_COLUMNS} FROM satisfaction_rating r WHERE"
                   f" r.project_id IN ({marks(len(project_ids))}) AND {IN_FORCE} GROUP BY r.project_id, r.rater_kind",
                   list(project_ids))
    found = by_project(rows, lambda row: row[1:])
    return {project_id: _project_tally(found.get(project_id, ())) for project_id in project_ids}


def _project_tally(rows: Sequence[Sequence]) -> ProjectTally:
    by_kind = {kind: Tally() for kind in RATER_KINDS}
    by_kind.update({row[0]: _tally(row[1:]) for row in rows})
    overall = Tally(*(sum(getattr(t, name) for t in by_kind.values())
                      for name in ("satisfied", "basically_satisfied", "dissatisfied", "score_sum", "scored")))
    return ProjectTally(overall, by_kind)


def response_count(sql: Sql, project_id: int) -> int:
    """Valid answers 有效答卷 on a project in its current survey round."""
    return response_counts(sql, [project_id])[project_id]


def response_counts(sql: Sql, project_ids: Sequence[int]) -> dict[int, int]:
    """``response_count`` of each project (answers in its current round, reversed ones 冲正 left out), in one query."""
    found = dict(sql.all("SELECT s.project_id, COUNT(r.id) FROM satisfaction_round s JOIN satisfaction_rating r ON"
                         f" r.round_id = s.id WHERE s.project_id IN ({marks(len(project_ids))}) AND s.number ="
                         " (SELECT MAX(m.number) FROM satisfaction_round m WHERE m.project_id = s.project_id)"
                         f" AND {IN_FORCE} GROUP BY s.project_id", list(project_ids)))
    return {project_id: int(found.get(project_id) or 0) for project_id in project_ids}


def round_tallies(sql: Sql, round_ids: Sequence[int]) -> dict[int, ProjectTally]:
    """The answers of each survey round, by rater kind, in one query."""
    if not round_ids:
        return {}
    rows = sql.all(f"SELECT r.round_id, r.rater_kind, {TALLY_COLUMNS} FROM satisfaction_rating r WHERE"
                   f" r.round_id IN ({marks(len(round_ids))}) GROUP BY r.round_id, r.rater_kind", list(round_ids))
    found = by_project(rows, lambda row: row[1:])
    return {round_id: _project_tally(found.get(round_id, ())) for round_id in round_ids}


def vote_tallies(sql: Sql, round_ids: Sequence[int]) -> dict[int, Tally]:
    """The votes cast in the deputies' vote sessions of each round (满意 / 基本满意 / 不满意), in one query."""
    if not round_ids:
        return {}
    rows = sql.all("SELECT round_id, SUM(satisfied), SUM(basically_satisfied), SUM(dissatisfied), COUNT(*) FROM"
                   f" satisfaction_vote WHERE round_id IN ({marks(len(round_ids))}) GROUP BY round_id",
                   list(round_ids))
    return {row[0]: Tally(int(row[1] or 0), int(row[2] or 0), int(row[3] or 0)) for row in rows}


def _plus(a: Tally, b: Tally) -> Tally:
    return Tally(a.satisfied + b.satisfied, a.basically_satisfied + b.basically_satisfied,
                 a.dissatisfied + b.dissatisfied, a.score_sum + b.score_sum, a.scored + b.scored)


@dataclass(frozen=True)
class RoundTally:
    """A survey round's answers and the votes cast in its deputies' vote sessions."""

    round: RoundView | None
    answers: ProjectTally
    votes: Tally = Tally()

    @property
    def overall(self) -> Tally:
        """Every individual answer in the round (vote sessions are not answers)."""
        return self.answers.overall

    def weighting_by_kind(self) -> dict[str, Tally]:
        """The tallies the weighted rate uses: the deputies' share counts their individual answers and every vote
        cast in the round's vote sessions (人大代表票决测评)."""
        by_kind = dict(self.answers.by_kind)
        by_kind[DEPUTY] = _plus(by_kind.get(DEPUTY, Tally()), self.votes)
        return by_kind


CURRENT_ROUND_TALLIES = (
    "SELECT s.id, s.project_id, s.number, s.opens_on, s.closes_on, s.closed_at, s.origin, s.created_at,"
    f" r.rater_kind, {TALLY_COLUMNS},"
    " (SELECT SUM(v.satisfied) FROM satisfaction_vote v WHERE v.round_id = s.id),"
    " (SELECT SUM(v.basically_satisfied) FROM satisfaction_vote v WHERE v.round_id = s.id),"
    " (SELECT SUM(v.dissatisfied) FROM satisfaction_vote v WHERE v.round_id = s.id)"
    " FROM satisfaction_round s LEFT JOIN satisfaction_rating r ON r.round_id = s.id"
    " WHERE s.project_id IN ({ids}) AND s.number ="
    " (SELECT MAX(m.number) FROM satisfaction_round m WHERE m.project_id = s.project_id)"
    " GROUP BY s.id, s.project_id, s.number, s.opens_on, s.closes_on, s.closed_at, s.origin, s.created_at,"
    " r.rater_kind")


def current_round_tallies(sql: Sql, project_ids: Sequence[int]) -> dict[int, RoundTally]:
    """Each project's current survey round with its answers and votes (an empty tally without a round), in one
    query (guards read it for a whole page)."""
    rows = sql.all(CURRENT_ROUND_TALLIES.format(ids=marks(len(project_ids))), list(project_ids))
    found = by_project(rows, lambda row: row, 1)
    result = {}
    for project_id in project_ids:
        mine = found.get(project_id)
        if not mine:
            result[project_id] = RoundTally(None, _project_tally(()))
            continue
        votes = Tally(*(int(v or 0) for v in mine[0][14:17]))
        answers = _project_tally([row[8:14] for row in mine if row[8] is not None])
        result[project_id] = RoundTally(round_view(mine[0][:8]), answers, votes)
    return result


@dataclass(frozen=True)
class GradeView:
    grade: str  # top | middle | bottom
    rate: Decimal  # percent
    responses: int
    favourable: int
    band_top: Decimal
    band_middle: Decimal
    reward_fen: int | None
    rectification_days: int | None
    graded_at: dt.datetime
    weights: dict[str, int] | None = None  # by rater kind; None: every answer counted alike
    round_id: int | None = None  # the survey round graded


def latest_grade(sql: Sql, project_id: int) -> GradeView | None:
    return latest_grades(sql, [project_id]).get(project_id)


GRADES = ("SELECT project_id, grade, rate, responses, favourable, band_top, band_middle, reward, rectification_days,"
          " graded_at, weight_resident, weight_supervisor, weight_deputy, round_id, id FROM satisfaction_grade"
          " WHERE project_id = ?")


def latest_grades(sql: Sql, project_ids: Sequence[int]) -> dict[int, GradeView]:
    """Each graded project's latest grade, in one statement."""
    rows = first_rows_per_project(sql, GRADES, "graded_at DESC, id DESC", project_ids, (), 1)
    return {row[0]: _grade(row[1:]) for row in rows}


def _grade(row: Sequence) -> GradeView:
    weights = None if row[9] is None else {kind: int(w or 0) for kind, w in zip(RATER_KINDS, row[9:12])}
    return GradeView(row[0], to_decimal(row[1]), row[2], row[3], to_decimal(row[4]), to_decimal(row[5]),
                     None if row[6] is None else int(row[6]), row[7], to_datetime(row[8]), weights, row[12])


@dataclass(frozen=True)
class Rollup:
    """Satisfaction over every valid answer on the projects of an area (and year)."""

    tally: Tally
    projects: int  # projects with at least one answer


def rollup(engine: Engine, sql: Sql, actor: ActorView, region_id: int | None, year: int | None) -> Rollup:
    """One aggregate query over ``satisfaction_rating`` joined to ``project`` by the region's path; the public
    counts only published projects. A region outside the reader's area answers like a missing one."""
    path = _region_path(engine, sql, actor, region_id)
    conditions, params = read_scope_sql(engine, actor, "p")  # the public: published projects; a unit: its own
    conditions, params = [*conditions, "p.region_path LIKE ?", IN_FORCE], [*params, path + "%"]
    if year is not None:
        conditions.append("p.year = ?")
        params.append(year)
    row = sql.one(f"SELECT {TALLY_COLUMNS}, COUNT(DISTINCT r.project_id) FROM satisfaction_rating r"
                  f" JOIN project p ON p.id = r.project_id WHERE {' AND '.join(conditions)}", params)
    return Rollup(_tally(row[:5] if row else None), int((row or [0] * 6)[5] or 0))


def _region_path(engine: Engine, sql: Sql, actor: ActorView, region_id: int | None) -> str:
    """The path of the region asked for (default: the reader's own region; the public: everything)."""
    if region_id is None:
        return actor.region_path or "/"
    return readable_region(engine, sql, actor, region_id).path


GRADE_ACTION = "satisfaction.grade"


def workflow_weights(engine: Engine, workflow_id: int) -> dict[str, int] | None:
    """The weights of the first ``satisfaction.grade`` action in the project's workflow (file order), every kind
    listed; None when it has no weights (or no such action): every answer then counts alike."""
    definition = engine.workflows.get(workflow_id).definition
    for transition in definition.transitions:
        for ref in transition.actions:
            if ref.name == GRADE_ACTION:
                weights = ref.params.get("weights")
                return None if weights is None else {kind: int(weights.get(kind, 0)) for kind in RATER_KINDS}
    return None


def workflow_bands(engine: Engine, workflow_id: int) -> list[object]:
    """The bands of the first ``satisfaction.grade`` action in the project's workflow (default [90, 75])."""
    definition = engine.workflows.get(workflow_id).definition
    for transition in definition.transitions:
        for ref in transition.actions:
            if ref.name == GRADE_ACTION:
                return list(ref.params.get("bands", DEFAULT_BANDS))
    return list(DEFAULT_BANDS)


@dataclass(frozen=True)
class RoundSummary:
    """One survey round with its figures: answers by kind, the votes of its deputies' vote sessions, its grade."""

    round: RoundView
    tally: RoundTally
    sessions: int  # deputies' vote sessions counted toward it
    grade: GradeView | None  # the grade the review gave it, if any


def round_summaries(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[RoundSummary]]:
    """Every round of each project, first round first, with its figures: four queries for any number of
    projects."""
    by_pid = rounds_of_projects(sql, project_ids)
    ids = [r.id for rounds in by_pid.values() for r in rounds]
    if not ids:
        return {}
    answers, votes = round_tallies(sql, ids), vote_tallies(sql, ids)
    sessions = dict(sql.all(f"SELECT round_id, COUNT(*) FROM satisfaction_vote WHERE round_id IN ({marks(len(ids))})"
                            " GROUP BY round_id", ids))
    grades: dict[int, GradeView] = {}
    for row in sql.all(GRADES.replace(" WHERE project_id = ?", f" WHERE round_id IN ({marks(len(ids))})")
                       + " ORDER BY graded_at, id", ids):
        grades[row[13]] = _grade(row[1:])  # the latest grade of each round wins
    return {pid: [RoundSummary(r, RoundTally(r, answers[r.id], votes.get(r.id, Tally())), int(sessions.get(r.id, 0)),
                               grades.get(r.id)) for r in rounds] for pid, rounds in by_pid.items()}
