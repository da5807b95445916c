"""The engine: the database with every plugin's entities, the plugins, the guard catalogue and the workflows.

``Engine.open(url)`` is what the CLI, the server and the tests call. Operations live in their own modules
(``engine.transition``, ``engine.availability``, ``engine.projects``); this object only ties them together.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pluggy
from pony import orm

from engine.storage import migrations
from engine.calendar import WorkingCalendar
from engine.commits import Commits
from engine.workflow.catalog import Catalog, gather
from engine.clock import Clock, clock as default_clock
from engine.storage.db import Target, db_url_from_env, new_database
from engine.storage.entities import CORE_MIGRATIONS, declare_core_entities
from engine.storage.generation import track_writes
from engine.workflow.guards import GuardContext, with_defaults
from engine.hookspecs import TickReport
from engine.plugins import flatten, make_plugin_manager
from engine.storage.sql import Sql
from engine.workflow.model import Transition
from engine.workflow.registry import WorkflowRegistry, RefreshingMap, signature

log = logging.getLogger("minsheng")

WORKFLOWS_DIR = Path(__file__).resolve().parent.parent / "workflows"


def disabled_from_env() -> list[str]:
    """``MINSHENG_DISABLE_PLUGINS=funding,my_region`` turns plugins off by name."""
    return [name.strip() for name in os.environ.get("MINSHENG_DISABLE_PLUGINS", "").split(",") if name.strip()]


def default_workflow_files() -> list[Path]:
    folder = Path(os.environ.get("MINSHENG_WORKFLOWS", WORKFLOWS_DIR))
    return sorted(folder.glob("*.yaml"))


WORKFLOW_POLL_ENV = "MINSHENG_WORKFLOW_POLL"


def workflow_poll_default() -> float:
    """Seconds between a server's looks at the workflow table (``MINSHENG_WORKFLOW_POLL``, default 2; 0: every
    request looks, one small query)."""
    try:
        return max(0.0, float(os.environ.get(WORKFLOW_POLL_ENV, "2")))
    except ValueError:
        return 2.0


GROUP_COMMIT_ENV = "MINSHENG_GROUP_COMMIT"


def group_commit_default(target: Target) -> bool:
    """Group commit (``engine.commits``) is on for SQLite and off for PostgreSQL unless ``MINSHENG_GROUP_COMMIT``
    says ``1`` or ``0``: SQLite takes one writer at a time, PostgreSQL locks rows and merges commits' fsyncs by
    itself."""
    value = os.environ.get(GROUP_COMMIT_ENV, "").strip()
    return target.is_sqlite if value not in ("0", "1") else value == "1"


def all_migrations(pm: pluggy.PluginManager) -> list[migrations.Migration]:
    return [*CORE_MIGRATIONS, *flatten(pm.hook.minsheng_migrations())]


class Engine:
    def __init__(self, db: orm.Database, target: Target, plugins: pluggy.PluginManager, catalog: Catalog,
                 clock: Clock, calendar: WorkingCalendar | None = None, group_commit: bool | None = None) -> None:
        self.db, self.target, self.plugins, self.catalog, self.clock = db, target, plugins, catalog, clock
        grouped = group_commit_default(target) if group_commit is None else group_commit
        self.commits = Commits(db, grouped)  # how transitions commit: alone, or grouped
        self.calendar = WorkingCalendar.load() if calendar is None else calendar  # years are built when first used
        self.workflows = WorkflowRegistry()
        self.workflows.on_miss = lambda: self.refresh_workflows(force=True)
        self.workflow_names: dict[int, tuple[str, int]] = {}
        # how often (seconds) a request looks whether the workflow table changed (a version was published)
        self.workflow_poll_seconds = workflow_poll_default()
        self._workflows_checked = time.monotonic()
        self._workflows_lock = threading.RLock()
        self.listeners: list[Callable[[Any], None]] = []  # called after each commit (subscriptions)
        # called inside each transition's transaction, after the plugins' hooks, with its Sql and record: what must
        # commit with it (PostgreSQL's NOTIFY for subscribers in every process is sent at the commit)
        self.in_transaction_listeners: list[Callable[[Sql, Any], None]] = []

    @classmethod
    def open(cls, url: str | None = None, *, disabled: Iterable[str] | None = None, extra_plugins: Sequence[Any] = (),
             workflow_files: Iterable[Path] | None = None, upgrade: bool = True, clock: Clock = default_clock,
             entry_points: bool = True, calendar: WorkingCalendar | None = None,
             group_commit: bool | None = None) -> Engine:
        """Connect, declare entities, apply migrations, load workflows and the working-day calendar (``calendar``,
        else chinese-calendar with the calendar files; a bad file raises ``InvalidDefinition``). ``upgrade=False``
        refuses to start on a database that needs migrations (use ``minsheng db upgrade``). ``group_commit``
        chooses how transitions commit (``engine.commits``; default: ``group_commit_default``)."""
        pm = make_plugin_manager(disabled_from_env() if disabled is None else disabled, extra_plugins, entry_points)
        db, target = new_database(db_url_from_env(url))
        declare_core_entities(db)
        pm.hook.minsheng_entities(db=db)
        engine = cls(db, target, pm, gather(pm), clock, calendar, group_commit)
        if upgrade:
            migrations.upgrade(db, target, engine.all_migrations())
        elif pending := engine.pending_migrations():
            raise RuntimeError(f"the database needs {len(pending)} migration(s): run 'minsheng db upgrade'")
        db.generate_mapping(create_tables=False, check_tables=True)
        track_writes(db, target)
        engine.load_workflows(workflow_files)
        return engine

    def all_migrations(self) -> list[migrations.Migration]:
        return all_migrations(self.plugins)

    def pending_migrations(self) -> list[migrations.Migration]:
        done = migrations.applied(self.db, self.target)
        return [m for m in self.all_migrations() if (m.component, m.number) not in done]

    def load_workflows(self, files: Iterable[Path] | None = None) -> None:
        paths = list(default_workflow_files() if files is None else files)
        paths += [Path(p) for p in flatten(self.plugins.hook.minsheng_workflow_files())]
        with self._workflows_lock:
            with orm.db_session(immediate=True):
                self.workflows.load(Sql(self.db), paths, self.catalog)
            self._names_changed()

    def refresh_workflows(self, force: bool = False) -> bool:
        """Pick up workflow versions published since the last look (by any process): at most once every
        ``workflow_poll_seconds`` a cheap look at the table, and a reload only when it changed; ``force`` looks
        now. Existing projects keep their versions; new projects get the new active ones. True when reloaded."""
        if not force and time.monotonic() - self._workflows_checked < self.workflow_poll_seconds:
            return False
        with self._workflows_lock:
            if not force and time.monotonic() - self._workflows_checked < self.workflow_poll_seconds:
                return False  # another thread just looked
            self._workflows_checked = time.monotonic()
            with orm.db_session:
                sql = Sql(self.db)
                if not force and signature(sql) == self.workflows.signature:
                    return False
                self.workflows.refresh(sql, self.catalog)
            self._names_changed()
        log.info("workflow versions reloaded: %s", ", ".join(
            f"{name} v{w.definition.version}" for name, w in sorted(self.workflows.current.items())))
        return True

    def _names_changed(self) -> None:
        names = {i: (w.definition.name, w.definition.version) for i, w in self.workflows.by_id.items()}
        self.workflow_names = RefreshingMap(names, lambda key: self._name_missing(key))

    def _name_missing(self, workflow_id: int) -> tuple[str, int]:
        self.refresh_workflows(force=True)
        if dict.__contains__(self.workflow_names, workflow_id):
            return dict.__getitem__(self.workflow_names, workflow_id)
        raise KeyError(workflow_id)

    def run_actions(self, transition: Transition, ctx: GuardContext) -> None:
        for ref in transition.actions:
            spec = self.catalog.actions[ref.name]
            spec.run(ctx, **with_defaults(ref.params, spec.params))

    def after_commit(self, record: Any) -> None:
        """After-commit hooks and listeners; a failure is logged with who failed and never undoes anything."""
        for impl in self.plugins.hook.minsheng_after_commit.get_hookimpls():
            try:
                impl.function(record=record)
            except Exception:
                log.exception("after-commit hook of plugin '%s' failed", impl.plugin_name)
        for listener in list(self.listeners):
            try:
                listener(record)
            except Exception:
                log.exception("after-commit listener %r failed", listener)

    def tick(self, on: dt.date | None = None) -> list[TickReport]:
        """Every plugin's periodic work for ``on`` (default: the clock's today), one ``TickReport`` each; a plugin
        that fails is logged, named and reported as a problem, and the others still run."""
        day, reports = on or self.clock.today(), []
        for impl in self.plugins.hook.minsheng_tick.get_hookimpls():
            try:
                report = impl.function(engine=self, on=day)
            except Exception as exc:
                log.exception("the tick of plugin '%s' failed", impl.plugin_name)
                report = TickReport(impl.plugin_name, "failed", problems=(f"{type(exc).__name__}: {exc}",))
            if report is not None:
                reports.append(report)
        return reports

    def close(self) -> None:
        """Close this thread's connection (other threads' connections close when their threads end)."""
        self.db.disconnect()
