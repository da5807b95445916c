"""Migrating running projects to another workflow version 流程版本迁移 (after Camunda's process instance migration:
a plan, a validation report, batch execution).

A plan is a small YAML file::

    workflow: minsheng        # the workflow name
    from: 3                   # the version its projects are on
    to: 4                     # the version they move to
    states:                   # optional: from-state → to-state (a state not listed keeps its name)
      tendering: in_progress
    defaults:                 # optional: project details the new version needs, set where a project has none
      planned_end: 2026-12-31
    batch: 200                # optional: projects per batch (default 100)

A plan naming an unknown workflow or version, a state its from-version lacks, or a to-state the target lacks is
refused with file and line. The report gives, per from-state: how many projects map and where, how many cannot
and why (the state is missing in the target; a date the target state's deadline reads is missing), and as warnings
the guards of the target's transitions into the to-state that the project would not pass now.

Migrating runs each project in its own transaction: lock the row, check it is still on the from-version (else it
was migrated already: skipped), move version and state, set the defaults, append a ``migrate`` audit record (from
and to version, from and to state, the plan's checksum) to the project's hash chain, run the plugins'
``minsheng_transition`` hooks (derived tables follow the state) — so an interrupted run leaves every project
migrated or untouched, and running again (or in two processes at once) finishes the rest.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import yaml
from pony import orm
from yaml.nodes import MappingNode, Node, ScalarNode

from engine import audit
from engine.directory.actors import ActorView
from engine.errors import DefinitionProblem, InvalidDefinition
from engine.project_rules import DETAILS
from engine.storage.project_rows import ProjectRow, read
from engine.storage.sql import Sql
from engine.transition import TransitionRecord, evaluate_guards
from engine.workflow.fields import coerce_value
from engine.workflow.guards import GuardContext
from engine.workflow.model import WorkflowDefinition
from engine.yaml_nodes import mapping

if TYPE_CHECKING:
    from engine.core import Engine

KEYS = ("workflow", "from", "to", "states", "defaults", "batch")
DEFAULTABLE = {spec.name: spec for spec in DETAILS if spec.name in ("description", "target", "planned_start",
                                                                    "planned_end")}
DEFAULT_BATCH, MAX_BATCH = 100, 10_000
EVENT = "migrate"
# Who guards see while the report explains them: no roles, so role-bound guards (own unit) do not speak.
MIGRATOR = ActorView(id=None, username="migration", name=audit.SYSTEM_ACTOR, roles=frozenset(), region_id=None,
                     region_path="/")


@dataclass(frozen=True)
class MigrationPlan:
    source: str  # the file name (or "plan")
    checksum: str  # sha256 of the plan's text: in every migrate record
    workflow: str
    from_id: int
    to_id: int
    source_def: WorkflowDefinition
    target_def: WorkflowDefinition
    states: dict[str, str]  # the explicit mapping
    defaults: dict[str, Any]
    batch: int = DEFAULT_BATCH

    def target_of(self, state: str) -> str | None:
        """The state ``state`` maps to, or None when the target has no such state (and no mapping names one)."""
        to = self.states.get(state, state)
        return to if to in self.target_def.states else None

    @classmethod
    def read(cls, engine: Engine, path: Path) -> MigrationPlan:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidDefinition([DefinitionProblem(str(path), 1, "the plan is not UTF-8 text")]) from None
        return cls.parse(engine, text, str(path))

    @classmethod
    def parse(cls, engine: Engine, text: str, source: str = "plan") -> MigrationPlan:
        """Validate a plan's text; ``InvalidDefinition`` lists every problem with ``source`` and line."""
        return _PlanParser(engine, source).parse(text.replace("\r\n", "\n"))


