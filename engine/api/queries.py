"""Root query fields of the core."""
from __future__ import annotations

import base64
from typing import Any, Optional

import strawberry

from engine.directory.actors import ActorView
from engine.directory.access import reach, read_scope_sql
from engine.api.access import readable_region
from engine.api.batch import ProjectBatch
from engine.api.context import RequestContext
from engine.api.ids import database_id_of, decode_pair, from_global_id, parse_global_id, to_global_id
from engine.api.project_type import SELECT, load_project, project_from_row
from engine.api.types import Me, Node, Region, Unit, Workflow
from engine.errors import FieldProblem, InvalidInput, NotFound
from engine.directory.regions import RegionView, subtree
from engine.storage.tally import ALL_UNITS, PROJECTS
from engine.texts import shown

MAX_PAGE = 100
# Pages list projects region by region (a region's subtree is one range of paths), by id within a region: the
# ``(region_path, id)`` index walks this order, so a page of 50 reads 50 rows whatever the total and whatever the
# region filter; ``tests/test_query_plans.py`` checks the plans
PAGE_ORDER = "p.region_path, p.id"


@strawberry.input(description="Filters for projects; all given filters must match.")
class ProjectFilter:
    year: Optional[int] = None
    state: Optional[str] = None
    region: Optional[strawberry.ID] = strawberry.field(default=None, description="This region and everything below.")
    category: Optional[str] = None
    lead_unit: Optional[strawberry.ID] = None
    text: Optional[str] = strawberry.field(default=None, description="Text in the title.")
    workflow: Optional[str] = None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: Optional[str]


def total_count(ctx: RequestContext, where: tuple[str, list[Any]], f: ProjectFilter | None = None) -> int:
    """How many projects match: from the maintained ``project_tally`` when it can tell (``tallied_total``), else
    counted row by row."""
    found = tallied_total(ctx, f)
    if found is not None:
        return found
    clause, params = where
    return ctx.sql.scalar("SELECT COUNT(*) FROM project p" + clause, params)


def tallied_total(ctx: RequestContext, f: ProjectFilter | None) -> int | None:
    """The count of a region subtree's projects read from the maintained aggregates (``engine.storage.tally``):
    a sum over a handful of rows at any size. Only when the reader counts every project of one region subtree
    (an office, not a unit's clerk nor the public) and the filters are among what the tally keeps (year, state,
    lead unit, workflow); None otherwise (a category or a text to match, a reader bound to a unit)."""
    scope = reach(ctx.engine, ctx.actor)
    if scope.unit_bound or scope.published_only:
        return None
    f = f or ProjectFilter()
    if f.category is not None or f.text:
        return None
    path = scope.region_path
    if f.region is not None:
        within = _filter_path(ctx, f.region)
        if within is None or (path is not None and not within.startswith(path) and not path.startswith(within)):
            return None  # nothing there for this reader: the row count says 0 as cheaply
        if path is None or within.startswith(path):  # the narrower of the area and the filter
            path = within
    if path is None:
        return None
    conditions = ["region_path = ?", "own = 0", "unit_id = ?"]
    unit = ALL_UNITS if f.lead_unit is None else from_global_id(f.lead_unit, "Unit", ["filter", "leadUnit"])
    params: list[Any] = [path, unit]
    for column, value in (("year", f.year), ("state", f.state)):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if f.workflow:
        ids = _workflow_ids(ctx, f.workflow)
        conditions.append(f"workflow_id IN ({', '.join('?' for _ in ids)})")
        params.extend(ids)
    return int(ctx.sql.scalar(f"SELECT COALESCE(SUM(n), 0) FROM {PROJECTS.table} WHERE {' AND '.join(conditions)}",
                              params))


def _cursor(project_id: int) -> str:
    return base64.b64encode(f"cursor:{project_id}".encode()).decode()


def _after(cursor: str) -> int:
    """The project id after which the page starts; ``InvalidInput`` at ``after`` unless the cursor is one this
    API gives out (canonical, in the id range)."""
    pair = decode_pair(cursor)
    project_id = database_id_of(pair[1]) if pair and pair[0] == "cursor" else None
    if project_id is None:
        raise InvalidInput([FieldProblem(["after"], f"'{shown(cursor)}' is not a cursor from this API")])
    return project_id


def _after_key(ctx: RequestContext, project_id: int) -> tuple[str, int]:
    """Where the page after ``project_id`` starts in page order: (its region path, its id). A cursor of a
    project that no longer exists starts after everything."""
    path = ctx.sql.scalar("SELECT region_path FROM project WHERE id = ?", (project_id,))
    return (path if path is not None else "\U0010ffff"), project_id


def scope_clause(ctx: RequestContext, within: str | None = None) -> tuple[list[str], list[Any]]:
    """SQL conditions limiting projects (alias p) to what the actor may read (see ``engine.directory.access``),
    within the region path ``within`` if given."""
    return read_scope_sql(ctx.engine, ctx.actor, "p", within)


