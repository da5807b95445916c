"""Firing a transition: one function, one database transaction.

Lock the project row, check the actor's area and role, validate the submitted fields, evaluate every guard and
collect all failing reasons, change the state, bump the version, append the audit record, run the transition's
actions and the plugins' in-transaction hooks, commit. Only after commit: after-commit hooks and subscribers.
Anything that fails before the commit leaves the project, its history and its plugin records as they were.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Mapping

from pony import orm

from engine.directory import access

from engine import audit
from engine.adjustments import adjustment, edit_entry
from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, Forbidden, GuardFailed, InvalidEvent, InvalidInput, NotFound
from engine.workflow.fields import coerce_fields, jsonable_fields
from engine.workflow.guards import GuardContext, ProjectView, reasons_of, with_defaults
from engine.storage.project_rows import ProjectRow, read
from engine.storage.sql import Sql, to_decimal
from engine.texts import normalize_newlines, text_problem
from engine.workflow.model import STAY, Transition

if TYPE_CHECKING:
    from engine.core import Engine


@dataclass(frozen=True)
class TransitionRequest:
    project_id: int
    event: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    comment: str = ""
    expected_version: int | None = None
    idempotency_key: str | None = None


@dataclass
class TransitionRecord:
    """What a committed transition did; given to hooks and subscribers and returned to the caller."""

    project: ProjectView  # after the change
    event: str
    source: str
    dest: str
    actor_id: int | None
    actor_name: str
    fields: dict[str, Any]
    comment: str
    seq: int
    at: dt.datetime
    hash: str
    region_path: str
    replayed: bool = False  # True when an idempotency key returned an earlier result
    announced: bool = False  # its subscription event was sent inside the transaction (PostgreSQL NOTIFY)
    cooperating_unit_ids: tuple[int, ...] = ()  # the project's cooperating units 配合单位: their clerks hear of it


MAX_COMMENT = 2000
BUSY_SIGNS = ("database is locked", "deadlock detected", "could not serialize")

UPDATE_PROJECT = ("UPDATE project SET state = ?, previous_state = ?, version = version + 1, audit_seq = ?,"
                  " audit_head = ?, updated_at = ? WHERE id = ? AND version = ?")


def fire_transition(engine: Engine, actor: ActorView, request: TransitionRequest) -> TransitionRecord:
    """Fire ``request.event`` on a project as ``actor``; raise a ``DomainError`` when it may not happen. The
    record is returned once the transition is committed (with group commit, once its batch is: see
    ``engine.commits``) and its after-commit hooks and subscribers have run."""
    try:
        return engine.commits.run(lambda sql: _fire(engine, sql, actor, request), partial(_after_commit, engine))
    except orm.IntegrityError as exc:
        raise Conflict("someone else changed this project at the same moment; reload and try again") from exc
    except orm.TransactionError as exc:
        raise Conflict("the transition could not be committed because of a concurrent change; try again") from exc
    except orm.OperationalError as exc:
        if not any(sign in str(exc).lower() for sign in BUSY_SIGNS):
            raise
        raise Conflict("the database is busy with another change to this project; try again") from exc


def fire_in_transaction(engine: Engine, sql: Sql, actor: ActorView, request: TransitionRequest) -> TransitionRecord:
    """Fire a transition inside the caller's open transaction, for an operation that must fire several (or
    write its own records) all or nothing: the same checks and writes as ``fire_transition``, nothing committed.
    The caller commits (``engine.commits.run``) and then calls ``announce_committed`` with each record; an
    exception rolls everything back and nobody is told."""
    return _fire(engine, sql, actor, request)


def announce_committed(engine: Engine, records: list[TransitionRecord]) -> None:
    """After the commit of transitions fired with ``fire_in_transaction``: their after-commit hooks and
    subscribers, in the order they were fired."""
    for record in records:
        _after_commit(engine, record)


def _after_commit(engine: Engine, record: TransitionRecord) -> None:
    if not record.replayed:
        engine.after_commit(record)


def _fire(engine: Engine, sql: Sql, actor: ActorView, request: TransitionRequest) -> TransitionRecord:
    row = locate(engine, sql, actor, request.project_id, lock=True)
    if request.idempotency_key:
        earlier = _replay(sql, actor, request)
        if earlier is not None:
            return earlier
    if request.expected_version is not None and request.expected_version != row.view.version:
        raise Conflict(f"the project is at version {row.view.version}, you saw version {request.expected_version}: "
                       "someone changed it; reload and try again", path=["expectedVersion"])
    transition = find_transition(engine, row, request.event)
    _check_role(engine, row, transition, actor)
    values = coerce_fields(transition.fields, request.fields)
    _check_comment(request.comment)
    ctx = guard_context(engine, sql, row, transition, actor, values, request.comment)
    reasons = evaluate_guards(engine, transition, ctx)
    if reasons:
        raise GuardFailed(transition.event, reasons)
    return _commit_change(engine, sql, row, transition, ctx, request)


def _check_comment(comment: str) -> None:
    """A comment is free text of at most ``MAX_COMMENT`` characters over any number of lines."""
    problem = text_problem(normalize_newlines(comment), MAX_COMMENT, multiline=True)
    if problem:
        raise InvalidInput([FieldProblem(["comment"], f"the comment {problem}")])


def locate(engine: Engine, sql: Sql, actor: ActorView, project_id: int, lock: bool = False,
           cooperating: bool = False) -> ProjectRow:
    """The project if the actor may act on it (``engine.directory.access.can_act``: a unit clerk, only where its unit
    leads; with ``cooperating``, ``can_read``: also where it cooperates, for a caller that checks the record
    itself); anything else answers exactly like a missing project."""
    return reachable(engine, actor, project_id, read(sql, project_id, engine.workflow_names, lock=lock), cooperating)


def reachable(engine: Engine, actor: ActorView, project_id: int, row: ProjectRow | None,
              cooperating: bool = False) -> ProjectRow:
    """``row`` when the actor may act on it (with ``cooperating``: read it); else ``NotFound``, as if missing."""
    allowed = access.can_read if cooperating else access.can_act
    if row is None or not allowed(engine, actor, row):
        raise NotFound(f"project {project_id} does not exist", path=["projectId"])
    return row


def find_transition(engine: Engine, row: ProjectRow, event: str) -> Transition:
    definition = engine.workflows.get(row.workflow_id).definition
    transition = definition.find(row.view.state, event)
    if transition is not None:
        return transition
    state = definition.states[row.view.state]
    if definition.has_event(event):
        raise InvalidEvent(f"'{event}' is not available while the project is {state.label} ({state.name})",
                           path=["event"])
    raise InvalidEvent(f"workflow '{definition.name}' has no event '{event}'", path=["event"])


def role_reason(engine: Engine, row: ProjectRow, transition: Transition, actor: ActorView) -> str | None:
    if actor.roles & set(transition.roles):
        return None
    roles = engine.workflows.get(row.workflow_id).definition.roles
    allowed = "、".join(roles.get(r, r) for r in transition.roles)
    return f"only {allowed} may {transition.label}"


def _check_role(engine: Engine, row: ProjectRow, transition: Transition, actor: ActorView) -> None:
    reason = role_reason(engine, row, transition, actor)
    if reason:
        raise Forbidden(reason, path=["event"])


def guard_context(engine: Engine, sql: Sql, row: ProjectRow, transition: Transition, actor: ActorView,
                  values: Mapping[str, Any], comment: str = "") -> GuardContext:
    if transition.dest == "@return":
        dest = row.previous_state or row.view.state
    else:
        dest = row.view.state if transition.dest == STAY else transition.dest
    return GuardContext(row.view, actor, transition.event, row.view.state, dest, values, engine.db,
                        engine.clock.now(), comment, sql=sql, actions=engine.catalog.actions,
                        reach=access.reach(engine, actor))


def evaluate_guards(engine: Engine, transition: Transition, ctx: GuardContext) -> list[str]:
    """Every failing guard's reasons, in the order the file lists the guards."""
    reasons: list[str] = []
    for ref in transition.guards:
        spec = engine.catalog.guards[ref.name]
        reasons.extend(reasons_of(spec.check(ctx, **with_defaults(ref.params, spec.params))))
    return reasons