class _PlanParser:
    def __init__(self, engine: Engine, source: str) -> None:
        self.engine, self.source = engine, source
        self.problems: list[DefinitionProblem] = []

    def report(self, node: Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.problems.append(DefinitionProblem(self.source, line, message))

    def fail(self) -> InvalidDefinition:
        return InvalidDefinition(sorted(self.problems, key=lambda p: p.line))

    def parse(self, text: str) -> MigrationPlan:
        try:
            root = yaml.compose(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            raise InvalidDefinition([DefinitionProblem(self.source, line, f"not valid YAML: "
                                                       f"{getattr(exc, 'problem', None) or exc}")]) from None
        if root is None:
            raise InvalidDefinition([DefinitionProblem(self.source, 1, "the plan is empty")])
        nodes = mapping(root, KEYS, "the plan", self.report)
        if nodes is None:
            raise self.fail()
        for key in ("workflow", "from", "to"):
            if key not in nodes:
                self.report(root, f"the plan must name '{key}'")
        if self.problems:
            raise self.fail()
        name = self._text(nodes["workflow"], "workflow")
        versions = {}
        for key in ("from", "to"):
            versions[key] = self._version(name, nodes[key], key) if name else None
        if self.problems:
            raise self.fail()
        (from_id, source_def), (to_id, target_def) = versions["from"], versions["to"]
        if from_id == to_id:
            self.report(nodes["to"], f"'from' and 'to' are both version {source_def.version}: nothing to migrate")
        states = self._states(nodes.get("states"), source_def, target_def)
        defaults = self._defaults(nodes.get("defaults"))
        batch = self._batch(nodes.get("batch"))
        if self.problems:
            raise self.fail()
        checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return MigrationPlan(self.source, checksum, name, from_id, to_id, source_def, target_def, states, defaults,
                             batch)

    def _text(self, node: Node, key: str) -> str | None:
        if not isinstance(node, ScalarNode) or not node.value.strip():
            self.report(node, f"'{key}' must be a name")
            return None
        return node.value.strip()

    def _version(self, name: str, node: Node, key: str) -> tuple[int, WorkflowDefinition] | None:
        if not isinstance(node, ScalarNode) or not node.value.isdigit():
            self.report(node, f"'{key}' must be a version number, got '{getattr(node, 'value', '?')}'")
            return None
        version = int(node.value)
        found = self._loaded(name, version)
        if not found and self.engine.refresh_workflows(force=True):  # published a moment ago by another process
            found = self._loaded(name, version)
        if not found:
            known = sorted(w.definition.version for w in self.engine.workflows.by_id.values()
                           if w.definition.name == name)
            where = (f"workflow '{name}' has versions {', '.join(map(str, known))}" if known
                     else f"there is no workflow '{name}'")
            self.report(node, f"unknown version '{key}: {version}': {where}")
            return None
        return found[0]

    def _loaded(self, name: str, version: int) -> list[tuple[int, WorkflowDefinition]]:
        return [(i, w.definition) for i, w in self.engine.workflows.by_id.items()
                if w.definition.name == name and w.definition.version == version]

    def _states(self, node: Node | None, source: WorkflowDefinition, target: WorkflowDefinition) -> dict[str, str]:
        if node is None:
            return {}
        if not isinstance(node, MappingNode):
            self.report(node, "'states' must map from-states to to-states (tendering: in_progress)")
            return {}
        states: dict[str, str] = {}
        for key, value in node.value:
            old, new = getattr(key, "value", None), getattr(value, "value", None)
            if not isinstance(key, ScalarNode) or old not in source.states:
                self.report(key, f"state '{old}' does not exist in {source.name} version {source.version}")
            elif not isinstance(value, ScalarNode) or new not in target.states:
                self.report(value, f"state '{new}' does not exist in {target.name} version {target.version} "
                                   f"(its states: {', '.join(target.states)})")
            elif old in states:
                self.report(key, f"state '{old}' is mapped twice")
            else:
                states[old] = new
        return states

    def _defaults(self, node: Node | None) -> dict[str, Any]:
        if node is None:
            return {}
        found = mapping(node, DEFAULTABLE, "'defaults'", self.report)
        values = {}
        for name, value in (found or {}).items():
            if not isinstance(value, ScalarNode) or not value.value.strip():
                self.report(value, f"default '{name}' must be a value")
                continue
            try:
                values[name] = coerce_value(DEFAULTABLE[name], value.value)
            except ValueError as exc:
                self.report(value, f"default '{name}': {exc}")
        return values

    def _batch(self, node: Node | None) -> int:
        if node is None:
            return DEFAULT_BATCH
        if not isinstance(node, ScalarNode) or not node.value.isdigit() or not 1 <= int(node.value) <= MAX_BATCH:
            self.report(node, f"'batch' must be a whole number from 1 to {MAX_BATCH}")
            return DEFAULT_BATCH
        return int(node.value)


@dataclass
class StateReport:
    from_state: str
    to_state: str | None  # None: the target has no such state
    projects: int = 0  # on the from-version in this state (in scope)
    mapped: int = 0  # would move (dry run) / moved
    cannot: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # why not → how many
    warnings: dict[str, list[str]] = field(default_factory=dict)  # guard reason → project codes


@dataclass
class MigrationReport:
    plan: MigrationPlan
    dry_run: bool
    states: dict[str, StateReport] = field(default_factory=dict)
    migrated: int = 0
    skipped: int = 0  # migrated meanwhile by another run
    complete: bool = True  # False: stopped early (``stop``); running the plan again continues

    def state(self, name: str) -> StateReport:
        if name not in self.states:
            self.states[name] = StateReport(name, self.plan.target_of(name))
        return self.states[name]

    @property
    def cannot(self) -> int:
        return sum(s.cannot for s in self.states.values())

    def lines(self) -> list[str]:
        p = self.plan
        head = (f"{'dry run: ' if self.dry_run else ''}workflow '{p.workflow}' version {p.source_def.version} → "
                f"{p.target_def.version} (plan {p.source}, checksum {p.checksum[:12]})")
        out = [head]
        for s in sorted(self.states.values(), key=lambda s: s.from_state):
            verb = "would move" if self.dry_run else "moved"
            where = f"→ {s.to_state}" if s.to_state else "→ (no such state in the target)"
            out.append(f"  {s.from_state} {where}: {s.projects} project(s), {s.mapped} {verb}, {s.cannot} cannot")
            for reason, count in s.reasons.items():
                out.append(f"    cannot ({count}): {reason}")
            for reason, codes in s.warnings.items():
                shown = ", ".join(codes[:5]) + (f" and {len(codes) - 5} more" if len(codes) > 5 else "")
                out.append(f"    warning ({len(codes)}): {reason} — {shown}")
        total = sum(s.projects for s in self.states.values())
        if self.dry_run:
            out.append(f"{total} project(s) on version {p.source_def.version}: "
                       f"{sum(s.mapped for s in self.states.values())} would be migrated, {self.cannot} cannot")
        else:
            out.append(f"{self.migrated} project(s) migrated, {self.cannot} cannot, {self.skipped} already migrated")
        if not self.complete:
            out.append("stopped early (time limit): the counts cover the projects seen so far; run the plan again "
                       "to continue")
        return out


def migrate(engine: Engine, plan: MigrationPlan, dry_run: bool = False, scope: tuple[list[str], list[Any]] | None
            = None, progress: Callable[[str], None] | None = None,
            stop: Callable[[], bool] | None = None) -> MigrationReport:
    """Report on (``dry_run``) or migrate the plan's projects, in batches of ``plan.batch``, each in its own
    transaction; ``scope``: extra SQL conditions on ``project p`` (a caller's reach, ``read_scope_sql``); ``stop``:
    asked before each project, True ends the run there (``complete`` False)."""
    report = MigrationReport(plan, dry_run)
    conditions, params = scope or (["1 = 1"], [])
    after = 0
    while True:
        with orm.db_session:
            ids = [row[0] for row in Sql(engine.db).all(
                "SELECT p.id FROM project p WHERE p.workflow_id = ? AND p.id > ? AND " + " AND ".join(conditions)
                + " ORDER BY p.id LIMIT ?", (plan.from_id, after, *params, plan.batch))]
        if not ids:
            break
        for project_id in ids:
            if stop is not None and stop():
                report.complete = False
                return report
            if dry_run:
                _explain(engine, plan, project_id, report)
            else:
                _migrate_one(engine, plan, project_id, report)
        after = ids[-1]
        if progress is not None and not dry_run:
            progress(f"… {report.migrated} migrated so far (up to project id {after})")
    return report


def _problem(plan: MigrationPlan, row: ProjectRow, defaults: Mapping[str, Any], sql: Sql) -> str | None:
    """Why the project cannot move (None: it can)."""
    state = row.view.state
    to = plan.target_of(state)
    if to is None:
        return (f"state '{state}' does not exist in version {plan.target_def.version}: map it in 'states'")
    deadline = plan.target_def.states[to].deadline
    if deadline is not None and deadline.field:
        have = sql.scalar(f"SELECT {deadline.field} FROM project WHERE id = ?", (row.view.id,))
        if have is None and deadline.field not in defaults:
            label = DEFAULTABLE[deadline.field].label if deadline.field in DEFAULTABLE else deadline.field
            return (f"state '{to}' has a deadline on {label} ({deadline.field}), which the project lacks: "
                    f"give it in 'defaults'")
    return None


def _explain(engine: Engine, plan: MigrationPlan, project_id: int, report: MigrationReport) -> None:
    with orm.db_session:
        sql = Sql(engine.db)
        row = read(sql, project_id, engine.workflow_names)
        if row is None or row.workflow_id != plan.from_id:
            return
        entry = report.state(row.view.state)
        entry.projects += 1
        problem = _problem(plan, row, plan.defaults, sql)
        if problem:
            entry.cannot += 1
            entry.reasons[problem] = entry.reasons.get(problem, 0) + 1
            return
        entry.mapped += 1
        for reason in _guard_warnings(engine, plan, sql, row):
            entry.warnings.setdefault(reason, []).append(row.view.code)
        orm.rollback()  # guards only read


def _guard_warnings(engine: Engine, plan: MigrationPlan, sql: Sql, row: ProjectRow) -> list[str]:
    """The guards of the target's transitions into the to-state that the project would not pass now."""
    to = plan.target_of(row.view.state)
    target = plan.target_def
    view = replace(row.view, workflow_name=target.name, workflow_version=target.version)
    warnings: list[str] = []
    for transition in target.transitions:
        if transition.dest != to or not transition.guards or to in transition.sources:
            continue
        ctx = GuardContext(view, MIGRATOR, transition.event, transition.sources[0], to, {}, engine.db,
                           engine.clock.now(), sql=sql, preview=True, actions=engine.catalog.actions)
        try:
            reasons = evaluate_guards(engine, transition, ctx)
        except Exception as exc:  # a guard that cannot explain itself here is a warning too, never a failure
            reasons = [f"could not be evaluated ({type(exc).__name__})"]
        warnings.extend(f"'{transition.event}' into {to} would be blocked now: {reason}" for reason in reasons)
    return warnings


UPDATE = ("UPDATE project SET workflow_id = ?, state = ?, previous_state = ?, version = version + 1,"
          " audit_seq = ?, audit_head = ?, updated_at = ?{extra} WHERE id = ? AND version = ? AND workflow_id = ?")


def _migrate_one(engine: Engine, plan: MigrationPlan, project_id: int, report: MigrationReport) -> None:
    """One project, one transaction (locked row): migrated, skipped (already done), or left as it is."""
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        row = read(sql, project_id, engine.workflow_names, lock=True)
        if row is None or row.workflow_id != plan.from_id:
            report.skipped += 1
            return
        entry = report.state(row.view.state)
        entry.projects += 1
        current = dict(zip(DEFAULTABLE, sql.one(f"SELECT {', '.join(DEFAULTABLE)} FROM project WHERE id = ?",
                                                (project_id,))))
        defaults = {k: v for k, v in plan.defaults.items() if current[k] in (None, "")}
        problem = _problem(plan, row, defaults, sql)
        if problem:
            entry.cannot += 1
            entry.reasons[problem] = entry.reasons.get(problem, 0) + 1
            return
        _move(engine, plan, sql, row, defaults)
    entry.mapped += 1
    report.migrated += 1


def _move(engine: Engine, plan: MigrationPlan, sql: Sql, row: ProjectRow, defaults: Mapping[str, Any]
          ) -> TransitionRecord:
    source, target, now = row.view.state, plan.target_of(row.view.state), engine.clock.now()
    previous = plan.target_of(row.previous_state) if row.previous_state else None
    fields = {"workflow": plan.workflow, "from_version": plan.source_def.version,
              "to_version": plan.target_def.version, "plan_checksum": plan.checksum,
              **({"defaults": audit.canonical_json(defaults)} if defaults else {})}
    entry = audit.AuditEntry(row.view.id, row.audit_seq + 1, EVENT, EVENT, source, target, None,
                             audit.SYSTEM_ACTOR, now, audit.canonical_json(fields), None, row.audit_head)
    digest = entry.digest()
    extra = "".join(f", {name} = ?" for name in defaults)
    updated = sql.execute(UPDATE.format(extra=extra), (plan.to_id, target, previous, entry.seq, digest, now,
                                                       *defaults.values(), row.view.id, row.view.version,
                                                       plan.from_id))
    if updated.rowcount != 1:
        raise RuntimeError(f"project {row.view.code} changed while it was being migrated")
    audit.append(sql, entry)
    after = replace(row.view, state=target, version=row.view.version + 1, workflow_name=plan.target_def.name,
                    workflow_version=plan.target_def.version)
    record = TransitionRecord(after, EVENT, source, target, None, audit.SYSTEM_ACTOR, fields, "", entry.seq, now,
                              digest, row.region_path)
    engine.plugins.hook.minsheng_transition(record=record, db=engine.db, engine=engine)
    return record

