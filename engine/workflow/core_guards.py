"""The engine's own guards, registered through the same hooks as every plugin's."""
from __future__ import annotations

from typing import Any

from engine.workflow.guards import GuardContext, GuardSpec, Param
from engine.hookspecs import hookimpl


def _lead_unit_assigned(ctx: GuardContext) -> str | None:
    if ctx.project.lead_unit_id is None:
        return "no lead unit (牵头单位) has been assigned to the project"
    return None


def _own_unit(ctx: GuardContext, roles: Any = ("unit",)) -> str | None:
    """An actor holding one of ``roles`` acts only on projects its unit leads, whatever other roles it holds
    (roles never widen one another), unless the workflow lifts that role's scope (``overrides``, engine.directory.access)."""
    limiting = ctx.reach.limiting_roles if ctx.reach is not None else ctx.actor.roles
    if not limiting & set(roles):
        return None
    if ctx.actor.unit_id is None or ctx.actor.unit_id != ctx.project.lead_unit_id:
        return "only the project's lead unit (牵头单位) may do this"
    return None


def _budget_at_least(ctx: GuardContext, amount: float = 0) -> str | None:
    if ctx.project.budget < amount:
        return f"the budget {ctx.project.budget} yuan is below the required {amount} yuan"
    return None


def _fields_present(ctx: GuardContext, names: Any = ()) -> list[str]:
    if ctx.preview:
        return []
    return [f"'{name}' must be filled in" for name in names if ctx.fields.get(name) in (None, "")]


@hookimpl
def minsheng_guards() -> list[GuardSpec]:
    return [
        GuardSpec("core.lead_unit_assigned", _lead_unit_assigned, {}, "a lead unit has been assigned"),
        GuardSpec("core.own_unit", _own_unit, {"roles": Param("list", default=["unit"])},
                  "unit clerks act only on projects their unit leads"),
        GuardSpec("core.budget_at_least", _budget_at_least, {"amount": Param("number", required=True, min=0)},
                  "the project's budget is at least an amount"),
        GuardSpec("core.fields_present", _fields_present, {"names": Param("list", required=True)},
                  "the named submitted fields are filled in"),
    ]