def filter_clause(ctx: RequestContext, f: ProjectFilter | None) -> tuple[list[str], list[Any]]:
    if f is None:
        return scope_clause(ctx)
    within = None
    if f.region is not None:  # one range on the region path: the narrower of the area and the filter
        within = _filter_path(ctx, f.region)
        if within is None:
            return ["1 = 0"], []
    conditions, params = scope_clause(ctx, within)
    # ``+p.year``: the (year, state) index would hand SQLite the rows out of page order (a sort of every match);
    # the state filter has its own (state, region_path, id) index in page order
    simple = {"+p.year = ?": f.year, "p.state = ?": f.state, "p.category = ?": f.category}
    for condition, value in simple.items():
        if value is not None:
            conditions.append(condition)
            params.append(value)
    if f.lead_unit is not None:
        conditions.append("p.lead_unit_id = ?")
        params.append(from_global_id(f.lead_unit, "Unit", ["filter", "leadUnit"]))
    if f.text:
        conditions.append("p.title LIKE ? ESCAPE '!'")
        params.append("%" + _like_escape(f.text) + "%")
    if f.workflow:
        ids = _workflow_ids(ctx, f.workflow)
        conditions.append(f"p.workflow_id IN ({', '.join('?' for _ in ids)})")
        params.extend(ids)
    return conditions, params


def _filter_path(ctx: RequestContext, region: strawberry.ID) -> str | None:
    """The path of the filter's region (None when there is no such region)."""
    return ctx.sql.scalar("SELECT path FROM region WHERE id = ?",
                          (from_global_id(region, "Region", ["filter", "region"]),))


def _workflow_ids(ctx: RequestContext, name: str) -> list[int]:
    """The ids of every version of the workflow ``name`` ([0], matching nothing, when there is none)."""
    return [i for i, (found, _) in ctx.engine.workflow_names.items() if found == name] or [0]


def _like_escape(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (``!`` is the escape character)."""
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def list_projects(ctx: RequestContext, f: ProjectFilter | None, first: int, after: str | None,
                  types: Any) -> Any:
    """A connection page; ``types`` holds the schema's ``ProjectEdge`` and ``ProjectConnection`` classes."""
    if first < 1 or first > MAX_PAGE:
        raise InvalidInput([FieldProblem(["first"], f"first must be between 1 and {MAX_PAGE}, got {first}")])
    conditions, params = filter_clause(ctx, f)
    where = (" WHERE " + " AND ".join(conditions), list(params))
    if after is not None:
        conditions.append("(p.region_path, p.id) > (?, ?)")
        params.extend(_after_key(ctx, _after(after)))
    sql = SELECT + " WHERE " + " AND ".join(conditions) + " ORDER BY " + PAGE_ORDER + " LIMIT ?"
    rows = ctx.sql.all(sql, (*params, first + 1))
    batch = ProjectBatch(tuple(row[0] for row in rows[:first]))  # the page's fields load for all of it at once
    nodes = [project_from_row(ctx, row, batch) for row in rows[:first]]
    edges = [types.ProjectEdge(cursor=_cursor(n.database_id), node=n) for n in nodes]
    return types.ProjectConnection(edges=edges, where=where, filter=f, page_info=PageInfo(
        has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None))


def region_tree(ctx: RequestContext, actor: ActorView) -> list[Region]:
    """The actor's home region with everything below it (the public: every root region's tree)."""
    views = subtree(ctx.sql, actor.region_path or "/")
    nodes = {v.id: Region.of(v) for v in views}
    roots: list[Region] = []
    for v in views:
        parent = nodes.get(v.parent_id) if v.parent_id else None
        (parent.children if parent else roots).append(nodes[v.id])
    return roots


def units(ctx: RequestContext) -> list[Unit]:
    rows = ctx.sql.all("SELECT u.id, u.code, u.name, u.region_id, r.path FROM unit u JOIN region r"
                       " ON r.id = u.region_id ORDER BY u.id")
    path = ctx.actor.region_path
    return [Unit.of(*row[:4]) for row in rows if path is None or row[4].startswith(path) or path.startswith(row[4])]


def node(ctx: RequestContext, global_id: str) -> Node | None:
    type_name, database_id = parse_global_id(global_id, ["id"])
    if type_name == "Project":
        return load_project(ctx, database_id)
    if type_name == "Region":
        region = _region_in_view(ctx, database_id)
        return Region.of(region) if region else None
    if type_name == "Unit":
        return next((u for u in units(ctx) if u.database_id == database_id), None)
    return None


def _region_in_view(ctx: RequestContext, region_id: int) -> RegionView | None:
    try:
        return readable_region(ctx.engine, ctx.sql, ctx.actor, region_id)
    except NotFound:
        return None


def me(ctx: RequestContext) -> Me:
    actor = ctx.actor
    region = _region_in_view(ctx, actor.region_id) if actor.region_id else None
    return Me(username=actor.username, name=actor.name, roles=sorted(actor.roles),
              region=Region.of(region) if region else None, is_public=actor.is_public,
              unit_id=strawberry.ID(to_global_id("Unit", actor.unit_id)) if actor.unit_id else None)


def workflows(ctx: RequestContext) -> list[Workflow]:
    """Every version (by name, then version), its status, and how many projects the caller reads use it."""
    registry = ctx.engine.workflows
    conditions, params = scope_clause(ctx)
    counts = dict(ctx.sql.all("SELECT p.workflow_id, COUNT(*) FROM project p WHERE " + " AND ".join(conditions)
                              + " GROUP BY p.workflow_id", params))
    loaded = sorted(registry.by_id.values(), key=lambda w: (w.definition.name, w.definition.version))
    return [Workflow.of(w.definition, registry.state_of(w.id), counts.get(w.id, 0)) for w in loaded]
