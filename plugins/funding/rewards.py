"""Reward subsidies 奖补: money granted to a project, typically when it earns the top grade (e.g. 优良).

Recorded by hand (finance 财政 or the standing committee 人大常委会) or by the action ``funding.grant_reward``
inside the transition that gave the grade. Each is a ``funding`` record in the project's hash chain.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Sequence

from pony import orm

from engine.directory.actors import ActorView
from engine.storage.sql import Sql, by_project, marks, to_date, to_datetime
from engine import chain
from plugins.funding import chained, inputs
from plugins.funding.money import parse_amount, yuan
from plugins.funding.permissions import REWARD, replayed_or_open

if TYPE_CHECKING:
    from engine.core import Engine

REASON_LIMIT = 500
GRANTOR_LIMIT = 200


@dataclass(frozen=True)
class Reward:
    """A reward subsidy 奖补: amount (yuan), why, when, and who granted it."""

    id: int
    project_id: int
    amount: Decimal
    reason: str
    granted_on: dt.date
    granted_by: str
    recorded_by: str
    recorded_at: dt.datetime


@dataclass(frozen=True)
class NewReward:
    """A checked reward, ready to be written."""

    project_id: int
    amount_fen: int
    reason: str
    granted_on: dt.date
    granted_by: str


def record_reward(engine: Engine, actor: ActorView, project_id: int, amount: Any, reason: Any = None,
                  granted_on: Any = None, granted_by: Any = None, idempotency_key: Any = None) -> Reward:
    """Record a reward subsidy by hand; ``granted_by`` defaults to the actor's name, the date to today. With an
    ``idempotency_key`` used before, the reward then recorded is answered and nothing is written."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        earlier = replayed_or_open(engine, sql, actor, project_id, REWARD, idempotency_key, chained.REWARD.event)
        if earlier is not None:
            return reward_by_id(sql, earlier)
        new = NewReward(project_id, parse_amount(amount, ["input", "amount"]),
                        inputs.text(reason, ["input", "reason"], REASON_LIMIT),
                        inputs.day(granted_on, ["input", "grantedOn"], engine.clock.today()),
                        inputs.text(granted_by, ["input", "grantedBy"], GRANTOR_LIMIT) or actor.name)
        reward = insert_reward(sql, new, actor, engine.clock.now())
        chain.remember(sql, actor, idempotency_key, project_id, chained.REWARD.event, reward.id, reward.recorded_at)
        return reward


def insert_reward(sql: Sql, new: NewReward, actor: ActorView, now: dt.datetime) -> Reward:
    """Write a checked reward and its chain record in the current transaction (the caller checked access)."""
    values = (new.amount_fen, new.reason, new.granted_on, new.granted_by, actor.id)
    reward_id = sql.insert(
        "INSERT INTO funding_reward (project_id, amount_fen, reason, granted_on, granted_by, recorded_by_id,"
        " recorded_by_name, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (new.project_id, *values, actor.name, now))
    chained.append(sql, chained.REWARD, new.project_id, reward_id, values, actor.id, actor.name, now)
    return Reward(reward_id, new.project_id, yuan(new.amount_fen), new.reason, new.granted_on, new.granted_by,
                  actor.name, now)


def reward_by_id(sql: Sql, reward_id: int) -> Reward:
    row = sql.one("SELECT id, project_id, amount_fen, reason, granted_on, granted_by, recorded_by_name, recorded_at"
                  " FROM funding_reward WHERE id = ?", (reward_id,))
    assert row is not None
    return Reward(row[0], row[1], yuan(row[2]), row[3], to_date(row[4]), row[5], row[6], to_datetime(row[7]))


def rewards(sql: Sql, project_id: int) -> list[Reward]:
    """A project's reward subsidies, newest first."""
    return rewards_of(sql, [project_id]).get(project_id, [])


def rewards_of(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Reward]]:
    """``rewards`` of each project, in one query."""
    rows = sql.all("SELECT id, project_id, amount_fen, reason, granted_on, granted_by, recorded_by_name,"
                   f" recorded_at FROM funding_reward WHERE project_id IN ({marks(len(project_ids))})"
                   " ORDER BY granted_on DESC, id DESC", list(project_ids))
    return by_project(rows, lambda r: Reward(r[0], r[1], yuan(r[2]), r[3], to_date(r[4]), r[5], r[6],
                                             to_datetime(r[7])), 1)
