"""The ``minsheng`` command line."""
from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Sequence

from pony import orm

from engine.api.throttle import CostLimits
from engine.cli.errors import DEBUG_ENV, CliError, debug_from_env, fail
from engine.cli.reports import add_commands as report_commands


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a failure is one ``error:`` line on stderr and exit status 2 (see ``engine.cli.errors``)."""
    try:
        parser = _parser()
    except Exception as exc:  # a plugin that adds commands failed to load: one line, like every failure
        return fail(exc, "", debug_from_env())
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except Exception as exc:  # every failure becomes one line; --debug adds the traceback
        return fail(exc, _db_url(args), args.debug or debug_from_env())


def _version() -> str:
    try:
        return metadata.version("minsheng")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _db_url(args: argparse.Namespace) -> str:
    from engine.storage.db import db_url_from_env

    if getattr(args, "demo", False) and not args.db:
        return "sqlite:///minsheng-demo.db"
    return db_url_from_env(getattr(args, "db", None))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="minsheng", description="Workflow engine for livelihood projects (民生实事)")
    parser.add_argument("--version", action="version", version=f"minsheng {_version()}")
    parser.add_argument("--debug", action="store_true", help=f"show the traceback of a failure (or set {DEBUG_ENV}=1)")
    commands = parser.add_subparsers(title="commands")
    _serve_command(commands)
    _tick_command(commands)
    _plugin_commands(commands)
    group = _group(commands, "workflow", "workflow definition files")
    check = group.add_parser("check", help="validate workflow files; exit 1 on any problem; with --db also say "
                                           "what publishing them would do")
    check.add_argument("files", nargs="+", type=Path)
    check.add_argument("--db", help="database URL: also check the files against the published versions")
    check.set_defaults(run=_workflow_check)
    from engine.cli.workflows import add_commands as workflow_commands

    workflow_commands(group, _with_db)
    _calendar_commands(_group(commands, "calendar", "the working-day calendar"))
    group = _group(commands, "db", "the database")
    _with_db(group.add_parser("upgrade", help="apply missing migrations")).set_defaults(run=_db_upgrade)
    _with_db(group.add_parser("status", help="list pending migrations")).set_defaults(run=_db_status)
    rebuild = _with_db(group.add_parser("rebuild-aggregates", help="recompute every maintained aggregate (counts "
                                        "by region, year and state; the plugins' figures) from scratch"))
    rebuild.add_argument("--check", action="store_true", help="only compare them with a recomputation; exit 1 when "
                                                              "they differ")
    rebuild.set_defaults(run=_db_rebuild_aggregates)
    group = _group(commands, "audit", "the audit log")
    _with_db(group.add_parser("verify", help="check every project's hash chain")).set_defaults(run=_audit_verify)
    from engine.cli.directory import add_commands as directory_commands

    directory_commands(commands, _with_db)
    from engine.cli.skeleton import add_commands as plugin_commands

    plugin_commands(commands)
    from engine.cli.sheets import add_commands as sheet_commands

    sheet_commands(commands, _with_db)
    report_commands(commands, _with_db)
    group = _group(commands, "schema", "the GraphQL schema")
    export = group.add_parser("export", help="print the GraphQL schema (or write it to --output)")
    export.add_argument("--output", type=Path)
    export.set_defaults(run=_schema_export)
    return parser


def _plugin_commands(commands: argparse._SubParsersAction) -> None:
    """The enabled plugins' commands (the ``minsheng_cli_commands`` hook)."""
    from engine.core import disabled_from_env
    from engine.plugins import make_plugin_manager

    make_plugin_manager(disabled_from_env()).hook.minsheng_cli_commands(commands=commands)


