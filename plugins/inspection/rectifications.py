"""Rectifications (整改): opening them, the responsible unit marking one done, and its verification (核验销号).

A rectification moves open → done → verified and counts as open until verified. Writes lock the project row and
check the actor's area first (outside it a rectification answers like a missing one), then the role, then the
status move. Opening and each move append an ``inspection`` record to the project's hash chain in the same
transaction; a move accepts an idempotency key; a project in a final state takes none unless its workflow state
lists ``inspection`` in its ``records``.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from pony import orm

from engine.directory.access import is_public_state, reach
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql
from engine.texts import normalize_newlines, text_problem
from engine.transition import locate

from engine import chain
from plugins.inspection import chained, records
from plugins.inspection.records import Rectification
from plugins.inspection.vocabulary import DONE, MAX_TEXT_LENGTH, OFFICE, OPEN, UNIT, VERIFIED, VERIFYING_ROLES

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.project_rows import ProjectRow

ID_PATH = ["input", "rectificationId"]
NOTE_PATH = ["input", "note"]


def insert_rectification(sql: Sql, project_id: int, description: str, unit_id: int | None, deadline: dt.date,
                         opened_by: int | None, now: dt.datetime, origin: str = "inspection",
                         inspection_id: int | None = None, opened_by_name: str | None = None) -> int:
    """Open one rectification, with its chain record, in the current transaction; return its id."""
    rectification_id = sql.insert(
        "INSERT INTO inspection_rectification (project_id, inspection_id, origin, description, unit_id, deadline,"
        " status, opened_by, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (project_id, inspection_id, origin, description, unit_id, deadline, OPEN, opened_by, now))
    chained.append_rectification(sql, rectification_id, "open_rectification", opened_by, opened_by_name, now)
    return rectification_id


def mark_done(engine: Engine, actor: ActorView, rectification_id: int, note: str | None = None,
              idempotency_key: Any = None) -> Rectification:
    """The responsible unit's clerk (or the government office) reports the rectification done (整改完成)."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        rectification = _locate(engine, sql, actor, rectification_id)
        _check_may_mark_done(actor, rectification)
        if _replayed(engine, sql, actor, rectification, idempotency_key, "rectification_done"):
            return _reread(sql, rectification_id)
        _check_note(note)  # access first, then the input
        _check_status(rectification, OPEN)
        now = engine.clock.now()
        _move(sql, rectification, "done_by = ?, done_at = ?, done_note = ?", (DONE, actor.id, now, note or None))
        chained.append_rectification(sql, rectification_id, "rectification_done", actor.id, actor.name, now)
        chain.remember(sql, actor, idempotency_key, rectification.project_id, "rectification_done", rectification_id,
                       now)
        return _reread(sql, rectification_id)


def verify(engine: Engine, actor: ActorView, rectification_id: int, note: str | None = None,
           idempotency_key: Any = None) -> Rectification:
    """The office, a supervisor or the committee confirms a done rectification (核验销号); it is then closed."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        rectification = _locate(engine, sql, actor, rectification_id)
        _check_may_verify(actor, rectification)
        if _replayed(engine, sql, actor, rectification, idempotency_key, "rectification_verified"):
            return _reread(sql, rectification_id)
        _check_note(note)  # access first, then the input
        _check_status(rectification, DONE)
        if rectification.done_by is not None and rectification.done_by == actor.id:
            raise Forbidden(f"you marked rectification {rectification_id} done yourself; another person "
                            "(政府办/督查室, 监督员 or 人大常委会) must verify it", path=ID_PATH)
        now = engine.clock.now()
        _move(sql, rectification, "verified_by = ?, verified_at = ?, verify_note = ?",
              (VERIFIED, actor.id, now, note or None))
        chained.append_rectification(sql, rectification_id, "rectification_verified", actor.id, actor.name, now)
        chain.remember(sql, actor, idempotency_key, rectification.project_id, "rectification_verified",
                       rectification_id, now)
        return _reread(sql, rectification_id)


def _replayed(engine: Engine, sql: Sql, actor: ActorView, rectification: Rectification, key: Any,
              event: str) -> bool:
    """Whether an earlier request with this idempotency key already made this move (answer it again); otherwise
    check that the project still takes inspection records (a final state refuses them unless listed)."""
    earlier = chain.replayed(sql, actor, chain.check_key(key), rectification.project_id, event)
    if earlier is not None:
        if earlier != rectification.id:
            raise InvalidInput([FieldProblem(chain.KEY_PATH, f"this key was already used for '{event}' of "
                                                             f"rectification {earlier}; use a new key")])
        return True
    workflow_id, state = sql.one("SELECT workflow_id, state FROM project WHERE id = ?", (rectification.project_id,))
    chain.check_open(engine, workflow_id, state, chained.KIND, "inspection records (视察/整改)")
    return False


def _locate(engine: Engine, sql: Sql, actor: ActorView, rectification_id: int) -> Rectification:
    """The rectification, its project row locked; ``NotFound`` when missing or outside the actor's area."""
    missing = NotFound(f"rectification {rectification_id} does not exist", path=ID_PATH)
    row = sql.one("SELECT project_id, unit_id FROM inspection_rectification WHERE id = ?", (rectification_id,))
    if row is None:
        raise missing
    try:
        locate(engine, sql, actor, row[0], lock=True)
    except NotFound:
        if not _responsible_unit_reaches(engine, sql, actor, row[0], row[1]):
            raise missing from None
    return _reread(sql, rectification_id)


