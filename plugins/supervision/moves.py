"""Moving a notice: the addressed unit signs for it (签收) and answers it (反馈); the office closes it (办结).

issued → acknowledged → answered → closed. Each move locks the project row, checks the actor reaches the project
(outside its reach a notice answers like a missing one), then who may make the move, then the input and the
status; it is audited in the project's chain and announced after commit. A refused move changes nothing.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from pony import orm

from engine import audit, chain
from engine.directory.actors import ActorView
from engine.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound
from engine.storage.sql import Sql
from engine.texts import normalize_newlines, text_problem
from engine.transition import locate

from plugins.supervision import notices
from plugins.supervision.notices import Notice
from plugins.supervision.tables import ACKNOWLEDGED, ANSWERED, CLOSED, ISSUED

if TYPE_CHECKING:
    from engine.core import Engine

ID_PATH = ["input", "noticeId"]
CLOSING_ROLES = frozenset({"office"})  # 政府办/督查室: the supervision office closes notices
MAX_TEXT = 2000
# status → (the status it moves from, the timestamp and actor columns it sets)
MOVES = {ACKNOWLEDGED: (ISSUED, "acknowledged_at = ?, acknowledged_by = ?"),
         ANSWERED: (ACKNOWLEDGED, "answered_at = ?, answered_by = ?, answer = ?"),
         CLOSED: (ANSWERED, "closed_at = ?, closed_by = ?, close_note = ?")}
LABELS = {ISSUED: "issued", ACKNOWLEDGED: "acknowledged (签收)", ANSWERED: "answered (反馈)", CLOSED: "closed (办结)"}


def acknowledge(engine: Engine, actor: ActorView, notice_id: int, idempotency_key: str | None = None) -> Notice:
    """The addressed unit's clerk signs for the notice (签收)."""
    return _move(engine, actor, notice_id, ACKNOWLEDGED, None, idempotency_key)


def answer(engine: Engine, actor: ActorView, notice_id: int, text: str, idempotency_key: str | None = None) -> Notice:
    """The addressed unit's clerk answers the notice (反馈): what was done, what will be."""
    return _move(engine, actor, notice_id, ANSWERED, text, idempotency_key)


def close(engine: Engine, actor: ActorView, notice_id: int, note: str | None = None,
          idempotency_key: str | None = None) -> Notice:
    """The supervision office closes an answered notice (办结)."""
    return _move(engine, actor, notice_id, CLOSED, note, idempotency_key)


def _move(engine: Engine, actor: ActorView, notice_id: int, status: str, text: str | None,
          idempotency_key: str | None = None) -> Notice:
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        notice = _locate(engine, sql, actor, notice_id)
        _check_actor(actor, notice, status)
        key = chain.check_key(idempotency_key)
        earlier = chain.replayed(sql, actor, key, notice.project_id, f"notice_{status}")
        if earlier is not None:
            if earlier != notice_id:
                raise InvalidInput([FieldProblem(chain.KEY_PATH, f"this key was already used for notice {earlier}; "
                                                                 "use a new key")])
            return notice  # moved by the first request: answered again, nothing written or announced
        text = _check_text(text, status)
        source, columns = MOVES[status]
        if notice.status != source:
            raise Conflict(f"notice {notice_id} is {LABELS[notice.status]}; it can be {LABELS[status]} only when "
                           f"{LABELS[source]}", path=ID_PATH)
        values = (engine.clock.now(), actor.id) + ((text,) if status != ACKNOWLEDGED else ())
        sql.execute(f"UPDATE supervision_notice SET status = ?, {columns} WHERE id = ?", (status, *values, notice_id))
        moved = notices.get(sql, notice_id)
        seq = audit.append_record(sql, notice.project_id, "notice", f"notice_{status}", actor.id, actor.name,
                                  engine.clock.now(), {"notice": notice_id, "step": notice.step, "status": status},
                                  text).seq
        chain.remember(sql, actor, key, notice.project_id, f"notice_{status}", notice_id, engine.clock.now())
    moved = replace(moved, audit_seq=seq)
    notices.announce(engine, moved)
    return moved


def _locate(engine: Engine, sql: Sql, actor: ActorView, notice_id: int) -> Notice:
    """The notice, its project row locked; ``NotFound`` when missing, outside the actor's reach, or the actor is
    a public-scope reader."""
    missing = NotFound(f"notice {notice_id} does not exist", path=ID_PATH)
    project_id = sql.scalar("SELECT project_id FROM supervision_notice WHERE id = ?", (notice_id,))
    if project_id is None or not notices.visible_to(engine, actor):
        raise missing
    try:  # a cooperating unit's clerk reaches the project; it then sees its own measures' notices only
        locate(engine, sql, actor, project_id, lock=True, cooperating=True)
    except NotFound:
        raise missing from None
    notice = notices.get(sql, notice_id)
    if notice is None or not notices.sees(engine, actor, notice):
        raise missing
    return notice


def _check_actor(actor: ActorView, notice: Notice, status: str) -> None:
    if status == CLOSED:
        if not actor.roles & CLOSING_ROLES:
            raise Forbidden("only the supervision office (政府办/督查室) may close a notice (办结)", path=ID_PATH)
    elif notice.unit_id is None or actor.unit_id != notice.unit_id:
        raise Forbidden(f"only the addressed unit ({notice.unit_name or 'none'}) may sign for or answer this "
                        "notice", path=ID_PATH)


def _check_text(text: str | None, status: str) -> str | None:
    path = ["input", "answer" if status == ANSWERED else "note"]
    if text is None or not text.strip():
        if status == ANSWERED:
            raise InvalidInput([FieldProblem(path, "the answer (反馈) must not be empty")])
        return None
    text = normalize_newlines(text)
    problem = text_problem(text, MAX_TEXT, multiline=True)
    if problem:
        raise InvalidInput([FieldProblem(path, f"the {path[-1]} {problem}")])
    return text
