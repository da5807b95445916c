"""``GET /reports/monthly.xlsx?region=…&month=YYYY-MM``: the monthly bulletin workbook for a signed-in actor.

The region is a region code or a ``Region`` global id; one outside the caller's area answers 404 exactly like a
missing one. A bulletin is costly: each download is charged to the caller's cost budget (the same buckets as
GraphQL) at ``BASE_COST`` plus one per project counted, refused with 429 and ``Retry-After`` when it does not fit,
and at most ``CONCURRENT`` are built at once per process (the others are told to retry). Built in a worker thread
inside one read session, with the caller's reach: a unit clerk's bulletin counts its unit's projects.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from urllib.parse import quote

from pony import orm
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from engine.api.access import readable_region
from engine.api.budget import Budgets, over_budget
from engine.api.credentials import authenticate, bearer_token, client_address
from engine.api.errors import error_response
from engine.api.ids import decode_pair, database_id_of
from engine.dashboard import rules
from engine.dashboard.bulletin import monthly
from engine.dashboard.scope import figure_scope
from engine.dashboard.workbook import render
from engine.directory.access import reach
from engine.directory.actors import ActorView
from engine.errors import DomainError, FieldProblem, InvalidInput, NotFound
from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BASE_COST = 2000
CONCURRENT = 2


class Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def monthly_route(engine: Engine, budgets: Budgets) -> Route:
    slots = threading.BoundedSemaphore(CONCURRENT)

    async def download(request: Request) -> Response:
        actor = await run_in_threadpool(authenticate, engine, bearer_token(request))
        if actor is None or actor.is_public:
            return error_response("sign in with a bearer token to download bulletins", "UNAUTHENTICATED", 401,
                                  {"WWW-Authenticate": "Bearer"})
        region, month = request.query_params.get("region", ""), request.query_params.get("month", "")
        if not slots.acquire(blocking=False):
            return error_response("other bulletins are being built: try again in a few seconds", "THROTTLED", 429,
                                  {"Retry-After": "5"})
        try:
            name, data = await run_in_threadpool(_build, engine, budgets, actor, client_address(request), region,
                                                 month)
        except Refused as refused:
            return refused.response
        finally:
            slots.release()
        disposition = f"attachment; filename=\"bulletin.xlsx\"; filename*=UTF-8''{quote(name)}"
        return Response(data, media_type=XLSX, headers={"Content-Disposition": disposition,
                                                        "Cache-Control": "no-store"})

    return Route("/reports/monthly.xlsx", download, methods=["GET"])


def _build(engine: Engine, budgets: Budgets, actor: ActorView, client: str | None, region_text: str,
           month_text: str) -> tuple[str, bytes]:
    """(file name, workbook bytes); ``Refused`` carries the error response."""
    try:
        year, month = _month(month_text)
        with orm.db_session:
            sql = Sql(engine.db)
            region = readable_region(engine, sql, actor, _region_id(sql, region_text))
            reader = reach(engine, actor)
            scope = figure_scope(engine, reader, region, engine.clock.today(), year)
            cost = BASE_COST + int(sql.scalar(f"SELECT COUNT(*) FROM project p WHERE {scope.where}", scope.params))
            refusal = budgets.charge(actor, client, cost)
            if refusal is not None:
                raise Refused(error_response(over_budget(refusal, cost), "THROTTLED", 429,
                                             {"Retry-After": str(refusal.retry_after)}))
            bulletin = monthly(engine, sql, reader, region, year, month, rules.configured())
            return f"{region.name}{year}年{month}月民生实事通报.xlsx", render(bulletin)
    except NotFound:  # missing or outside the caller's area: the same answer, naming what was asked for
        raise Refused(error_response(f"region '{region_text[:60]}' does not exist", "NOT_FOUND", 404)) from None
    except DomainError as exc:
        raise Refused(error_response("; ".join(p.message for p in exc.problems()), exc.code, 400)) from None


def _month(text: str) -> tuple[int, int]:
    parts = text.split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts) and len(parts[0]) == 4 and len(parts[1]) == 2:
        year, month = int(parts[0]), int(parts[1])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    raise InvalidInput([FieldProblem(["month"], f"month must be YEAR-MM (e.g. 2026-10), got '{text[:20]}'")])


def _region_id(sql: Sql, text: str) -> int:
    """A region by its code or global id; 0 (no such region) when neither names one."""
    pair = decode_pair(text) if text else None
    if pair is not None and pair[0] == "Region" and (found := database_id_of(pair[1])) is not None:
        return found
    return int(sql.scalar("SELECT id FROM region WHERE code = ?", (text,)) or 0)
