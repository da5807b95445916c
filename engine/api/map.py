"""``projectsGeoJSON``: the projects one may read that carry a location, as a GeoJSON FeatureCollection (RFC 7946)
for the 民生实事图 a front end draws.

Each feature is a project: its geometry (Point or LineString, WGS-84, as stored) and properties — code, title,
year, category, budget, state and its label, region, lead unit and, from the plugin that keeps schedules
(``minsheng_project_progress``), its progress on the day: reported and expected percent, lag, status, colour and
the colour's label (null without such a plugin or a planned period). The filter and the scope are ``projects``'s;
at most ``first`` features (≤ ``MAX_FEATURES``) in id order, and the collection's foreign members ``totalCount``
and ``truncated`` say whether more matched. No person's name is in a feature.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Optional

import strawberry
from strawberry.types import Info

from engine.api.context import RequestContext
from engine.api.ids import to_global_id
from engine.api.queries import ProjectFilter, filter_clause
from engine.api.shape import item_cost
from engine.errors import FieldProblem, InvalidInput
from engine.hookspecs import ProjectProgress
from engine.project_progress import project_progress
from engine.storage.sql import to_decimal

MAX_FEATURES = 5000
FEATURE_COST = 4  # what one feature costs against the request's and the caller's cost limits
SELECT = ("SELECT p.id, p.code, p.title, p.year, p.category, p.budget, p.workflow_id, p.state, p.location, r.name,"
          " u.name FROM project p JOIN region r ON r.id = p.region_id LEFT JOIN unit u ON u.id = p.lead_unit_id")


def feature_collection(ctx: RequestContext, f: ProjectFilter | None, first: int, on: dt.date | None) -> dict:
    """The FeatureCollection of the located projects ``ctx.actor`` reads that match ``f``."""
    if not 1 <= first <= MAX_FEATURES:
        raise InvalidInput([FieldProblem(["first"], f"first must be between 1 and {MAX_FEATURES}, got {first}")])
    conditions, params = filter_clause(ctx, f)
    where = " WHERE p.location IS NOT NULL AND " + " AND ".join(conditions)
    rows = ctx.sql.all(SELECT + where + " ORDER BY p.id LIMIT ?", (*params, first))
    total = len(rows) if len(rows) < first else ctx.sql.scalar("SELECT COUNT(*) FROM project p" + where, params)
    figures = project_progress(ctx.engine, ctx.sql, [r[0] for r in rows], on or ctx.engine.clock.today())
    return {"type": "FeatureCollection", "features": [_feature(ctx, r, figures.get(r[0])) for r in rows],
            "totalCount": total, "truncated": total > len(rows)}


def _feature(ctx: RequestContext, row: tuple, figure: ProjectProgress | None) -> dict[str, Any]:
    state = ctx.engine.workflows.get(row[6]).definition.states[row[7]]
    properties = {"code": row[1], "title": row[2], "year": row[3], "category": row[4],
                  "budget": format(to_decimal(row[5]), ".2f"), "state": state.name, "stateLabel": state.label,
                  "region": row[9], "leadUnit": row[10], **_progress(figure)}
    return {"type": "Feature", "id": to_global_id("Project", row[0]), "geometry": json.loads(row[8]),
            "properties": properties}


def _progress(figure: ProjectProgress | None) -> dict[str, Any]:
    if figure is None:
        return {"progress": None, "expectedProgress": None, "lag": None, "status": None, "colour": None,
                "colourLabel": None}
    return {"progress": None if figure.reported is None else format(figure.reported, ".2f"),
            "expectedProgress": format(figure.expected, ".2f"), "lag": format(figure.lag, ".2f"),
            "status": figure.status, "colour": figure.colour, "colourLabel": figure.colour_label}


@strawberry.type
class MapQuery:
    @strawberry.field(name="projectsGeoJSON", metadata=item_cost(FEATURE_COST),
                      description="Located projects you may read, as a GeoJSON FeatureCollection (WGS-84) with "
                                  "each project's state, progress and colour on the day `on` (default today); "
                                  f"at most `first` (≤ {MAX_FEATURES}) features, `truncated` when more matched.")
    def projects_geojson(self, info: Info, filter: Optional[ProjectFilter] = None, first: int = 1000,
                         on: Optional[dt.date] = None) -> strawberry.scalars.JSON:
        return feature_collection(info.context, filter, first, on)
