"""A region's plugin: town 议政会 (deliberative council) resolutions on livelihood projects.

Registered through the entry point ``yizhenghui`` of the group ``minsheng`` (see ``pyproject.toml``). This module
holds only the hook implementations; each delegates to a module beside it:

- ``entities``: the ``yizhenghui_resolution`` table (pony entity and its migration);
- ``resolutions``: recording and reading resolutions (access checks, validation, SQL);
- ``guards``: the guard ``yizhenghui.approved``;
- ``graphql``: ``recordYizhenghuiResolution`` and ``Project.yizhenghuiResolutions``;
- ``demo``: council votes for the demo district's approved town and village projects;
- ``workflows/town_minsheng.yaml``: the town-level lifecycle whose approval needs the council's vote.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.api.extension import GraphQLExtension
from engine.workflow.guards import GuardSpec
from engine.hookspecs import hookimpl
from engine.storage.migrations import Migration

from minsheng_yizhenghui import demo as demo_records, entities, guards

WORKFLOWS = Path(__file__).resolve().parent / "workflows"


@hookimpl
def minsheng_entities(db: Any) -> None:
    entities.declare(db)


@hookimpl
def minsheng_migrations() -> list[Migration]:
    return list(entities.MIGRATIONS)


@hookimpl
def minsheng_guards() -> list[GuardSpec]:
    return list(guards.GUARDS)


@hookimpl
def minsheng_graphql() -> GraphQLExtension:
    from minsheng_yizhenghui.graphql import extension  # strawberry types are built only when the API is

    return extension()


@hookimpl
def minsheng_workflow_files() -> list[Path]:
    return [WORKFLOWS / "town_minsheng.yaml"]


@hookimpl
def minsheng_demo_data(db: Any, demo: Any) -> None:
    demo_records.add_demo_resolutions(db, demo)
