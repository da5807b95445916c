"""Importing the annual list: read the file, check every row, and create all its projects in one transaction.

Every problem of every row is reported — the cells that cannot be read (``drafts``) and what the engine's rules
refuse (``engine.creation``: unknown or unreachable units, a period ending before it starts, a code already used
in the file or in the database, a region outside the importer's) — each as ``FILE:ROW:COLUMN: what is wrong``.
Nothing is written unless every row is valid; a dry run only checks. ``import_projects`` is the one entry point
for the command line, the GraphQL upload and the benchmarks.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pony import orm

from engine.creation import BatchProblems, NewProject, Progress, create_projects
from engine.directory.access import reach
from engine.directory.actors import ActorView
from engine.directory.regions import RegionView, get_region
from engine.errors import FieldProblem, Forbidden, InvalidInput
from engine.geo.location import WGS84
from engine.sheets.columns import BY_FIELD
from engine.sheets.drafts import Drafting, draft, region_names, unit_names
from engine.sheets.reading import Sheet, SheetError, read_sheet
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine

# The engine's field names (engine.creation) → the column of the list
ENGINE_FIELDS = {"region_id": "region", "lead_unit_id": "lead_unit", "cooperating_unit_ids": "cooperating_units",
                 "location": "longitude", "year": "title"}


IMPORT_ROLES = frozenset({"office"})  # 政府办/督查室 keep the list
CONSOLE_NAME = "命令行导入 (minsheng import)"


def check_importer(engine: Engine, actor: ActorView) -> None:
    """Only an office (``IMPORT_ROLES``) whose reach is its whole area imports a list; ``Forbidden`` otherwise."""
    scope = reach(engine, actor)
    if actor.is_public or not actor.roles & IMPORT_ROLES or scope.unit_bound or scope.published_only:
        raise Forbidden("only a government office (政府办/督查室) may import the annual list")


def console_actor(engine: Engine, region: RegionView) -> ActorView:
    """Who the command line acts as without ``--actor``: whoever runs it on the database's host, limited to the
    region the command names, with every role that may create projects (the audit log names it)."""
    roles = frozenset(r for w in engine.workflows.by_id.values() for r in w.definition.creators())
    return ActorView(None, "minsheng-cli", CONSOLE_NAME, roles, region.id, region.path)


@dataclass(frozen=True)
class RowProblem:
    """One problem: ``row`` and ``column`` are None for a problem of the whole file."""

    file: str
    row: int | None
    column: str | None  # the header as the file writes it (or the table's name for it)
    field: str | None  # the column's field name (``engine.sheets.columns``)
    message: str

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.row, self.column) if part is not None)
        return f"{where}: {self.message}"

    def path(self) -> list[str]:
        """The GraphQL userErrors path: ``["rows", "12", "budget"]``, or ``["file"]``."""
        if self.row is None:
            return ["file"]
        return ["rows", str(self.row), *([self.field] if self.field else [])]


@dataclass
class ImportResult:
    rows: int  # the projects the file lists
    created: list[int] = field(default_factory=list)  # their ids (none after a dry run or a problem)
    problems: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False


def import_projects(engine: Engine, actor: ActorView, data: bytes, filename: str, region_id: int, year: int, *,
                    dry_run: bool = False, datum: str = WGS84, progress: Progress | None = None) -> ImportResult:
    """Import the list in ``data`` into the region ``region_id`` (which the caller has checked ``actor`` may
    reach) for ``year``: all projects in one transaction, or nothing and every problem. A year outside
    2000–2100 is refused (``InvalidInput`` at ``year``) before the file is read."""
    if not 2000 <= year <= 2100:
        raise InvalidInput([FieldProblem(["year"], f"must be between 2000 and 2100, got {year}")])
    try:
        sheet = read_sheet(data)
    except SheetError as exc:
        return ImportResult(0, problems=[RowProblem(filename, exc.row, None, None, str(exc))], dry_run=dry_run)
    with orm.db_session:
        sql = Sql(engine.db)
        region = get_region(sql, region_id)
        context = Drafting(region, year, region_names(sql, region), unit_names(sql, actor), datum)
    problems: list[RowProblem] = []
    drafted: list[tuple[int, NewProject]] = []
    seen: dict[str, int] = {}
    for number, row in sheet.rows:
        def problem(name: str, message: str, number: int = number) -> None:
            problems.append(_at(filename, sheet, number, name, message))

        new = draft(row, context, problem)
        drafted.append((number, new if _new_code(new, number, seen, problem) else replace(new, code=None)))
    result = ImportResult(len(sheet.rows), ignored_columns=sheet.ignored, dry_run=dry_run)
    news = [new for _, new in drafted]
    try:
        result.created = create_projects(engine, actor, news, dry_run=dry_run or bool(problems), progress=progress)
    except BatchProblems as exc:
        unread = {(p.row, p.field) for p in problems}  # a cell that could not be read is not "required" as well
        found = [_engine_problem(filename, sheet, drafted, p.path, p.message) for p in exc.problems()]
        problems.extend(p for p in found if (p.row, p.field) not in unread)
    result.problems = sorted(problems, key=lambda p: (p.row or 0, _order(p.field)))
    if result.problems:
        result.created = []
    return result


def _new_code(new: NewProject, number: int, seen: dict[str, int], problem: Any) -> bool:
    """Whether the row's code (if any) is the first of its kind in the file; a repeat is reported."""
    if not new.code:
        return True
    if new.code in seen:
        problem("code", f"code '{new.code}' is also given in row {seen[new.code]}")
        return False
    seen[new.code] = number
    return True


def _at(filename: str, sheet: Sheet, number: int, name: str, message: str) -> RowProblem:
    column = BY_FIELD[name]
    return RowProblem(filename, number, sheet.headers.get(name, column.header), name, message)


def _engine_problem(filename: str, sheet: Sheet, drafted: list[tuple[int, NewProject]], path: list[Any],
                    message: str) -> RowProblem:
    number = drafted[int(path[0])][0]
    name = str(path[1]) if len(path) > 1 else "title"
    name = ENGINE_FIELDS.get(name, name)
    if name not in BY_FIELD:
        name = "title"
    return _at(filename, sheet, number, name, message)


def _order(name: str | None) -> int:
    fields = list(BY_FIELD)
    return fields.index(name) if name in fields else len(fields)
