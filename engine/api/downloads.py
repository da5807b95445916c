"""``GET /exports/projects.xlsx`` and ``GET /exports/projects.csv``: the annual list as ``minsheng export projects``
writes it, for the caller's read scope.

Query parameters: ``region`` (a region's code or global id) and ``year``. The bearer token decides what is listed
(without one: what the public reads — published projects); a region the caller may not name answers 404 exactly
like a missing one; a token that is not valid 401. The download is charged to the caller's cost budget like a
list page (``ROW_COST`` per project) and refused with 429 and ``Retry-After`` when it does not fit.
"""
from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from pony import orm
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.api.access import readable_region
from engine.api.budget import Budgets, over_budget
from engine.api.credentials import UNAUTHENTICATED, authenticate, bearer_token, client_address
from engine.api.errors import error_response
from engine.api.ids import parse_global_id
from engine.directory.access import read_scope_sql
from engine.directory.actors import ActorView
from engine.directory.regions import RegionView
from engine.errors import DomainError, NotFound
from engine.sheets.exporting import export_projects
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine

ROW_COST = 20  # a project's row in the list: about the fields of a list page's item


def export_routes(engine: Engine, budgets: Budgets) -> list[Route]:
    async def download(request: Request) -> Response:
        fmt = request.path_params["format"]
        actor = authenticate(engine, bearer_token(request))
        if actor is None:
            return error_response(UNAUTHENTICATED, "UNAUTHENTICATED", 401, {"WWW-Authenticate": "Bearer"})
        year = request.query_params.get("year", "")
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            return error_response("give the year as ?year=2025 (2000–2100)", "INVALID_INPUT", 400)
        region = request.query_params.get("region", "")
        args = (engine, budgets, actor, client_address(request), region, int(year), fmt)
        return await run_in_threadpool(_export, *args)

    return [Route("/exports/projects.{format:str}", download, methods=["GET"])]


def _export(engine: Engine, budgets: Budgets, actor: ActorView, client: str | None, region_ref: str, year: int,
            fmt: str) -> Response:
    if fmt not in ("xlsx", "csv"):
        return error_response(f"no such download: projects.{fmt[:10]} (xlsx or csv)", "NOT_FOUND", 404)
    with orm.db_session:
        sql = Sql(engine.db)
        try:
            region = _region(engine, sql, actor, region_ref)
        except DomainError as exc:
            return error_response(exc.message, "NOT_FOUND", 404)
        cost = ROW_COST * max(1, _count(engine, sql, actor, region, year))
        refusal = budgets.charge(actor, client, cost)
        if refusal is not None:
            return error_response(over_budget(refusal, cost), "THROTTLED", 429, {"Retry-After": str(refusal.retry_after)})
        exported = export_projects(engine, sql, actor, region, year, fmt)
    name = f"projects-{region.code}-{year}.{fmt}"
    return Response(exported.content, media_type=exported.media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def _region(engine: Engine, sql: Sql, actor: ActorView, ref: str) -> RegionView:
    """The region named by its code or global id, if the caller may name it (else ``NotFound``, as if missing)."""
    region_id = sql.scalar("SELECT id FROM region WHERE code = ?", (ref,))
    if region_id is None:
        try:
            kind, region_id = parse_global_id(ref, ["region"])
        except DomainError:
            kind = None
        if kind != "Region":
            raise NotFound(f"region '{ref[:40]}' does not exist")
    try:
        return readable_region(engine, sql, actor, int(region_id))
    except NotFound:
        raise NotFound(f"region '{ref[:40]}' does not exist") from None


def _count(engine: Engine, sql: Sql, actor: ActorView, region: RegionView, year: int) -> int:
    conditions, params = read_scope_sql(engine, actor, "p")
    return int(sql.scalar("SELECT COUNT(*) FROM project p WHERE p.region_path >= ? AND p.region_path < ? AND "
                          "p.year = ? AND " + " AND ".join(conditions),
                          [region.path, region.path[:-1] + "0", year, *params]) or 0)

