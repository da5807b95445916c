"""Built-in plugin: custody (管护) and the 回头看 review as records, not form fields.

A hand-over (移交管护) opens a custody record — custodian 管护主体, responsible unit, duties, yearly maintenance
funds (a funding plan line of source 管护经费 in the funding plugin) and the custody period, three years by
default (上管三年). The 回头看 review records a checklist (still in use, maintained, signage, residents'
satisfaction); each failed item opens a rectification (整改) through the inspection plugin's action. Custody
inspections (管护巡查, an inspection kind of the inspection plugin) are accepted only during the period, and
``custodyExpiring`` lists periods about to end. Depends on the funding and inspection plugins.
"""
from __future__ import annotations

from typing import Any

from engine.api.extension import GraphQLExtension
from engine.workflow.guards import ActionSpec, GuardSpec
from engine.hookspecs import hookimpl
from engine.storage.migrations import Migration

from plugins.custody import actions, entities


@hookimpl
def minsheng_entities(db: Any) -> None:
    entities.declare(db)


@hookimpl
def minsheng_migrations() -> list[Migration]:
    return list(entities.MIGRATIONS)


@hookimpl
def minsheng_guards() -> list[GuardSpec]:
    return list(actions.GUARDS)


@hookimpl
def minsheng_actions() -> list[ActionSpec]:
    return list(actions.ACTIONS)


@hookimpl
def minsheng_graphql() -> GraphQLExtension:
    from plugins.custody.graphql import extension

    return extension()
