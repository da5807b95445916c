"""The satisfaction plugin's dashboard figures: valid answers, 满意率 = (满意 + 基本满意) / valid answers, the mean
five-level score, and the projects by their latest grade (优良 / 良好 / 一般) — from the maintained
``satisfaction_tally`` (``maintained``) when the scope is a whole region and year, else two aggregate queries.
Either way the same figures. Results are published: the public sees them too."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from engine.dashboard.figures import Column, Figure, FigureSet, FigureTable, TableRow
from engine.dashboard.scope import FigureScope
from engine.storage.sql import Sql
from plugins.satisfaction.scoring import GRADE_LABELS, Tally
from plugins.satisfaction.chained import IN_FORCE
from plugins.satisfaction.summary import TALLY_COLUMNS

ANSWERS = ("SELECT {key}, " + TALLY_COLUMNS + ", COUNT(DISTINCT r.project_id) FROM project p "
           "CROSS JOIN satisfaction_rating r WHERE r.project_id = p.id AND " + IN_FORCE
           + " AND {where} GROUP BY {key}")
GRADES = ("SELECT {key}, g.grade, COUNT(*) FROM project p CROSS JOIN satisfaction_grade g "
          "WHERE g.project_id = p.id AND {where} AND g.id = (SELECT l.id FROM satisfaction_grade l WHERE l.project_id = g.project_id "
          "ORDER BY l.graded_at DESC, l.id DESC LIMIT 1) GROUP BY {key}, g.grade")


def figures(sql: Sql, scope: FigureScope) -> list[FigureSet]:
    """One set per group of ``scope`` that has answers or grades, or one set for the whole scope."""
    if scope.maintained:
        return [_figure_set(*tallied(sql, scope.tally_path, scope.year), None)]
    answers = {row[0]: (Tally(*(int(v or 0) for v in row[1:6])), int(row[6] or 0))
               for row in sql.all(ANSWERS.format(key=scope.key, where=scope.where), scope.params)}
    grades: dict[Any, dict[str, int]] = defaultdict(dict)
    for key, grade, n in sql.all(GRADES.format(key=scope.key, where=scope.where), scope.params):
        grades[key][grade] = int(n)
    if scope.group is None:
        return [_figure_set(*answers.get(0, (Tally(), 0)), grades.get(0, {}), None)]
    return [_figure_set(*answers.get(key, (Tally(), 0)), grades.get(key, {}), key)
            for key in {*answers, *grades}]


def tallied(sql: Sql, region_path: str | None, year: int | None) -> tuple[Tally, int, dict[str, int]]:
    """The answers in force, the projects with any, and the projects by latest grade of a region's whole subtree
    in ``year`` (every year when None), from the maintained ``satisfaction_tally`` (a few rows per region)."""
    from engine.storage.tally import read
    from plugins.satisfaction.maintained import TALLY

    sums = [0] * 5
    rated = 0
    grades: dict[str, int] = {}
    for _path, grade, n, projects, *answers in read(sql, TALLY, [region_path] if region_path else [], year):
        rated += int(projects)
        sums = [total + int(v) for total, v in zip(sums, answers)]
        if grade and int(n):
            grades[grade] = int(n)
    return Tally(*sums), rated, grades


def _figure_set(tally: Tally, projects: int, grades: dict[str, int], key: Any) -> FigureSet:
    table = FigureTable("grades", "评定等次", (Column("projects", "项目数", "项"),),
                        tuple(TableRow(grade, label, (grades.get(grade, 0),)) for grade, label in GRADE_LABELS.items()))
    return FigureSet("satisfaction", "群众满意度", (
        Figure("responses", "有效答卷", tally.responses, "份"), Figure("rated_projects", "参评项目", projects, "项"),
        Figure("rate", "满意率", tally.rate_percent(), "%"), Figure("mean_score", "平均得分", tally.mean_score(), "分"),
        Figure("graded", "已评定等次项目", sum(grades.values()), "项")), (table,), key)
