"""Who may write which schedule record, and on which projects.

Which projects: the engine's one rule (``engine.directory.access``). The lead unit's clerk (牵头单位, role ``unit``) and the
area's offices reach a project to plan and report; a cooperating unit's clerk (配合单位) reaches it to read and
may only mark its own measures done (``MEASURE_DONE``, checked on the measure). Which roles: the rules below.
A project in a final state (终止, 回头看 …) takes no more schedule records.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from pony import orm

from engine import chain
from engine.directory import access
from engine.directory.actors import ActorView
from engine.errors import Conflict, Forbidden, NotFound
from engine.storage.sql import Sql
from engine.transition import locate

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.project_rows import ProjectRow

ROLE_LABELS = {"office": "政府办/督查室", "finance": "财政/发改/民生办", "unit": "牵头/责任单位"}
PROJECT_PATH = ["input", "projectId"]


@dataclass(frozen=True)
class WriteRule:
    """Which roles may write one kind of schedule record (``what`` completes "only … may …"); whether a
    cooperating unit's clerk may (then the record itself must be its own)."""

    what: str
    roles: tuple[str, ...]
    cooperating: bool = False


TARGETS = WriteRule("set a project's targets (指标)", ("office", "finance", "unit"))
ACTUALS = WriteRule("report the actuals of targets (指标完成值)", ("office", "unit"))
MEASURES = WriteRule("set a project's measures and milestones (措施/节点)", ("office", "finance", "unit"))
COOPERATING = WriteRule("set a project's cooperating units (配合单位)", ("office", "finance", "unit"))
MEASURE_DONE = WriteRule("mark a measure done (措施完成)", ("office", "unit"), cooperating=True)
PROGRESS = WriteRule("report a project's progress (进度报告)", ("office", "unit"))


def locked_for_write(engine: Engine, sql: Sql, actor: ActorView, project_id: int, rule: WriteRule) -> ProjectRow:
    """The project, row-locked for the rest of the transaction, once ``actor`` may write ``rule``'s record.

    A project the actor does not reach answers like a missing one at ``input.projectId``; a cooperating unit's
    clerk, who reads the project, is refused (``Forbidden``) unless the rule lets cooperating units write.
    """
    try:
        row = locate(engine, sql, actor, project_id, lock=True, cooperating=True)
    except NotFound as exc:
        raise NotFound(exc.message, path=PROJECT_PATH) from None
    if not actor.roles & set(rule.roles):
        allowed = " or ".join(f"{ROLE_LABELS[r]} ({r})" for r in rule.roles)
        raise Forbidden(f"only {allowed} may {rule.what}")
    if not rule.cooperating and not access.can_act(engine, actor, row):
        raise Forbidden(f"only the lead unit (牵头单位) may {rule.what}; a cooperating unit (配合单位) may only "
                        "mark its own measures done")
    state = engine.workflows.get(row.workflow_id).definition.states[row.view.state]
    if state.final:
        raise Forbidden(f"the project is {state.label} ({state.name}), a final state: its schedule is closed")
    return row


def leads(engine: Engine, actor: ActorView, row: ProjectRow) -> bool:
    """Whether ``actor`` acts on the project as more than a cooperating unit (lead unit, or an area role)."""
    return access.can_act(engine, actor, row)


def replayed(sql: Sql, actor: ActorView, key: object, project_id: int, event: str) -> bool:
    """Whether a request with this idempotency key already made ``event`` on the project (then it is answered
    with what is stored now, and nothing is written). Call with the project row locked."""
    return chain.replayed(sql, actor, chain.check_key(key), project_id, event) is not None


def remember(sql: Sql, actor: ActorView, key: object, project_id: int, event: str, record_id: int,
             at: object) -> None:
    """Keep the idempotency key with the write, in its transaction."""
    chain.remember(sql, actor, chain.check_key(key), project_id, event, record_id, at)  # type: ignore[arg-type]


@contextmanager
def write_session() -> Iterator[None]:
    """One write transaction (SQLite: ``BEGIN IMMEDIATE``); a concurrent change the row lock did not keep out
    (a duplicate audit sequence number, a failed optimistic check) comes out as ``Conflict``, all rolled back."""
    try:
        with orm.db_session(immediate=True):
            yield
    except (orm.IntegrityError, orm.TransactionError) as exc:
        raise Conflict("someone else changed this project at the same moment; reload and try again") from exc
