"""Who may read what. An actor reads its area (its region and everything below); an actor acting only as a
lead unit's clerk (role ``unit`` and no other) reads only the projects its unit leads, within its area; the
public reads only projects in states the workflow marks ``public``. Anything else answers exactly like a missing
object."""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.actors import ActorView
from engine.errors import NotFound
from engine.project_rows import ProjectRow, read
from engine.regions import RegionView, get_region
from engine.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine

def is_public_state(engine: Engine, workflow_id: int, state: str) -> bool:
    definition = engine.workflows.get(workflow_id).definition
    return definition.states[state].public


def can_read_fields(engine: Engine, actor: ActorView, workflow_id: int, state: str, region_path: str,
                    lead_unit_id: int | None) -> bool:
    """The read rule on a project's plain columns (for callers that selected them themselves)."""
    if actor.is_public:
        return is_public_state(engine, workflow_id, state)
    return actor.reaches(region_path, lead_unit_id)


def can_read(engine: Engine, actor: ActorView, row: ProjectRow) -> bool:
    return can_read_fields(engine, actor, row.workflow_id, row.view.state, row.region_path, row.view.lead_unit_id)


def readable_region(sql: Sql, actor: ActorView, region_id: int, path: list[str] | None = None) -> RegionView:
    """A region the reader may name (in a filter, a roll-up, a subscription): one in its area, or any region for
    the public, who then reads only published projects there. Anything else is ``NotFound``, as if missing."""
    try:
        region = get_region(sql, region_id)
    except NotFound:
        region = None
    if region is None or not (actor.is_public or actor.covers(region.path)):
        raise NotFound(f"region {region_id} does not exist", path=path or ["region"])
    return region


def readable_project(engine: Engine, sql: Sql, actor: ActorView, project_id: int,
                     path: list[str] | None = None) -> ProjectRow:
    """The project if ``actor`` may read it, else ``NotFound`` (whether or not it exists)."""
    row = read(sql, project_id, engine.workflow_names)
    if row is None or not can_read(engine, actor, row):
        raise NotFound(f"project {project_id} does not exist", path=path or ["projectId"])
    return row


def public_states_sql(engine: Engine, alias: str = "") -> tuple[str, list[object]]:
    """A SQL condition (and its parameters) matching projects in published states, for list queries.
    ``alias`` qualifies the columns (``"p"`` gives ``p.workflow_id``, ``p.state``)."""
    prefix = f"{alias}." if alias else ""
    pairs = [(wid, s) for wid, w in engine.workflows.by_id.items() for s in w.definition.public_states()]
    if not pairs:
        return "1 = 0", []
    condition = " OR ".join(f"({prefix}workflow_id = ? AND {prefix}state = ?)" for _ in pairs)
    return f"({condition})", [v for pair in pairs for v in pair]


def read_scope_sql(engine: Engine, actor: ActorView, alias: str = "p") -> tuple[list[str], list[object]]:
    """SQL conditions (and parameters) limiting projects (table alias ``alias``) to what ``actor`` may read:
    the same rule as ``can_read``, for list pages and roll-ups."""
    if actor.is_public:
        condition, params = public_states_sql(engine, alias)
        return [condition], params
    conditions, params = [f"{alias}.region_path LIKE ?"], [f"{actor.region_path}%"]
    if actor.unit_bound:
        if actor.unit_id is None:
            return ["1 = 0"], []
        conditions.append(f"{alias}.lead_unit_id = ?")
        params.append(actor.unit_id)
    return conditions, params
