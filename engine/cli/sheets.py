"""``minsheng import projects`` and ``minsheng export projects``: the annual list as a spreadsheet.

Without ``--actor`` a command acts for whoever runs it on the database's host, within the region it names (the
audit log records 命令行导入); with ``--actor USERNAME`` it acts as that actor, under the same rules as the API
(an office to import, the actor's read scope to export; a region out of reach reads as missing).
"""
from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from pony import orm

from engine.cli.errors import EXIT_FAILED, CliError


def add_commands(commands: argparse._SubParsersAction, with_db: Any) -> None:
    """Register ``import projects`` and ``export projects``."""
    group = commands.add_parser("import", help="import data").add_subparsers(title="import commands")
    imp = with_db(group.add_parser("projects", help="import the annual list (xlsx or csv) in one transaction"))
    imp.add_argument("file", type=Path)
    _common(imp)
    imp.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    imp.add_argument("--datum", default="WGS-84",
                     help="coordinate system of rows whose 坐标系 is blank: WGS-84 (default), CGCS2000, GCJ-02, BD-09")
    imp.set_defaults(run=run_import)
    group = commands.add_parser("export", help="export data").add_subparsers(title="export commands")
    exp = with_db(group.add_parser("projects", help="write the annual list with its current figures"))
    _common(exp)
    exp.add_argument("--format", choices=("xlsx", "csv"), help="default: from --output's suffix, else xlsx")
    exp.add_argument("--output", type=Path, help="default: projects-REGION-YEAR.FORMAT here")
    exp.set_defaults(run=run_export)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", required=True, help="region code: the list's region (rows may name regions below)")
    parser.add_argument("--year", required=True, type=int)
    parser.add_argument("--actor", help="act as this actor (its scope and roles apply)")


def _context(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(engine, actor, region) for the command; the region must be one the actor may name."""
    from engine.api.access import readable_region
    from engine.core import Engine
    from engine.directory import actors, regions
    from engine.sheets.importing import console_actor
    from engine.storage.sql import Sql

    engine = Engine.open(args.db)
    with orm.db_session:
        sql = Sql(engine.db)
        region = regions.by_code(sql, args.region)
        if args.actor is None:
            return engine, console_actor(engine, region), region
        actor = actors.by_username(sql, args.actor)
        try:
            return engine, actor, readable_region(engine, sql, actor, region.id)
        except Exception:
            raise CliError(f"region '{args.region}' does not exist") from None


def run_import(args: argparse.Namespace) -> int:
    from engine.geo.location import parse_datum
    from engine.sheets.importing import check_importer, import_projects

    if not args.file.is_file():
        raise CliError(f"no such file: {args.file}")
    datum = parse_datum(args.datum)
    engine, actor, region = _context(args)
    if args.actor is not None:
        check_importer(engine, actor)
    with _progress_bar() as progress:
        result = import_projects(engine, actor, args.file.read_bytes(), str(args.file), region.id, args.year,
                                 dry_run=args.dry_run, datum=datum, progress=progress)
    for header in result.ignored_columns:
        print(f"warning: {args.file}: column '{header}' is not in the column table: ignored", file=sys.stderr)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.problems:
        print(f"error: {len(result.problems)} problem(s) in {args.file}; nothing was imported", file=sys.stderr)
        return EXIT_FAILED
    if args.dry_run:
        print(f"{args.file}: {result.rows} project(s) checked, all valid; nothing written (--dry-run)")
    else:
        print(f"imported {len(result.created)} project(s) from {args.file} into {region.name} ({args.year})")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from engine.sheets.exporting import export_projects
    from engine.storage.sql import Sql

    fmt = args.format or (args.output.suffix.lstrip(".").lower() if args.output else "xlsx")
    if fmt not in ("xlsx", "csv"):
        raise CliError(f"cannot tell the format from '{args.output}': give --format xlsx or --format csv")
    engine, actor, region = _context(args)
    with orm.db_session:
        exported = export_projects(engine, Sql(engine.db), actor, region, args.year, fmt)
    output = args.output or Path(f"projects-{region.code}-{args.year}.{fmt}")
    try:
        output.write_bytes(exported.content)
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror or exc}") from exc
    print(f"wrote {output} ({exported.rows} project(s))")
    return 0


@contextmanager
def _progress_bar() -> Iterator[Any]:
    """A ``rich`` progress bar on stderr when it is a terminal; otherwise nothing is drawn."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def advance(phase: str, done: int, total: int) -> None:
            labels = {"checking": "checking rows", "writing": "writing projects"}
            if phase not in tasks:
                tasks[phase] = bar.add_task(labels.get(phase, phase), total=total)
            bar.update(tasks[phase], completed=done)

        yield advance