def _group(commands: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    return commands.add_parser(name, help=help).add_subparsers(title=f"{name} commands")


def _with_db(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--db", help="database URL (default: $MINSHENG_DB or sqlite:///minsheng.db)")
    return parser


def _serve_command(commands: argparse._SubParsersAction) -> None:
    serve = _with_db(commands.add_parser("serve", help="run the GraphQL server"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="server processes (use PostgreSQL for more than 1)")
    serve.add_argument("--threads", type=int, default=8, help="database worker threads per process")
    serve.add_argument("--reader-threads", type=_positive, default=None,
                       help="of those, how many execute queries at once (default: 1 on SQLite, whose reads are "
                            "CPU work in the process; all of them on PostgreSQL)")
    serve.add_argument("--demo", action="store_true", help="fresh SQLite demo district, GraphiQL and introspection on")
    serve.add_argument("--graphiql", action="store_true", help="serve GraphiQL at /graphql")
    serve.add_argument("--no-result-cache", action="store_true",
                       help="do not keep query results between writes (they are kept on SQLite by default)")
    limits = CostLimits()
    serve.add_argument("--timeout", type=float, default=5.0,
                       help="seconds one operation may run before it is stopped with TIMEOUT (0: no limit)")
    serve.add_argument("--max-cost", type=_positive, default=limits.max_cost,
                       help="the most one request may cost (fields it would resolve, pages multiplied)")
    serve.add_argument("--budget", type=_positive, default=limits.actor_rate,
                       help=f"cost a signed-in actor may spend per second ({limits.burst_seconds} s of it at once)")
    serve.add_argument("--public-budget", type=_positive, default=limits.public_rate,
                       help="the same for each client address of the public")
    serve.add_argument("--tick-interval", type=float, default=3600.0,
                       help="seconds between background supervision ticks (督办; 0: no background tick)")
    serve.set_defaults(run=_serve)


def _tick_command(commands: argparse._SubParsersAction) -> None:
    tick = _with_db(commands.add_parser("tick", help="the plugins' periodic work once: every deadline and escalation "
                                                     "ladder (督办); exit 3 when another tick is running"))
    tick.add_argument("--at", type=_date, help="the day to evaluate (default: today)")
    tick.set_defaults(run=_tick)


def _date(value: str):  # -> datetime.date
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got '{value}'") from None


def _tick(args: argparse.Namespace) -> int:
    engine = _open(args)
    if not engine.plugins.hook.minsheng_tick.get_hookimpls():
        raise CliError("no plugin does periodic work (the supervision plugin is disabled: MINSHENG_DISABLE_PLUGINS): "
                       "there is nothing to tick")
    on = args.at or engine.clock.today()
    reports = engine.tick(on)
    for report in reports:
        print(f"tick {on}: {report.summary}")
        for problem in report.problems:
            print(f"warning: {problem}", file=sys.stderr)
    return 3 if any(r.busy for r in reports) else 0


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got '{value}'")
    return int(value)


def _serve(args: argparse.Namespace) -> int:
    from engine.api.serve import serve

    return serve(args)


def _open(args: argparse.Namespace):  # -> Engine
    from engine.core import Engine

    return Engine.open(getattr(args, "db", None))


def _workflow_check(args: argparse.Namespace) -> int:
    from engine.workflow.catalog import gather
    from engine.core import disabled_from_env
    from engine.plugins import make_plugin_manager
    from engine.workflow.loader import check_files

    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        raise CliError(f"no such workflow file: {', '.join(missing)}")
    catalog = gather(make_plugin_manager(disabled_from_env()))
    problems = check_files(args.files, catalog.guards, catalog.actions, catalog.record_kinds)
    if args.db and not problems:
        from engine.cli.workflows import publish_problems

        problems = publish_problems(args, catalog)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{len(args.files)} file(s) OK")
    return 1 if problems else 0


def _calendar_commands(group: argparse._SubParsersAction) -> None:
    check = group.add_parser("check", help="validate yearly calendar files; exit 1 on any problem")
    check.add_argument("files", nargs="+", type=Path)
    check.set_defaults(run=_calendar_check)
    show = group.add_parser("show", help="list a month's working days and days off")
    show.add_argument("month", help="YEAR-MM, e.g. 2025-01")
    show.set_defaults(run=_calendar_show)


def _calendar_check(args: argparse.Namespace) -> int:
    from engine.calendar import read_file

    missing = [str(path) for path in args.files if not path.is_file()]
    if missing:
        raise CliError(f"no such calendar file: {', '.join(missing)}")
    problems = [problem for path in args.files for problem in read_file(path)[1]]
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{len(args.files)} file(s) OK")
    return 1 if problems else 0


def _calendar_show(args: argparse.Namespace) -> int:
    from engine.calendar import WorkingCalendar, month_days

    if not re.fullmatch(r"\d{4}-\d{2}", args.month):
        raise CliError(f"month must be written YEAR-MM, e.g. 2025-01, got '{args.month}'")
    days = month_days(*(int(part) for part in args.month.split("-")))
    calendar = WorkingCalendar.load()
    working = [day for day in days if calendar.is_working_day(day)]
    print(f"{args.month}: {len(working)} working day(s), {len(days) - len(working)} day(s) off")
    for day in days:
        kind = "working" if day in working else "off"
        print(f"{day} {day:%a}  {kind:<7}  {calendar.day_name(day) or ''}".rstrip())
    return 0


def _bare(args: argparse.Namespace, create: bool = True):  # -> (db, target, migrations)
    from engine.core import all_migrations, disabled_from_env
    from engine.storage.db import db_url_from_env, new_database
    from engine.plugins import make_plugin_manager

    db, target = new_database(db_url_from_env(args.db), create=create)
    return db, target, all_migrations(make_plugin_manager(disabled_from_env()))


def _db_upgrade(args: argparse.Namespace) -> int:
    from engine.storage import migrations

    db, target, known = _bare(args)
    ran = migrations.upgrade(db, target, known)
    for m in ran:
        print(f"applied {m.component} {m.number}: {m.description}")
    print(f"{len(ran)} migration(s) applied" if ran else "database is up to date")
    return 0


def _db_status(args: argparse.Namespace) -> int:
    from engine.storage import migrations

    db, target, known = _bare(args, create=False)
    done = migrations.applied(db, target)
    pending = [m for m in known if (m.component, m.number) not in done]
    for m in pending:
        print(f"pending {m.component} {m.number}: {m.description}")
    print(f"{len(pending)} pending migration(s)")
    return 1 if pending else 0


def _db_rebuild_aggregates(args: argparse.Namespace) -> int:
    from engine import aggregates

    engine = _open(args)
    if args.check:
        found = aggregates.differences(engine)
        for d in found[:50]:
            print(f"DIFFERS {d.table} {d.key}: maintained {d.maintained}, recomputed {d.recomputed}")
        print(f"{len(found)} aggregate row(s) differ" if found else "every aggregate is in step")
        return 1 if found else 0
    for rebuilt in aggregates.rebuild(engine):
        print(f"rebuilt {rebuilt.table}: {rebuilt.rows} row(s)")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from engine import chain
    from engine.storage.sql import Sql

    engine = _open(args)
    with orm.db_session:
        sql = Sql(engine.db)
        broken = chain.verify(sql, engine.catalog.tables)
        chains = sql.scalar("SELECT COUNT(*) FROM project")
    for record in broken:
        print(f"BROKEN {record}")
    print(f"{chains} chain(s) checked, {len(broken)} broken")
    return 1 if broken else 0


def _schema_export(args: argparse.Namespace) -> int:
    from engine.api.schema_file import printed_schema

    text = printed_schema()
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write the schema to {args.output}: {exc.strerror or exc}") from exc
        print(f"wrote {args.output}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
