"""Loaded workflow versions: files validated, recorded in ``workflow_version`` by name, version and checksum.

A project keeps the version it started on: every version in the database is rebuilt from the source stored there.
The *active* version of a workflow name is its highest recorded version (new projects get it); the others are
*superseded*. Versions reach the table from the workflow files at start-up and from ``minsheng workflow publish``
(``engine.workflow.publishing``); a running server re-reads the table when it changes (``Engine.refresh_workflows``).
Changing a version's content without raising its number while projects use it is refused.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from engine.workflow.catalog import Catalog
from engine.clock import clock
from engine.errors import DefinitionProblem, InvalidDefinition
from engine.storage.sql import Sql
from engine.workflow.loader import load_definition, parse_definition
from engine.workflow.machine import StateMachine
from engine.workflow.model import WorkflowDefinition
from engine.workflow.scopes import AccessPolicy

ACTIVE, SUPERSEDED = "active", "superseded"  # 现行版本, 已被取代

# What tells a reader the table changed: another version recorded, or a version's content replaced (loaded_at).
SIGNATURE = "SELECT COUNT(*), COALESCE(MAX(id), 0), MAX(loaded_at) FROM workflow_version"


@dataclass(frozen=True)
class LoadedWorkflow:
    id: int
    definition: WorkflowDefinition
    machine: StateMachine


class WorkflowVersionChanged(InvalidDefinition):
    pass


class RefreshingMap(dict):
    """A dict by workflow row id that, asked for an id it does not hold (a version another process published
    since the last look), re-reads the table once through ``miss`` before giving up with ``KeyError``."""

    def __init__(self, items: dict, miss: Callable[[Any], Any] | None) -> None:
        super().__init__(items)
        self._miss = miss

    def __missing__(self, key: Any) -> Any:
        if self._miss is None:
            raise KeyError(key)
        return self._miss(key)


def signature(sql: Sql) -> tuple:
    return tuple(str(value) for value in sql.one(SIGNATURE))


class WorkflowRegistry:
    """Every workflow version the database knows, by row id, and the active version of each name."""

    def __init__(self) -> None:
        self.by_id: dict[int, LoadedWorkflow] = {}
        self.current: dict[str, LoadedWorkflow] = {}
        self.access = AccessPolicy()  # every role's scope, from the active versions (engine.directory.access)
        self.signature: tuple | None = None  # the table's ``signature`` when last read
        self.on_miss: Callable[[], None] | None = None  # re-read the table (set by the engine)

    def get(self, workflow_id: int) -> LoadedWorkflow:
        return self.by_id[workflow_id]

    def named(self, name: str) -> LoadedWorkflow | None:
        return self.current.get(name)

    def state_of(self, workflow_id: int) -> str:
        """``active`` for the version new projects of its name get, else ``superseded``."""
        loaded = self.by_id[workflow_id]
        current = self.current.get(loaded.definition.name)
        return ACTIVE if current is not None and current.id == workflow_id else SUPERSEDED

    def load(self, sql: Sql, files: Iterable[Path], catalog: Catalog) -> None:
        """Validate ``files``, record new versions, then load every recorded version (inside a db_session)."""
        definitions = [load_definition(path, catalog.guards, catalog.actions, catalog.record_kinds)
                       for path in files]
        AccessPolicy.of(definitions)  # the files must agree on every role's scope
        for definition in definitions:
            _record(sql, definition)
        self.refresh(sql, catalog)

    def refresh(self, sql: Sql, catalog: Catalog) -> None:
        """Re-read every recorded version (parsing only those not already loaded) and swap them in at once."""
        sig = signature(sql)
        known = dict(self.by_id)
        by_id: dict[int, LoadedWorkflow] = {}
        rows = sql.all("SELECT id, name, version, checksum, source FROM workflow_version ORDER BY name, version")
        for row_id, name, version, checksum, source in rows:
            kept = known.get(row_id)
            if kept is not None and kept.definition.checksum == checksum:
                by_id[row_id] = kept
                continue
            try:
                definition = parse_definition(source, f"<{name} v{version} in database>", catalog.guards,
                                              catalog.actions, catalog.record_kinds)
            except InvalidDefinition:
                if sql.scalar("SELECT COUNT(*) FROM project WHERE workflow_id = ?", (row_id,)):
                    raise  # projects run on it: its guards' plugin must stay enabled
                continue  # e.g. a disabled plugin's workflow that no project uses
            by_id[row_id] = LoadedWorkflow(row_id, definition, StateMachine(definition))
        current: dict[str, LoadedWorkflow] = {}
        for loaded in by_id.values():  # rows are ordered by version: the highest of each name wins
            current[loaded.definition.name] = loaded
        access = AccessPolicy.of(w.definition for w in current.values())
        self.by_id = RefreshingMap(by_id, self._missing)
        self.current, self.access, self.signature = current, access, sig

    def _missing(self, workflow_id: int) -> LoadedWorkflow:
        if self.on_miss is not None:
            self.on_miss()
            if dict.__contains__(self.by_id, workflow_id):
                return dict.__getitem__(self.by_id, workflow_id)
        raise KeyError(workflow_id)


def checksum_of(definition: WorkflowDefinition) -> str:
    return hashlib.sha256(definition.source.encode("utf-8")).hexdigest()


def unchanged_or_free(sql: Sql, definition: WorkflowDefinition) -> tuple[int, bool] | None:
    """The recorded row of ``definition``'s name and version as (id, same content), or None when there is none;
    ``WorkflowVersionChanged`` (file and line) when its content changed while projects use it."""
    row = sql.one("SELECT id, checksum FROM workflow_version WHERE name = ? AND version = ?",
                  (definition.name, definition.version))
    if row is None:
        return None
    if row[1] == checksum_of(definition):
        return row[0], True
    in_use = sql.scalar("SELECT COUNT(*) FROM project WHERE workflow_id = ?", (row[0],))
    if in_use:
        raise WorkflowVersionChanged([DefinitionProblem(
            definition.path, line_of(definition.source, "version:"),
            f"workflow '{definition.name}': content changed without a version bump while {in_use} project(s) use "
            f"version {definition.version}: raise 'version' to {definition.version + 1} to publish the change")])
    return row[0], False


def _record(sql: Sql, definition: WorkflowDefinition) -> None:
    found = unchanged_or_free(sql, definition)
    if found is None:
        sql.execute("INSERT INTO workflow_version (name, version, checksum, source, loaded_at) VALUES (?, ?, ?, ?, ?)",
                    (definition.name, definition.version, checksum_of(definition), definition.source, clock.now()))
    elif not found[1]:
        sql.execute("UPDATE workflow_version SET checksum = ?, source = ?, loaded_at = ? WHERE id = ?",
                    (checksum_of(definition), definition.source, clock.now(), found[0]))


def line_of(source: str, prefix: str) -> int:
    for number, line in enumerate(source.splitlines(), start=1):
        if line.startswith(prefix):
            return number
    return 1
