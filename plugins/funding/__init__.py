"""Built-in plugin: funding 资金 — funding plans by source, funds received and paid out, reward subsidies, the
funds-in-place and disbursement rates, and the guards ``funding.plan_covers_budget`` / ``funding.funds_in_place``
and the action ``funding.grant_reward``."""
from __future__ import annotations

from typing import Any

from engine.api.extension import GraphQLExtension
from engine.workflow.guards import ActionSpec, GuardSpec
from engine.hookspecs import hookimpl
from engine.storage.migrations import Migration


@hookimpl
def minsheng_entities(db: Any) -> None:
    from plugins.funding.entities import declare

    declare(db)


@hookimpl
def minsheng_migrations() -> list[Migration]:
    from plugins.funding.entities import MIGRATIONS

    return list(MIGRATIONS)


@hookimpl
def minsheng_tallies() -> Any:
    """Funds planned, received, paid and rewarded per region, year and source, kept by the database."""
    from plugins.funding.entities import TALLY

    return TALLY


@hookimpl
def minsheng_chained_tables() -> list[Any]:
    """Plan lines, receipts, payments and rewards are ``funding`` records in the projects' hash chains."""
    from plugins.funding.chained import TABLES

    return [columns.chained_table() for columns in TABLES]


@hookimpl
def minsheng_guards() -> list[GuardSpec]:
    from plugins.funding.guards import GUARDS

    return list(GUARDS)


@hookimpl
def minsheng_actions() -> list[ActionSpec]:
    from plugins.funding.guards import ACTIONS

    return list(ACTIONS)


@hookimpl
def minsheng_graphql() -> GraphQLExtension:
    from plugins.funding.graphql import extension

    return extension()


@hookimpl
def minsheng_demo_data(db: Any, demo: Any) -> None:
    from plugins.funding.demo import add_demo_records

    add_demo_records(demo)


@hookimpl(optionalhook=True)
def minsheng_demo_prepare(engine: Any, demo: Any, project: Any, event: str) -> None:
    """Before the demo fires ``event``: the funding plan and first funds the event's guards check."""
    from plugins.funding.demo import prepare

    prepare(demo, project, event)


@hookimpl
def minsheng_dashboard_figures(sql: Any, scope: Any) -> Any:
    """Funds planned, received and paid, 到位率, 拨付率 and funds by source, for dashboards and bulletins."""
    from plugins.funding.dashboard import figures

    return figures(sql, scope)