def _commit_change(engine: Engine, sql: Sql, row: ProjectRow, transition: Transition, ctx: GuardContext,
                   request: TransitionRequest) -> TransitionRecord:
    machine = engine.workflows.get(row.workflow_id).machine
    dest = machine.next_state(row.view.state, transition.event, return_to=row.previous_state)
    stored_fields = jsonable_fields(ctx.fields)
    entry = audit.AuditEntry(row.view.id, row.audit_seq + 1, "transition", transition.event, row.view.state, dest,
                             ctx.actor.id, ctx.actor.name, ctx.now, audit.canonical_json(stored_fields),
                             request.comment or None, row.audit_head)
    digest = entry.digest()
    # a @stay transition keeps the state the project came from (a later @return still goes back there)
    previous = row.previous_state if transition.dest == STAY else row.view.state
    change = adjustment(sql, row.view.id, transition, ctx.fields) if transition.sets else None
    if change is None:
        updated = sql.execute(UPDATE_PROJECT, (dest, previous, entry.seq, digest, ctx.now, row.view.id,
                                               row.view.version))
    else:  # 动态调整: the transition writes project attributes; an edit record lists them [old, new]
        edit = edit_entry(entry, digest, change.changed, transition.event)
        assignments = "".join(f", {column} = ?" for column in change.values)
        updated = sql.execute(UPDATE_PROJECT.replace(", updated_at = ?", f", updated_at = ?{assignments}"),
                              (dest, previous, edit.seq, edit.digest(), ctx.now, *change.values.values(),
                               row.view.id, row.view.version))
    if updated.rowcount != 1:
        raise Conflict("someone else changed this project at the same moment; reload and try again")
    audit.append(sql, entry)
    after = replace(row.view, state=dest, version=row.view.version + 1)
    if change is not None:
        audit.append(sql, edit)
        after = replace(after, **{k: v for k, v in change.values.items() if hasattr(after, k)})
    record = TransitionRecord(after, transition.event, row.view.state, dest, ctx.actor.id, ctx.actor.name,
                              stored_fields, request.comment, entry.seq, ctx.now, digest, row.region_path,
                              cooperating_unit_ids=tuple(sorted(row.cooperating_unit_ids)))
    ctx.project, ctx.dest = after, dest
    engine.run_actions(transition, ctx)
    engine.plugins.hook.minsheng_transition(record=record, db=engine.db, engine=engine)
    for listener in engine.in_transaction_listeners:
        listener(sql, record)
    if request.idempotency_key:
        _remember(sql, ctx.actor, request, record)
    return record


def _remember(sql: Sql, actor: ActorView, request: TransitionRequest, record: TransitionRecord) -> None:
    result = json.dumps({**asdict(record), "at": record.at.isoformat()}, default=str, ensure_ascii=False)
    sql.execute("INSERT INTO idempotency_key (actor_id, key, project_id, event, result, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (actor.id, request.idempotency_key, request.project_id, request.event, result, record.at))


def _replay(sql: Sql, actor: ActorView, request: TransitionRequest) -> TransitionRecord | None:
    row = sql.one("SELECT project_id, event, result FROM idempotency_key WHERE actor_id = ? AND key = ?",
                  (actor.id, request.idempotency_key))
    if row is None:
        return None
    if (row[0], row[1]) != (request.project_id, request.event):
        raise InvalidInput([FieldProblem(["idempotencyKey"], f"this key was already used for '{row[1]}' on "
                                                             f"project {row[0]}; use a new key")])
    data = json.loads(row[2])
    data["project"] = ProjectView(**{**data["project"], "budget": to_decimal(data["project"]["budget"])})
    data["at"] = dt.datetime.fromisoformat(data["at"])
    data["replayed"] = True
    return TransitionRecord(**data)
