"""``minsheng report``: the monthly bulletin as a workbook, and checking ranking rule files."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from pony import orm

from engine.cli.errors import CliError

MONTH = re.compile(r"(\d{4})-(\d{2})\Z")


def add_commands(commands: argparse._SubParsersAction, with_db) -> None:  # noqa: ANN001 - main's helper
    group = commands.add_parser("report", help="reports: the monthly bulletin (月通报)").add_subparsers(
        title="report commands")
    monthly = with_db(group.add_parser("monthly", help="write a region's monthly bulletin as an Excel workbook"))
    monthly.add_argument("--region", required=True, help="region code")
    monthly.add_argument("--month", required=True, help="YEAR-MM, e.g. 2026-10")
    monthly.add_argument("--output", type=Path, help="the .xlsx file (default: bulletin-REGION-YEAR-MM.xlsx)")
    monthly.set_defaults(run=_monthly)
    check = group.add_parser("rules", help="check ranking rule files (红黑榜); exit 1 on any problem")
    check.add_argument("files", nargs="+", type=Path)
    check.set_defaults(run=_check_rules)


def parse_month(text: str) -> tuple[int, int]:
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
        raise CliError(f"month must be written YEAR-MM between 2000-01 and 2100-12, e.g. 2026-10, got '{text}'")
    return int(match[1]), int(match[2])


def _monthly(args: argparse.Namespace) -> int:
    from engine.core import Engine
    from engine.dashboard import rules
    from engine.dashboard.bulletin import monthly
    from engine.dashboard.workbook import render
    from engine.directory.regions import by_code
    from engine.errors import NotFound
    from engine.storage.sql import Sql
    from engine.workflow.scopes import Reach

    year, month = parse_month(args.month)
    engine = Engine.open(args.db)
    with orm.db_session:
        sql = Sql(engine.db)
        try:
            region = by_code(sql, args.region)
        except NotFound:
            raise CliError(f"region '{args.region}' does not exist") from None
        bulletin = monthly(engine, sql, Reach(region_path=region.path), region, year, month, rules.configured())
        data = render(bulletin)
    output = args.output or Path(f"bulletin-{region.code}-{year}-{month:02d}.xlsx")
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise CliError(f"cannot write the bulletin to {output}: {exc.strerror or exc}") from exc
    print(f"wrote {output}: {region.name} {year}-{month:02d} as of {bulletin.on}, {len(bulletin.projects)} "
          f"project(s), {len(bulletin.lagging)} lagging")
    return 0


def _check_rules(args: argparse.Namespace) -> int:
    from engine.dashboard.rules import load
    from engine.errors import InvalidDefinition

    problems = []
    for path in args.files:
        if not path.is_file():
            raise CliError(f"no such rules file: {path}")
        try:
            load.__wrapped__(str(path))
        except InvalidDefinition as exc:
            problems.extend(exc.problems)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{len(args.files)} file(s) OK")
    return 1 if problems else 0
