"""Corrections 冲正 of mistaken inspections: never edited or deleted, an inspection is reversed by a correction that
names it, the reason, who and when (``inspection_correction``); it then no longer counts — the acceptance guard
(验收通过) reads the latest inspection in force. The correction is a ``correction`` record in the project's hash
chain, written in the same transaction. Rectifications the inspection opened stay as they are: each is closed by
its own verification.

Refused with the reason: an inspection already reversed, one of another project; a correction itself is never
reversed (``reverseInspection`` refuses a correction's id).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pony import orm

from engine import chain
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, Forbidden, InvalidInput
from engine.storage.sql import Sql, to_datetime
from engine.texts import normalize_newlines, text_problem
from plugins.inspection import chained
from plugins.inspection.rectifications import project_row
from plugins.inspection.vocabulary import MAX_TEXT_LENGTH, RECORDING_ROLES

if TYPE_CHECKING:
    from engine.core import Engine

EVENT = "reverse_inspection"
ENTRY_PATH = ["input", "inspectionId"]


@dataclass(frozen=True)
class InspectionCorrection:
    id: int
    project_id: int
    inspection_id: int
    reason: str
    actor_name: str
    at: dt.datetime


def reverse_inspection(engine: Engine, actor: ActorView, project_id: int, inspection_id: int, reason: Any,
                       idempotency_key: Any = None) -> InspectionCorrection:
    """Reverse an inspection of the project for ``reason`` (those who may record inspections may reverse them)."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        row = project_row(engine, sql, actor, project_id, ["input", "projectId"])
        if not actor.roles & RECORDING_ROLES:
            raise Forbidden("only those who may record inspections (政府办/督查室, 监督员, 人大代表, 人大常委会, 第三方) "
                            "may reverse one")
        key = chain.check_key(idempotency_key)
        earlier = chain.replayed(sql, actor, key, project_id, EVENT)
        if earlier is not None:
            return _correction(sql, earlier)
        chain.check_open_for(engine, row, chained.KIND, "inspection records (视察/整改)")
        why = _reason(reason)
        _check_reversible(sql, project_id, inspection_id)
        now = engine.clock.now()
        values = (inspection_id, why, actor.id)
        correction_id = sql.insert("INSERT INTO inspection_correction (project_id, inspection_id, reason, actor_id,"
                                   " actor_name, at) VALUES (?, ?, ?, ?, ?, ?)",
                                   (project_id, *values, actor.name, now))
        chain.append_row(sql, project_id, chain.CORRECTION, EVENT, actor.id, actor.name, now,
                         chained.CORRECTION_TABLE, correction_id, chained.correction_content(values))
        chain.remember(sql, actor, key, project_id, EVENT, correction_id, now)
        return _correction(sql, correction_id)


def _reason(value: Any) -> str:
    text = normalize_newlines(value if isinstance(value, str) else "").strip()
    problem = "is required" if not text else text_problem(text, MAX_TEXT_LENGTH, multiline=True)
    if problem:
        raise InvalidInput([FieldProblem(["input", "reason"], problem)])
    return text


def _check_reversible(sql: Sql, project_id: int, inspection_id: int) -> None:
    owner = sql.scalar("SELECT project_id FROM inspection_record WHERE id = ?", (inspection_id,))
    if owner != project_id:
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"inspection {inspection_id} is not a record of project "
                                                     f"{project_id}: a correction reverses a record of its own "
                                                     "project")])
    done = sql.scalar("SELECT id FROM inspection_correction WHERE inspection_id = ?", (inspection_id,))
    if done is not None:
        raise InvalidInput([FieldProblem(ENTRY_PATH, f"inspection {inspection_id} was already reversed (correction "
                                                     f"{done})")])


def _correction(sql: Sql, correction_id: int) -> InspectionCorrection:
    row = sql.one("SELECT id, project_id, inspection_id, reason, actor_name, at FROM inspection_correction"
                  " WHERE id = ?", (correction_id,))
    assert row is not None
    return InspectionCorrection(*row[:5], to_datetime(row[5]))
