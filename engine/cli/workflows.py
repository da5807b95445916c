"""``minsheng workflow publish`` and ``minsheng workflow migrate``, and what ``workflow check --db`` adds.

Publishing and checking work on the database alone (``engine.workflow.publishing``): they do not load the
workflow folder, so nothing but the named file is recorded. Migrating opens the engine (guards, plugins' hooks).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable

from engine.cli.errors import CliError
from engine.errors import DefinitionProblem, InvalidDefinition


def add_commands(group: argparse._SubParsersAction, with_db: Callable[[Any], Any]) -> None:
    publish = with_db(group.add_parser("publish", help="validate a workflow file and record it as a new version; "
                                                       "running servers pick it up without a restart"))
    publish.add_argument("file", type=Path)
    publish.set_defaults(run=_publish)
    migrate = with_db(group.add_parser("migrate", help="move running projects to another workflow version by a "
                                                       "migration plan (YAML); --dry-run reports only"))
    migrate.add_argument("plan", type=Path)
    migrate.add_argument("--dry-run", action="store_true", help="report what would happen; change nothing")
    migrate.set_defaults(run=_migrate)


def _database(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """The database (migrated: else an error naming ``minsheng db upgrade``) and the plugins' guard catalogue."""
    from engine.core import all_migrations, disabled_from_env
    from engine.plugins import make_plugin_manager
    from engine.storage import migrations
    from engine.storage.db import db_url_from_env, new_database
    from engine.workflow.catalog import gather

    pm = make_plugin_manager(disabled_from_env())
    db, target = new_database(db_url_from_env(args.db), create=False)
    done = migrations.applied(db, target)
    if any((m.component, m.number) not in done for m in all_migrations(pm)):
        raise CliError("the database needs migrations first: run 'minsheng db upgrade'")
    return db, target, gather(pm)


def publish_problems(args: argparse.Namespace, catalog: Any) -> list[DefinitionProblem]:
    """``workflow check --db``: print what publishing each (valid) file would do; return the refusals."""
    from pony import orm

    from engine.storage.sql import Sql
    from engine.workflow import publishing

    db, _, _ = _database(args)
    problems: list[DefinitionProblem] = []
    with orm.db_session:
        for path in args.files:
            try:
                print(publishing.check(Sql(db), path, catalog).describe())
            except InvalidDefinition as exc:
                problems.extend(exc.problems)
    return problems


def _publish(args: argparse.Namespace) -> int:
    from engine.workflow import publishing

    if not args.file.is_file():
        raise CliError(f"no such workflow file: {args.file}")
    db, target, catalog = _database(args)
    done = publishing.publish(db, target, args.file, catalog)
    if done.outcome != publishing.UNCHANGED and not target.is_sqlite:
        from engine.api.broker import announce_workflows

        announce_workflows(db, target.options)  # servers reload now rather than at their next look
    d = done.definition
    if done.outcome == publishing.UNCHANGED:
        print(f"workflow '{d.name}' version {d.version} is already published with this content: nothing to do")
    elif done.outcome == publishing.REPLACED:
        print(f"workflow '{d.name}' version {d.version}: content replaced (no project used it)")
    else:
        before = f"; version {done.active_version} is superseded" if done.active_version is not None else ""
        print(f"published workflow '{d.name}' version {d.version}{before}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from engine.core import Engine
    from engine.version_migration import MigrationPlan, migrate

    if not args.plan.is_file():
        raise CliError(f"no such migration plan: {args.plan}")
    engine = Engine.open(args.db, workflow_files=[])
    plan = MigrationPlan.read(engine, args.plan)
    report = migrate(engine, plan, dry_run=args.dry_run, progress=lambda line: print(line, flush=True))
    for line in report.lines():
        print(line)
    return 0
