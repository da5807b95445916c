"""Who may write which funding record: finance 财政 plans, records and rewards; the government office 政府办 also
plans; a lead unit's clerk 牵头单位 records receipts and payments; the standing committee 人大常委会 grants rewards.
Which projects an actor may write them for is the engine's one rule (``engine.directory.access``, through ``locate``): a
unit clerk reaches only its unit's projects, whatever other roles it holds. Reads follow the project's own read
access."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine import chain
from engine.directory.actors import ActorView
from engine.errors import Forbidden, NotFound
from engine.storage.sql import Sql
from engine.transition import locate

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.project_rows import ProjectRow

ROLE_LABELS = {"finance": "财政/发改/民生办", "office": "政府办/督查室", "unit": "牵头/责任单位",
               "committee": "人大常委会"}
PROJECT_PATH = ["input", "projectId"]


@dataclass(frozen=True)
class WriteRule:
    """Which roles may write one kind of funding record (``what`` completes "only … may …")."""

    what: str
    roles: tuple[str, ...]


PLAN = WriteRule("set a project's funding plan (资金筹措计划)", ("finance", "office"))
RECEIPT = WriteRule("record funds received (资金到位)", ("finance", "unit"))
PAYMENT = WriteRule("record funds paid out (资金拨付)", ("finance", "unit"))
REWARD = WriteRule("record a reward subsidy (奖补)", ("finance", "committee"))


def check_write(rule: WriteRule, actor: ActorView) -> None:
    """``Forbidden`` unless ``actor`` holds one of the rule's roles (the project is already within its reach)."""
    if not actor.roles & set(rule.roles):
        allowed = " or ".join(f"{ROLE_LABELS[r]} ({r})" for r in rule.roles)
        raise Forbidden(f"only {allowed} may {rule.what}")


def locked_for_write(engine: Engine, sql: Sql, actor: ActorView, project_id: int, rule: WriteRule) -> ProjectRow:
    """The project, row-locked for the rest of the transaction, once ``actor`` may write ``rule``'s record.

    A project the actor does not reach (``engine.directory.access``: outside its area; for a unit clerk, another unit's)
    answers like a missing one, at ``input.projectId``.
    """
    try:
        row = locate(engine, sql, actor, project_id, lock=True)
    except NotFound as exc:
        raise NotFound(exc.message, path=PROJECT_PATH) from None
    check_write(rule, actor)
    return row


KIND = "funding"  # the record kind of the funding plugin in the hash chain


def replayed_or_open(engine: Engine, sql: Sql, actor: ActorView, project_id: int, rule: WriteRule, key: object,
                     event: str) -> int | None:
    """Lock and check the project for ``rule`` (``locked_for_write``); then the id of the record an earlier
    request with the idempotency ``key`` wrote (to answer again), or None once the project is known to take funding
    records (a final state refuses them unless its workflow entry lists ``funding``)."""
    row = locked_for_write(engine, sql, actor, project_id, rule)
    earlier = chain.replayed(sql, actor, chain.check_key(key), project_id, event)
    if earlier is None:
        chain.check_open_for(engine, row, KIND, "funding records (资金)")
    return earlier
