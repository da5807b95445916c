"""Who may read what. An actor reads its area (its region and everything below); the public reads only
projects in states the workflow marks ``public``. Anything else answers exactly like a missing object."""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.actors import ActorView
from engine.errors import NotFound
from engine.project_rows import ProjectRow, read
from engine.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine


def is_public_state(engine: Engine, workflow_id: int, state: str) -> bool:
    definition = engine.workflows.get(workflow_id).definition
    return definition.states[state].public


def can_read(engine: Engine, actor: ActorView, row: ProjectRow) -> bool:
    if actor.is_public:
        return is_public_state(engine, row.workflow_id, row.view.state)
    return actor.covers(row.region_path)


def readable_project(engine: Engine, sql: Sql, actor: ActorView, project_id: int,
                     path: list[str] | None = None) -> ProjectRow:
    """The project if ``actor`` may read it, else ``NotFound`` (whether or not it exists)."""
    row = read(sql, project_id, engine.workflow_names)
    if row is None or not can_read(engine, actor, row):
        raise NotFound(f"project {project_id} does not exist", path=path or ["projectId"])
    return row


def public_states_sql(engine: Engine) -> tuple[str, list[object]]:
    """A SQL condition (and its parameters) matching projects in published states, for list queries."""
    pairs = [(wid, s) for wid, w in engine.workflows.by_id.items() for s in w.definition.public_states()]
    if not pairs:
        return "1 = 0", []
    condition = " OR ".join("(workflow_id = ? AND state = ?)" for _ in pairs)
    return f"({condition})", [v for pair in pairs for v in pair]
