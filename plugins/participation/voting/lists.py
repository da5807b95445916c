"""Assembling the year's candidate list (候选项目名单) from the pool, and the standing committee's vote rules.

The pool (储备库) is every project in a state from which its workflow's ``approve`` transition fires (in the
default workflow: ``assessed`` 评估论证), in the list's region or below it, of the list's year or an earlier one
(a proposal not chosen stays in the pool for the next year).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from pony import orm

from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql
from engine.texts import text_problem
from engine.transition import locate

from plugins.participation.voting import store
from plugins.participation.voting.rules import MAJORITY_OF, Rules, margin_problem

if TYPE_CHECKING:
    from engine.core import Engine

APPROVE = "approve"
ASSEMBLERS = frozenset({"office"})  # 政府办 assembles the list
COMMITTEE = frozenset({"committee"})  # 主席团 / 人大常委会 fixes the rules and runs the vote
MAX_CANDIDATES = 200
MAX_TITLE = 200


@dataclass(frozen=True)
class NewList:
    region_id: int
    year: int
    title: str
    project_ids: Sequence[int]


def in_pool(engine: Engine, workflow_id: int, state: str) -> bool:
    """Whether a project in ``state`` is in the pool: its workflow's ``approve`` fires from there."""
    return engine.workflows.get(workflow_id).definition.find(state, APPROVE) is not None


def _check_new(request: NewList) -> list[FieldProblem]:
    problems = []
    title = request.title.strip()
    problem = text_problem(title, MAX_TITLE) or (None if title else "must not be empty")
    if problem:
        problems.append(FieldProblem(["input", "title"], f"the title {problem}"))
    if not 2000 <= request.year <= 2100:
        problems.append(FieldProblem(["input", "year"], f"the year must be between 2000 and 2100, got {request.year}"))
    if not 1 <= len(request.project_ids) <= MAX_CANDIDATES:
        problems.append(FieldProblem(["input", "projectIds"], f"a list has 1 to {MAX_CANDIDATES} candidates, got "
                                                              f"{len(request.project_ids)}"))
    elif len(set(request.project_ids)) != len(request.project_ids):
        problems.append(FieldProblem(["input", "projectIds"], "a project is listed twice"))
    return problems


def _check_candidate(engine: Engine, sql: Sql, actor: ActorView, project_id: int, n: int, region_path: str,
                     year: int) -> str | None:
    path = ["input", "projectIds", str(n)]
    try:
        row = locate(engine, sql, actor, project_id)
    except NotFound:
        raise NotFound(f"project {project_id} does not exist", path=path) from None
    code = row.view.code
    if not row.region_path.startswith(region_path):
        return f"project {code} is not in the list's region"
    if not in_pool(engine, row.workflow_id, row.view.state):
        return f"project {code} is not in the pool: it is {row.view.state}, and '{APPROVE}' does not fire from there"
    if row.view.year > year:
        return f"project {code} is planned for {row.view.year}, after the list's year {year}"
    listed = sql.scalar("SELECT l.year FROM voting_candidate c JOIN voting_list l ON l.id = c.list_id"
                        " WHERE c.project_id = ? AND l.year = ?", (project_id, year))
    if listed is not None:
        return f"project {code} is already on a candidate list of {year}"
    return None


def create_list(engine: Engine, actor: ActorView, request: NewList) -> store.CandidateList:
    """An office assembles a list for its region and a year from pool projects (in the given order)."""
    if not actor.roles & ASSEMBLERS:
        raise Forbidden("only 政府办/督查室 (office) may assemble a candidate list", path=["input", "regionId"])
    problems = _check_new(request)
    if problems:
        raise InvalidInput(problems)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        region_path = sql.scalar("SELECT path FROM region WHERE id = ?", (request.region_id,))
        if region_path is None or not store.may_manage(engine, actor, region_path):
            raise NotFound(f"region {request.region_id} does not exist", path=["input", "regionId"])
        for n, project_id in enumerate(request.project_ids):
            reason = _check_candidate(engine, sql, actor, project_id, n, region_path, request.year)
            if reason:
                problems.append(FieldProblem(["input", "projectIds", str(n)], reason))
        if problems:
            raise InvalidInput(problems)
        list_id = sql.insert("INSERT INTO voting_list (region_id, region_path, year, title, created_by, created_at)"
                             " VALUES (?, ?, ?, ?, ?, ?)", (request.region_id, region_path, request.year,
                                                            request.title.strip(), actor.id, engine.clock.now()))
        sql.execute_many("INSERT INTO voting_candidate (list_id, project_id, position) VALUES (?, ?, ?)",
                         [(list_id, p, n + 1) for n, p in enumerate(request.project_ids)])
        return store.read_list(engine, sql, actor, list_id, ["input", "listId"])


def set_rules(engine: Engine, actor: ActorView, list_id: int, rules: Rules) -> store.CandidateList:
    """The standing committee (主席团) fixes the vote rules; refused when the list breaks the margin (差额) or the
    vote has begun."""
    problems = []
    if not 1 <= rules.places <= MAX_CANDIDATES:
        problems.append(FieldProblem(["input", "places"], f"1 to {MAX_CANDIDATES} places (应选数), got {rules.places}"))
    if rules.margin > MAX_CANDIDATES:
        problems.append(FieldProblem(["input", "margin"], f"the margin (差额数) is at most {MAX_CANDIDATES}, got "
                                                          f"{rules.margin}"))
    if rules.margin < 0:
        problems.append(FieldProblem(["input", "margin"], f"the margin (差额数) cannot be negative, got {rules.margin}"))
    if rules.majority_of not in MAJORITY_OF:
        problems.append(FieldProblem(["input", "majorityOf"], f"one of {', '.join(MAJORITY_OF)}"))
    if problems:
        raise InvalidInput(problems)
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        found = store.managed_list(engine, sql, actor, list_id, COMMITTEE, "人大常委会/主席团 (committee)",
                                   ["input", "listId"])
        if store.session_of(sql, list_id) is not None:
            raise Conflict("the vote session has been opened: the rules can no longer change", path=["input", "listId"])
        problem = margin_problem(len(found.candidates), rules)
        if problem:
            raise InvalidInput([FieldProblem(["input", "margin"], problem)])
        sql.execute("UPDATE voting_list SET places = ?, margin = ?, abstain_allowed = ?, majority_of = ?, rules_by = ?"
                    " WHERE id = ?", (rules.places, rules.margin, rules.abstain_allowed, rules.majority_of,
                                      actor.id, list_id))
        return store.read_list(engine, sql, actor, list_id, ["input", "listId"])
