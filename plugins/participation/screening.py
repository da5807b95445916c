"""Screening 筛选 suggestions into the project pool 储备库, by an office of the call's region:

- ``merge``: several suggestions about one matter become one proposal; each stays a source with its own receipt;
- ``decline``: with a reason the submitter reads by receipt code (one matter per suggestion, not serving one unit
  or person, a quantifiable target — the procedures' rules, in the clerk's words);
- ``accept``: a new project in the workflow's initial state (``engine.projects.create_project``), or an existing
  project still in its initial state, gets the suggestions as its sources. The pool spans years: a pool project
  not chosen this year simply stays in the initial state.

A suggestion merged into a proposal is decided with the whole proposal. Each step is one transaction: the
suggestions are locked, must all still be waiting (``received``), and are changed together; a concurrent decision
on any of them makes the second one fail with CONFLICT and change nothing. Each step is journalled; accepting is
also recorded in the project's own audit chain (an ``edit`` record listing the sources).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from pony import orm

from engine import audit
from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, InvalidInput, NotFound
from engine.projects import NewProject, create_project
from engine.storage.sql import Sql, marks
from engine.transition import locate
from plugins.participation import journal, offices, reading
from plugins.participation import vocabulary as v

if TYPE_CHECKING:
    from engine.core import Engine

MAX_REASON = 500
MAX_BATCH = 200
IDS_PATH = ["input", "suggestionIds"]


@dataclass(frozen=True)
class Decision:
    suggestion_ids: tuple[int, ...]  # every suggestion decided (merged ones included)
    proposal_id: int | None
    project_id: int | None


def _locked(engine: Engine, sql: Sql, actor: ActorView, ids: Sequence[int], what: str) -> list[reading.SuggestionView]:
    """The suggestions and every suggestion merged with them, locked; all in reach, on one call, waiting."""
    offices.require_office(engine, actor, what)
    ids = list(dict.fromkeys(ids))
    if not ids or len(ids) > MAX_BATCH:
        raise InvalidInput([FieldProblem(IDS_PATH, f"name 1 to {MAX_BATCH} suggestions")])
    named = reading.in_office_reach(engine, sql, actor, ids, IDS_PATH)
    proposals = sorted({s.proposal_id for s in named if s.proposal_id is not None})
    if proposals:
        extra = [r[0] for r in sql.all("SELECT id FROM participation_suggestion WHERE proposal_id IN"
                                       f" ({marks(len(proposals))})", proposals)]
        ids = sorted({*ids, *extra})
    sql.all(f"SELECT id FROM participation_suggestion WHERE id IN ({marks(len(ids))})" + sql.for_update(), ids)
    found = reading.in_office_reach(engine, sql, actor, ids, IDS_PATH)
    if len({s.call_id for s in found}) > 1:
        raise InvalidInput([FieldProblem(IDS_PATH, "the suggestions belong to different calls for suggestions")])
    decided = [s for s in found if s.status != v.RECEIVED]
    if decided:
        raise Conflict("already screened: " + "; ".join(f"suggestion {s.id} is {v.STATUSES[s.status]}"
                                                        for s in decided))
    return found


def _mark(sql: Sql, ids: Sequence[int], sets: str, params: Sequence[Any]) -> None:
    cursor = sql.execute(f"UPDATE participation_suggestion SET {sets}, version = version + 1"
                         f" WHERE id IN ({marks(len(ids))}) AND status = ?", (*params, *ids, v.RECEIVED))
    if cursor.rowcount != len(ids):
        raise Conflict("someone else screened these suggestions at the same moment; reload and try again")


def merge(engine: Engine, actor: ActorView, ids: Sequence[int], title: str | None = None) -> Decision:
    """Merge suggestions (and the proposals they are in) into one proposal titled ``title`` (default: the first
    suggestion's title)."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        found = _locked(engine, sql, actor, ids, "merge suggestions")
        if len(found) < 2:
            raise InvalidInput([FieldProblem(IDS_PATH, "merging takes at least two suggestions")])
        name = (title or "").strip() or found[0].title
        if len(name) > 200:
            raise InvalidInput([FieldProblem(["input", "title"], "at most 200 characters")])
        now = engine.clock.now()
        proposal_id = sql.insert("INSERT INTO participation_proposal (call_id, title, created_by_id, created_by_name,"
                                 " created_at) VALUES (?, ?, ?, ?, ?)", (found[0].call_id, name, actor.id, actor.name,
                                                                        now))
        every = [s.id for s in found]
        _mark(sql, every, "proposal_id = ?", (proposal_id,))
        journal.write_many(sql, found[0].call_id, every, "merged", actor, now, proposal=proposal_id,
                           suggestions=every)
    return Decision(tuple(every), proposal_id, None)


def decline(engine: Engine, actor: ActorView, ids: Sequence[int], reason: str) -> Decision:
    """Decline suggestions with a reason their submitters will read."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        found = _locked(engine, sql, actor, ids, "decline suggestions")
        text = (reason or "").strip()
        if not text or len(text) > MAX_REASON:
            raise InvalidInput([FieldProblem(["input", "reason"], f"give a reason of 1 to {MAX_REASON} characters "
                                                                  "(the submitter reads it)")])
        now = engine.clock.now()
        every = [s.id for s in found]
        _mark(sql, every, "status = ?, decline_reason = ?, decided_at = ?", (v.DECLINED, text, now))
        journal.write_many(sql, found[0].call_id, every, "declined", actor, now, reason=text)
    return Decision(tuple(every), found[0].proposal_id, None)


@dataclass(frozen=True)
class PoolProject:
    """The project to create for accepted suggestions; unset details come from the suggestions and the call."""

    region_id: int | None = None
    title: str | None = None
    category: str | None = None
    budget: Any = None
    lead_unit_id: int | None = None
    description: str | None = None
    code: str | None = None


def accept(engine: Engine, actor: ActorView, ids: Sequence[int], new: PoolProject | None = None,
           project_id: int | None = None, workflow: str = "minsheng") -> Decision:
    """Accept suggestions into the pool: into a new project (``new``) or an existing one still in its initial
    state (``project_id``); all in one transaction with the project's creation."""
    if (new is None) == (project_id is None):
        raise InvalidInput([FieldProblem(["input"], "give either a new project or an existing projectId")])
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        found = _locked(engine, sql, actor, ids, "accept suggestions into the project pool (储备库)")
        call = sql.one("SELECT region_id, year FROM participation_call WHERE id = ?", (found[0].call_id,))
        if project_id is None:
            project_id = _create(engine, actor, _new_project(found, call, new, workflow))  # type: ignore[arg-type]
        else:
            _check_in_pool(engine, sql, actor, project_id)
        now = engine.clock.now()
        every = [s.id for s in found]
        _mark(sql, every, "status = ?, project_id = ?, decided_at = ?", (v.ACCEPTED, project_id, now))
        audit.append_record(sql, project_id, "edit", "participation_sources", actor.id, actor.name, now,
                            {"source_suggestions": every})
        journal.write_many(sql, found[0].call_id, every, "accepted", actor, now, project=project_id)
    return Decision(tuple(every), found[0].proposal_id, project_id)


def _new_project(found: list[reading.SuggestionView], call: tuple, new: PoolProject, workflow: str) -> NewProject:
    estimates = [s.estimate for s in found if s.estimate is not None]
    details: Mapping[str, Any] = {
        "title": new.title or found[0].title, "year": call[1], "category": new.category or found[0].category,
        "budget": new.budget if new.budget is not None else (max(estimates) if estimates else Decimal(0)),
        "description": new.description or found[0].content,
        **({"lead_unit_id": new.lead_unit_id} if new.lead_unit_id is not None else {})}
    return NewProject(new.region_id or call[0], details, code=new.code, workflow=workflow)


def _create(engine: Engine, actor: ActorView, new: NewProject) -> int:
    """``create_project``, its problems placed under ``input.project``."""
    names = {"region_id": "regionId", "lead_unit_id": "leadUnitId"}
    try:
        return create_project(engine, actor, new)
    except InvalidInput as exc:
        raise InvalidInput([FieldProblem(["input", "project", *(names.get(str(x), str(x)) for x in p.path)],
                                         p.message) for p in exc.problems()]) from None
    except NotFound as exc:
        raise NotFound(exc.message, path=["input", "project", *exc.path]) from None


def _check_in_pool(engine: Engine, sql: Sql, actor: ActorView, project_id: int) -> None:
    try:
        row = locate(engine, sql, actor, project_id, lock=True)
    except NotFound:
        raise NotFound(f"project {project_id} does not exist", path=["input", "projectId"]) from None
    initial = engine.workflows.get(row.workflow_id).definition.initial
    if row.view.state != initial:
        raise InvalidInput([FieldProblem(["input", "projectId"], (
            f"suggestions join a project still in the pool ({initial}); project {project_id} is {row.view.state}"))])

