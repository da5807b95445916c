"""The funding plan 资金筹措计划: how much each source is to provide for a project.

Setting a source's amount replaces the amount in force for that source (and, for social capital, that kind);
the replaced line is kept, marked superseded, so the plan's history says who planned what and when. Every line is
a ``funding`` record in the project's hash chain; a mistaken line in force is reversed (``plugins.funding.
corrections``) by a line that restores the amount before it and names it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

from pony import orm

from engine import chain
from engine.directory.actors import ActorView
from engine.storage.sql import Sql, by_project, marks, to_datetime
from plugins.funding import chained, inputs
from plugins.funding.money import parse_amount, yuan
from plugins.funding.permissions import PLAN, replayed_or_open
from plugins.funding.sources import SocialKind, Source

if TYPE_CHECKING:
    from engine.core import Engine

NOTE_LIMIT = 500
SOURCE_ORDER = {source: index for index, source in enumerate(Source)}
COLUMNS = ("id, project_id, source, kind, amount_fen, note, set_by_name, set_at, superseded_at, reverses_id, reason,"
           " (SELECT MIN(c.id) FROM funding_plan c WHERE c.reverses_id = funding_plan.id)")


@dataclass(frozen=True)
class PlanLine:
    """One source's planned amount 计划资金 (yuan), who set it and when; ``superseded_at`` once replaced."""

    id: int
    project_id: int
    source: Source
    kind: SocialKind | None
    amount: Decimal
    note: str
    set_by: str
    set_at: dt.datetime
    superseded_at: dt.datetime | None = None
    reverses_id: int | None = None  # a correction 冲正: the line it reverses
    reason: str = ""
    reversed_by_id: int | None = None  # the correction that reversed this line


def set_plan(engine: Engine, actor: ActorView, project_id: int, source: Any, amount: Any, kind: Any = None,
             note: Any = None, idempotency_key: Any = None) -> PlanLine:
    """Set the planned amount of one source (zero takes the source out of the plan); return the new line. With
    an ``idempotency_key`` used before, the line then set is answered and nothing is written."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        earlier = replayed_or_open(engine, sql, actor, project_id, PLAN, idempotency_key, chained.PLAN.event)
        if earlier is not None:
            return line_by_id(sql, earlier)
        src, knd = inputs.source_of(source, kind, ["input"])
        fen = parse_amount(amount, ["input", "amount"], allow_zero=True)
        note_text = inputs.text(note, ["input", "note"], NOTE_LIMIT)
        now = engine.clock.now()
        line = put_plan_line(sql, actor, project_id, src, fen, note_text, now, knd)
        chain.remember(sql, actor, idempotency_key, project_id, chained.PLAN.event, line.id, now)
    return line


def put_plan_line(sql: Sql, actor: ActorView, project_id: int, source: Source, fen: int, note: str,
                  now: dt.datetime, kind: SocialKind | None = None, reverses_id: int | None = None,
                  reason: str = "", event: str | None = None) -> PlanLine:
    """Replace the line in force for ``source`` (and ``kind``) inside the caller's transaction, and append its
    chain record, without access checks: for ``set_plan``, a reversal, and another plugin's workflow action (the
    管护经费 line of a hand-over, ``event`` naming it), whose transition has already checked the actor. ``fen`` and
    ``note`` must already be valid."""
    kind_code = kind.value if kind else ""
    sql.execute("UPDATE funding_plan SET superseded_at = ? WHERE project_id = ? AND source = ? AND kind = ?"
                " AND superseded_at IS NULL", (now, project_id, source.value, kind_code))
    values = (source.value, kind_code, fen, note, actor.id, reverses_id, reason)
    line_id = sql.insert("INSERT INTO funding_plan (project_id, source, kind, amount_fen, note, set_by_id,"
                         " reverses_id, reason, set_by_name, set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (project_id, *values, actor.name, now))
    chained.append(sql, chained.PLAN, project_id, line_id, values, actor.id, actor.name, now,
                   reverses=reverses_id is not None, event=event)
    return PlanLine(line_id, project_id, source, kind, yuan(fen), note, actor.name, now, None, reverses_id, reason)


def line_by_id(sql: Sql, line_id: int) -> PlanLine:
    return _line(sql.all(f"SELECT {COLUMNS} FROM funding_plan WHERE id = ?", (line_id,))[0])


def plan_lines(sql: Sql, project_id: int, history: bool = False) -> list[PlanLine]:
    """The lines in force, in source order (or, with ``history``, every line ever set, newest first)."""
    return plan_lines_of(sql, [project_id], history).get(project_id, [])


def plan_lines_of(sql: Sql, project_ids: Sequence[int], history: bool = False) -> dict[int, list[PlanLine]]:
    """``plan_lines`` of each project, in one query."""
    current = "" if history else " AND superseded_at IS NULL"
    rows = sql.all(f"SELECT {COLUMNS} FROM funding_plan WHERE project_id IN ({marks(len(project_ids))}){current}"
                   " ORDER BY set_at DESC, id DESC", list(project_ids))
    found = by_project(rows, _line, 1)
    if not history:
        for lines in found.values():
            lines.sort(key=lambda line: (SOURCE_ORDER[line.source], line.kind.value if line.kind else ""))
    return found


def _line(row: tuple) -> PlanLine:
    superseded = to_datetime(row[8]) if row[8] is not None else None
    return PlanLine(row[0], row[1], Source(row[2]), SocialKind(row[3]) if row[3] else None, yuan(row[4]),
                    row[5], row[6], to_datetime(row[7]), superseded, row[9], row[10] or "", row[11])
