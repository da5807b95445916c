"""Loaded workflow versions: files validated, recorded in ``workflow_version`` by name, version and checksum.

A project keeps the version it started on: versions no longer in the files are rebuilt from the source stored
in the database. Changing a file's content without raising its version while projects use it is refused.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from engine.workflow.catalog import Catalog
from engine.clock import clock
from engine.errors import DefinitionProblem, InvalidDefinition
from engine.storage.sql import Sql
from engine.workflow.loader import load_definition, parse_definition
from engine.workflow.machine import StateMachine
from engine.workflow.model import WorkflowDefinition
from engine.workflow.scopes import AccessPolicy


@dataclass(frozen=True)
class LoadedWorkflow:
    id: int
    definition: WorkflowDefinition
    machine: StateMachine


class WorkflowVersionChanged(InvalidDefinition):
    pass


class WorkflowRegistry:
    """Every workflow version the database knows, by row id and by name (the newest file version)."""

    def __init__(self) -> None:
        self.by_id: dict[int, LoadedWorkflow] = {}
        self.current: dict[str, LoadedWorkflow] = {}
        self.access = AccessPolicy()  # every role's scope, from the workflow files (engine.directory.access)

    def get(self, workflow_id: int) -> LoadedWorkflow:
        return self.by_id[workflow_id]

    def named(self, name: str) -> LoadedWorkflow | None:
        return self.current.get(name)

    def load(self, sql: Sql, files: Iterable[Path], catalog: Catalog) -> None:
        """Validate ``files``, record new versions, then load every recorded version (inside a db_session)."""
        definitions = [load_definition(path, catalog.guards, catalog.actions, catalog.record_kinds)
                       for path in files]
        self.access = AccessPolicy.of(definitions)
        for definition in definitions:
            _record(sql, definition)
        rows = sql.all("SELECT id, name, version, source FROM workflow_version ORDER BY name, version")
        for row_id, name, version, source in rows:
            try:
                definition = parse_definition(source, f"<{name} v{version} in database>", catalog.guards,
                                              catalog.actions, catalog.record_kinds)
            except InvalidDefinition:
                if sql.scalar("SELECT COUNT(*) FROM project WHERE workflow_id = ?", (row_id,)):
                    raise  # projects run on it: its guards' plugin must stay enabled
                continue  # e.g. a disabled plugin's workflow that no project uses
            self.by_id[row_id] = LoadedWorkflow(row_id, definition, StateMachine(definition))
        for definition in definitions:
            row_id = sql.scalar("SELECT id FROM workflow_version WHERE name = ? AND version = ?",
                                (definition.name, definition.version))
            self.current[definition.name] = self.by_id[row_id]


def _record(sql: Sql, definition: WorkflowDefinition) -> None:
    checksum = hashlib.sha256(definition.source.encode("utf-8")).hexdigest()
    row = sql.one("SELECT id, checksum FROM workflow_version WHERE name = ? AND version = ?",
                  (definition.name, definition.version))
    if row is None:
        sql.execute("INSERT INTO workflow_version (name, version, checksum, source, loaded_at) VALUES (?, ?, ?, ?, ?)",
                    (definition.name, definition.version, checksum, definition.source, clock.now()))
        return
    if row[1] == checksum:
        return
    in_use = sql.scalar("SELECT COUNT(*) FROM project WHERE workflow_id = ?", (row[0],))
    if in_use:
        raise WorkflowVersionChanged([DefinitionProblem(
            definition.path, _line_of(definition.source, "version:"),
            f"workflow '{definition.name}' version {definition.version} has changed but {in_use} project(s) use "
            f"it: raise 'version' to {definition.version + 1} to publish the change")])
    sql.execute("UPDATE workflow_version SET checksum = ?, source = ?, loaded_at = ? WHERE id = ?",
                (checksum, definition.source, clock.now(), row[0]))


def _line_of(source: str, prefix: str) -> int:
    for number, line in enumerate(source.splitlines(), start=1):
        if line.startswith(prefix):
            return number
    return 1
