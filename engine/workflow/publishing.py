"""Publishing a workflow version 发布流程版本: what it would do (``minsheng workflow check --db``) and doing it
(``minsheng workflow publish``), on the database alone — no server restart.

A file is validated exactly as at start-up (every problem by file and line). Then, against the database:

- a name and version not recorded yet is a **new** version; it becomes the active one if its number is the highest
  of its name (a number below the active version's is refused: it would never be used);
- the same content already recorded is **unchanged** (publishing it again does nothing);
- other content under a recorded number is refused while projects use that version ("content changed without a
  version bump while N projects use version V", at the file's ``version:`` line); with no project on it, the
  content is **replaced**;
- the roles' scopes must agree with every other workflow's active version (the one access rule reads them all).

Running servers see the change at their next look at the table (``engine.core.Engine.refresh_workflows``).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pony import orm

from engine.clock import clock
from engine.errors import DefinitionProblem, InvalidDefinition
from engine.storage.db import Target
from engine.storage.sql import Sql
from engine.workflow.catalog import Catalog
from engine.workflow.loader import load_definition, parse_definition
from engine.workflow.model import WorkflowDefinition
from engine.workflow.registry import checksum_of, line_of, unchanged_or_free
from engine.workflow.scopes import AccessPolicy

NEW, UNCHANGED, REPLACED = "new", "unchanged", "replaced"
PUBLISH_LOCK = 7402  # PostgreSQL advisory lock: one publish at a time


@dataclass(frozen=True)
class PublishPlan:
    definition: WorkflowDefinition
    outcome: str  # NEW, UNCHANGED or REPLACED
    active_version: int | None  # the name's active version before publishing (None: a new name)
    projects_on_active: int

    def describe(self) -> str:
        d = self.definition
        where = f"workflow '{d.name}' version {d.version}"
        if self.outcome == UNCHANGED:
            return f"{d.path}: {where} is already published with the same content: no change"
        if self.outcome == REPLACED:
            return (f"{d.path}: {where} would replace the recorded content of that version (no project uses it)")
        if self.active_version is None:
            return f"{d.path}: {where} would be published as a new workflow"
        return (f"{d.path}: {where} would be published as a new version; version {self.active_version} "
                f"({self.projects_on_active} project(s)) becomes superseded and keeps its projects")


def plan(sql: Sql, definition: WorkflowDefinition, catalog: Catalog) -> PublishPlan:
    """What publishing ``definition`` would do, or ``InvalidDefinition`` naming the file and line."""
    found = unchanged_or_free(sql, definition)
    active = sql.one("SELECT id, version FROM workflow_version WHERE name = ? ORDER BY version DESC LIMIT 1",
                     (definition.name,))
    active_id, active_version = (active[0], active[1]) if active else (None, None)
    if found is None and active_version is not None and definition.version < active_version:
        raise InvalidDefinition([DefinitionProblem(
            definition.path, line_of(definition.source, "version:"),
            f"workflow '{definition.name}' version {definition.version} is older than the published version "
            f"{active_version}: raise 'version' to {active_version + 1}")])
    _check_scopes(sql, definition, catalog)
    on_active = sql.scalar("SELECT COUNT(*) FROM project WHERE workflow_id = ?", (active_id,)) if active_id else 0
    outcome = NEW if found is None else (UNCHANGED if found[1] else REPLACED)
    return PublishPlan(definition, outcome, active_version, on_active)


def _check_scopes(sql: Sql, definition: WorkflowDefinition, catalog: Catalog) -> None:
    """The roles' scopes of ``definition`` against the other names' active versions (as stored)."""
    others = []
    rows = sql.all("SELECT w.name, w.version, w.source FROM workflow_version w WHERE w.name <> ? AND w.version ="
                   " (SELECT MAX(v.version) FROM workflow_version v WHERE v.name = w.name)", (definition.name,))
    for name, version, source in rows:
        try:
            others.append(parse_definition(source, f"<{name} v{version} in database>", catalog.guards,
                                           catalog.actions))
        except InvalidDefinition:
            continue  # a disabled plugin's workflow: not loaded, so not in the access rule either
    AccessPolicy.of([*others, definition])


def check(sql: Sql, path: Path, catalog: Catalog) -> PublishPlan:
    return plan(sql, load_definition(path, catalog.guards, catalog.actions), catalog)


def publish(db: orm.Database, target: Target, path: Path, catalog: Catalog) -> PublishPlan:
    """Validate ``path`` and record it (one transaction); never records an invalid version. Idempotent."""
    definition = load_definition(path, catalog.guards, catalog.actions)
    with orm.db_session(immediate=True):
        sql = Sql(db)
        if not target.is_sqlite:
            sql.execute("SELECT pg_advisory_xact_lock(?)", (PUBLISH_LOCK,))
        decided = plan(sql, definition, catalog)
        if decided.outcome == NEW:
            sql.execute("INSERT INTO workflow_version (name, version, checksum, source, loaded_at)"
                        " VALUES (?, ?, ?, ?, ?)", (definition.name, definition.version, checksum_of(definition),
                                                    definition.source, clock.now()))
        elif decided.outcome == REPLACED:
            sql.execute("UPDATE workflow_version SET checksum = ?, source = ?, loaded_at = ? WHERE name = ? AND"
                        " version = ?", (checksum_of(definition), definition.source, clock.now(), definition.name,
                                         definition.version))
    return decided
