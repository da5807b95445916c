"""The funding guards and action the workflows use.

- ``funding.plan_covers_budget``: the planned sources add up to at least the project's budget (before the vote).
- ``funding.funds_in_place`` (``min_ratio``): funds received are at least that share of the plan (before work
  starts), e.g. 0.3 for 30%.
- ``funding.grant_reward`` (action; ``amount`` yuan, ``reason``): records a reward subsidy 奖补, e.g. when the
  satisfaction plugin grades a project into the top band.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from engine.workflow.guards import ActionSpec, GuardContext, GuardSpec, Param
from plugins.funding import inputs
from plugins.funding.figures import planned_and_received_fen
from plugins.funding.money import parse_amount, rate, show, show_ratio
from plugins.funding.rewards import REASON_LIMIT, NewReward, insert_reward

NO_PLAN = "no funding plan (资金筹措计划) has been set"


def _funds(ctx: GuardContext) -> tuple[int, int, int]:
    """(planned, received, plan lines) of the project, read with every project explained alongside it."""
    return ctx.load("funding.in_place", lambda ids: planned_and_received_fen(ctx.sql, ids))


def plan_covers_budget(ctx: GuardContext) -> str | None:
    """The funding plan's sources add up to at least the project's budget 预算."""
    planned, _, lines = _funds(ctx)
    budget = int(Decimal(ctx.project.budget) * 100)
    if planned >= budget:
        return None
    if lines == 0:
        return f"{NO_PLAN}; it must cover the {show(budget)} yuan budget"
    covered = rate(planned, budget, rounding=ROUND_DOWN)
    return (f"the funding plan covers {show(planned)} of the {show(budget)} yuan budget ({covered}%); "
            "it must cover all of it")


def funds_in_place(ctx: GuardContext, min_ratio: float = 0) -> str | None:
    """Funds received 到位 are at least ``min_ratio`` of the planned funds (资金到位率 ≥ min_ratio × 100%)."""
    planned, received, lines = _funds(ctx)
    required = Decimal(repr(min_ratio) if isinstance(min_ratio, float) else str(min_ratio))
    if required <= 0:
        return None
    if planned == 0:
        why = NO_PLAN if lines == 0 else "the funding plan (资金筹措计划) adds up to 0.00 yuan"
        return (f"{why}, so funds in place cannot be measured; at least {show_ratio(min_ratio)} of the plan "
                "must be in place")
    if Decimal(received) >= Decimal(planned) * required:
        return None
    in_place = rate(received, planned, rounding=ROUND_DOWN)
    return (f"funds in place {in_place}% of the plan ({show(received)} of {show(planned)} yuan), "
            f"at least {show_ratio(min_ratio)} required")


def grant_reward(ctx: GuardContext, amount: Any = None, reason: Any = None) -> None:
    """Record a reward subsidy 奖补 of ``amount`` yuan for the project, granted by the acting actor today."""
    new = NewReward(ctx.project.id, parse_amount(amount, ["amount"]), inputs.text(reason, ["reason"], REASON_LIMIT),
                    ctx.now.date(), ctx.actor.name)
    insert_reward(ctx.sql, new, ctx.actor, ctx.now)


GUARDS = [
    GuardSpec("funding.plan_covers_budget", plan_covers_budget, {},
              "the funding plan's sources add up to at least the project's budget"),
    GuardSpec("funding.funds_in_place", funds_in_place,
              {"min_ratio": Param("number", required=True, min=0, max=10,
                                  description="the share of the planned funds that must have been received, "
                                              "e.g. 0.3 for 30%")},
              "funds received (资金到位) are at least a share of the funding plan"),
]

ACTIONS = [
    ActionSpec("funding.grant_reward", grant_reward,
               {"amount": Param("number", required=True, min=0.01, description="the reward in yuan, more than 0"),
                "reason": Param("string", description="why the reward is granted, e.g. 评为优良")},
               "record a reward subsidy (奖补) for the project"),
]
