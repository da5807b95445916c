"""Looking up what a reader names (a project, a region) under the one rule in ``engine.directory.access``: anything the
reader may not read answers exactly like a missing object."""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.directory.access import can_read, is_public_state, reach
from engine.directory.actors import ActorView
from engine.errors import NotFound
from engine.storage.project_rows import ProjectRow, read
from engine.directory.regions import RegionView, get_region
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine

__all__ = ["is_public_state", "readable_project", "readable_region"]


def readable_region(engine: Engine, sql: Sql, actor: ActorView, region_id: int,
                    path: list[str] | None = None) -> RegionView:
    """A region the reader may name (in a filter, a roll-up, a subscription): one in its reach's area, or any
    region for a public-scope reader, who then reads only published projects there. Anything else is
    ``NotFound``, as if missing."""
    try:
        region = get_region(sql, region_id)
    except NotFound:
        region = None
    if region is None or not reach(engine, actor).covers(region.path):
        raise NotFound(f"region {region_id} does not exist", path=path or ["region"])
    return region


def readable_project(engine: Engine, sql: Sql, actor: ActorView, project_id: int,
                     path: list[str] | None = None) -> ProjectRow:
    """The project if ``actor`` may read it, else ``NotFound`` (whether or not it exists)."""
    row = read(sql, project_id, engine.workflow_names)
    if row is None or not can_read(engine, actor, row):
        raise NotFound(f"project {project_id} does not exist", path=path or ["projectId"])
    return row
