"""Built-in plugin: inspection (视察 / 督查 / 验收) and rectification (整改).

Records inspections of a project, opens rectifications for what they find, tracks them open → done → verified,
lists overdue ones, and gives the default workflow its acceptance and rectification guards and action.
"""
from __future__ import annotations

from typing import Any

from engine.api.extension import GraphQLExtension
from engine.workflow.guards import ActionSpec, GuardSpec
from engine.hookspecs import hookimpl
from engine.storage.migrations import Migration

from plugins.inspection import demo as demo_records
from plugins.inspection import entities, guards


@hookimpl
def minsheng_entities(db: Any) -> None:
    entities.declare(db)


@hookimpl
def minsheng_migrations() -> list[Migration]:
    return list(entities.MIGRATIONS)


@hookimpl
def minsheng_tallies() -> Any:
    """Open rectifications per region, year and deadline, kept by the database."""
    return entities.TALLY


@hookimpl
def minsheng_chained_tables() -> list[Any]:
    """Inspections, rectifications and inspection corrections are ``inspection`` records in the hash chains."""
    from plugins.inspection.chained import TABLES

    return list(TABLES)


@hookimpl
def minsheng_guards() -> list[GuardSpec]:
    return list(guards.GUARDS)


@hookimpl
def minsheng_actions() -> list[ActionSpec]:
    return list(guards.ACTIONS)


@hookimpl
def minsheng_graphql() -> GraphQLExtension:
    from plugins.inspection.graphql import extension

    return extension()


@hookimpl
def minsheng_demo_data(db: Any, demo: Any) -> None:
    demo_records.add_demo_records(demo)


@hookimpl(optionalhook=True)
def minsheng_demo_prepare(engine: Any, demo: Any, project: Any, event: str) -> None:
    """Before the demo fires ``event``: the acceptance inspections and closed rectifications its guards check."""
    demo_records.prepare(demo, project, event)


@hookimpl
def minsheng_dashboard_figures(engine: Any, sql: Any, scope: Any) -> Any:
    """Open and overdue rectifications (and, for the bulletin, the overdue list); nothing for the public."""
    from plugins.inspection.dashboard import figures

    return figures(engine, sql, scope)


@hookimpl
def minsheng_record_kinds() -> list[Any]:
    """Inspection records and rectifications carry evidence files (photos, reports)."""
    from engine.evidence.kinds import RecordKind

    return [RecordKind("inspection", "检查/验收记录", "inspection_record"),
            RecordKind("rectification", "整改", "inspection_rectification")]
