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
from engine.errors import Forbidden
from engine.storage.sql import Sql, to_datetime
from plugins.inspection import chained
from plugins.inspection.rectifications import project_row
from plugins.inspection.vocabulary import MAX_TEXT_LENGTH, RECORDING_ROLES

if TYPE_CHECKING:
    from engine.core import Engine

EVENT = "reverse_inspection"
REVERSIBLE = chain.Reversible("inspection", "inspection_record", "inspection_correction", "inspection_id",
                              chained.KIND, "inspection records (视察/整改)", EVENT, ("input", "inspectionId"),
                              MAX_TEXT_LENGTH, chained.correction_content)


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
        correction_id = chain.reverse(engine, sql, actor, row, REVERSIBLE, inspection_id, reason, idempotency_key)
        return _correction(sql, correction_id)


def _correction(sql: Sql, correction_id: int) -> InspectionCorrection:
    row = sql.one("SELECT id, project_id, inspection_id, reason, actor_name, at FROM inspection_correction"
                  " WHERE id = ?", (correction_id,))
    assert row is not None
    return InspectionCorrection(*row[:5], to_datetime(row[5]))
