"""``importProjects``: the annual list uploaded as a spreadsheet (GraphQL multipart upload, ``engine.api.uploads``).

Only a government office imports (FORBIDDEN for anyone else, the public included); a region it does not reach is
NOT_FOUND, exactly like a missing one. Each problem of the file is a ``userErrors`` entry: ``path`` is
``["rows", "<row number as the spreadsheet shows it>", "<column field>"]`` (the fields of the column table:
``budget`` is 总投资(万元)), or ``["file"]`` for the file as a whole; the message names the row and the column
as the file writes it. Nothing is written unless every row is valid.
"""
from __future__ import annotations

from typing import Annotated, Any, Optional

import strawberry
from pony import orm
from strawberry.file_uploads import Upload

from engine.api.access import readable_region
from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.ids import from_global_id
from engine.api.uploads import UploadedFile
from engine.errors import FieldProblem, Forbidden, InvalidInput
from engine.geo.location import parse_datum
from engine.sheets.importing import ImportResult, RowProblem, check_importer, import_projects
from engine.storage.sql import Sql

MAX_REPORTED = 1000  # userErrors per answer; the command line lists every problem


@strawberry.type(description="What an import of the annual list did, or every problem that stopped it.")
class ImportProjectsPayload:
    dry_run: bool = False
    rows: int = strawberry.field(default=0, description="Projects the file lists.")
    created: int = strawberry.field(default=0, description="Projects created (0 after a dry run or a problem).")
    ignored_columns: list[str] = strawberry.field(default_factory=list,
                                                  description="Headers not in the column table, ignored.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _user_errors(problems: list[RowProblem]) -> list[UserError]:
    errors = [UserError(code="INVALID_INPUT", path=p.path(),
                        message=f"row {p.row}, {p.column}: {p.message}" if p.row else p.message)
              for p in problems[:MAX_REPORTED]]
    if len(problems) > MAX_REPORTED:
        errors.append(UserError(code="INVALID_INPUT", path=["file"],
                                message=f"… and {len(problems) - MAX_REPORTED} more problem(s): fix these first, "
                                        "or check the whole file with `minsheng import projects --dry-run`"))
    return errors


def run_import(ctx: RequestContext, file: Any, region: str, year: int, dry_run: bool, datum: str | None) -> Any:
    def work() -> dict[str, Any]:
        if ctx.actor.is_public:
            raise Forbidden("sign in to make changes: without a token you can only read what is published")
        check_importer(ctx.engine, ctx.actor)
        region_id = from_global_id(region, "Region", ["region"])
        with orm.db_session:
            readable_region(ctx.engine, Sql(ctx.engine.db), ctx.actor, region_id, path=["region"])
        if not isinstance(file, UploadedFile):
            raise InvalidInput([FieldProblem(["file"], "send the file as a multipart upload (GraphQL multipart "
                                                       "request spec), not as a JSON value")])
        try:
            chosen = parse_datum(datum)
        except ValueError as exc:
            raise InvalidInput([FieldProblem(["datum"], str(exc))]) from None
        result: ImportResult = import_projects(ctx.engine, ctx.actor, file.data, file.filename, region_id, year,
                                               dry_run=dry_run, datum=chosen)
        return {"dry_run": dry_run, "rows": result.rows, "created": len(result.created),
                "ignored_columns": result.ignored_columns, "user_errors": _user_errors(result.problems)}

    return payload(ImportProjectsPayload, work, prefix=())


@strawberry.type
class AnnualListMutation:
    @strawberry.mutation(description="Import the annual list (an .xlsx or .csv file, uploaded as multipart) into a "
                                     "region for a year: all its projects in one transaction, or none and every "
                                     "problem as userErrors at [\"rows\", row, column]. Government offices only.")
    def import_projects(self, info: strawberry.Info, file: Upload, region: strawberry.ID, year: int,
                        dry_run: bool = False, datum: Annotated[Optional[str], strawberry.argument(
                            description="Coordinate system of rows whose 坐标系 is blank: WGS-84 (default), "
                                        "CGCS2000, GCJ-02 or BD-09.")] = None) -> ImportProjectsPayload:
        return run_import(info.context, file, region, year, dry_run, datum)
