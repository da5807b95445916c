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
from plugins.satisfaction.ratings import RATER_KINDS
from plugins.satisfaction.scoring import BASICALLY_SATISFIED, DISSATISFIED, SATISFIED, Tally

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
    """Valid answers 有效答卷 on a project."""
    return response_counts(sql, [project_id])[project_id]


def response_counts(sql: Sql, project_ids: Sequence[int]) -> dict[int, int]:
    """``response_count`` of each project, in one query (reversed answers, 冲正, do not count)."""
    found = dict(sql.all(f"SELECT r.project_id, COUNT(*) FROM satisfaction_rating r WHERE r.project_id IN"
                         f" ({marks(len(project_ids))}) AND {IN_FORCE} GROUP BY r.project_id", list(project_ids)))
    return {project_id: int(found.get(project_id) or 0) for project_id in project_ids}


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


def latest_grade(sql: Sql, project_id: int) -> GradeView | None:
    return latest_grades(sql, [project_id]).get(project_id)


GRADES = ("SELECT project_id, grade, rate, responses, favourable, band_top, band_middle, reward, rectification_days,"
          " graded_at, weight_resident, weight_supervisor, weight_deputy, id FROM satisfaction_grade"
          " WHERE project_id = ?")


def latest_grades(sql: Sql, project_ids: Sequence[int]) -> dict[int, GradeView]:
    """Each graded project's latest grade, in one statement."""
    rows = first_rows_per_project(sql, GRADES, "graded_at DESC, id DESC", project_ids, (), 1)
    return {row[0]: _grade(row[1:]) for row in rows}


def _grade(row: Sequence) -> GradeView:
    weights = None if row[9] is None else {kind: int(w or 0) for kind, w in zip(RATER_KINDS, row[9:12])}
    return GradeView(row[0], to_decimal(row[1]), row[2], row[3], to_decimal(row[4]), to_decimal(row[5]),
                     None if row[6] is None else int(row[6]), row[7], to_datetime(row[8]), weights)


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