def _responsible_unit_reaches(engine: Engine, sql: Sql, actor: ActorView, project_id: int,
                              unit_id: int | None) -> bool:
    """A cooperating unit (配合单位) named responsible for a rectification reaches it even when it does not lead the
    project: lock the project row and apply the one rule as if its unit led the project."""
    scope = reach(engine, actor)
    if not scope.unit_bound or unit_id is None or scope.unit_id != unit_id:
        return False
    row = sql.one("SELECT region_path, workflow_id, state, created_by FROM project WHERE id = ?" + sql.for_update(),
                  (project_id,))
    return row is not None and scope.allows(row[0], unit_id, is_public_state(engine, row[1], row[2]), row[3])


def _reread(sql: Sql, rectification_id: int) -> Rectification:
    rectification = records.rectification_by_id(sql, rectification_id)
    assert rectification is not None
    return rectification


def _check_may_mark_done(actor: ActorView, rectification: Rectification) -> None:
    if OFFICE in actor.roles:
        return
    if UNIT in actor.roles and actor.unit_id is not None and actor.unit_id == rectification.unit_id:
        return
    unit = f"the responsible unit ({rectification.unit_name})" if rectification.unit_name else "the responsible unit"
    raise Forbidden(f"only {unit} or the government office (政府办/督查室) may mark rectification "
                    f"{rectification.id} done", path=ID_PATH)


def _check_may_verify(actor: ActorView, rectification: Rectification) -> None:
    if not actor.roles & VERIFYING_ROLES:
        raise Forbidden(f"only the government office (政府办/督查室), a supervisor (监督员) or the standing committee "
                        f"(人大常委会) may verify rectification {rectification.id}", path=ID_PATH)


def _check_status(rectification: Rectification, expected: str) -> None:
    """Refuse a status move that does not start from ``expected``, saying where the rectification stands."""
    if rectification.status == expected:
        return
    rid, status = rectification.id, rectification.status
    if status == VERIFIED:
        message = f"rectification {rid} was already verified on {rectification.verified_at:%Y-%m-%d} and is closed"
    elif status == DONE:
        message = (f"rectification {rid} was already marked done on {rectification.done_at:%Y-%m-%d}; "
                   "it awaits verification (核验)")
    else:
        message = (f"rectification {rid} is still open: the responsible unit must mark it done before it can "
                   "be verified")
    raise InvalidInput([FieldProblem(ID_PATH, message)])


def _move(sql: Sql, rectification: Rectification, assignments: str, values: tuple) -> None:
    status, rest = values[0], values[1:]
    sql.execute(f"UPDATE inspection_rectification SET status = ?, {assignments} WHERE id = ? AND status = ?",
                (status, *rest, rectification.id, rectification.status))


def _check_note(note: str | None) -> None:
    problem = text_problem(normalize_newlines(note or ""), MAX_TEXT_LENGTH, multiline=True)
    if problem:
        raise InvalidInput([FieldProblem(NOTE_PATH, f"the note {problem}")])


def project_row(engine: Engine, sql: Sql, actor: ActorView, project_id: int, path: list[str]) -> ProjectRow:
    """``locate`` with the row lock, reporting a missing project at the client's input path."""
    try:
        return locate(engine, sql, actor, project_id, lock=True)
    except NotFound:
        raise NotFound(f"project {project_id} does not exist", path=path) from None
