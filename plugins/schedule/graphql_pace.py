"""序时进度 in GraphQL: ``Project.progress`` (expected progress, lag, status and colour on a date) and the query
``laggingProjects`` (projects under way, most behind first). The public sees both for published projects: they are
figures, not narratives."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any, Optional, Sequence

import strawberry
from strawberry.types import Info

from engine.api.batch import batched
from engine.api.context import RequestContext
from engine.api.queries import PageInfo
from engine.storage.sql import marks, to_date
from plugins.schedule.standing import Planned, Standing, standings


@strawberry.enum(description="超序时 / 按序时 / 慢序时: reported progress against expected, within the tolerance.")
class PaceStatus(Enum):
    AHEAD = "ahead"
    ON_SCHEDULE = "on_schedule"
    BEHIND = "behind"


@strawberry.type(description="序时进度 on a date: expected progress (the share of the planned period elapsed, the "
                             "days in 暂缓 left out), the latest reported progress, the lag in points, status and "
                             "colour by the deployment's scheme.")
class ScheduleProgress:
    on: dt.date
    basis: str = strawberry.field(description="month, day or working_day.")
    expected: Decimal = strawberry.field(description="Percent, two places.")
    reported: Optional[Decimal] = strawberry.field(description="The latest report's percent (or, where the "
                                                               "workflow says `progress: measures`, the weighted share "
                                                               "of measures done, dated by the latest done date); null "
                                                               "before the first "
                                                               "(lag, status and colour then count it as 0).")
    reported_on: Optional[dt.date]
    lag: Decimal = strawberry.field(description="expected − reported, in percentage points (negative: ahead).")
    status: PaceStatus
    status_label: str
    colour: str
    colour_label: str

    @classmethod
    def of(cls, s: Standing) -> ScheduleProgress:
        p = s.pace
        return cls(on=s.on, basis=s.basis, expected=p.expected, reported=p.reported, reported_on=s.reported_on,
                   lag=p.lag, status=PaceStatus(p.status), status_label=p.status_label, colour=p.colour,
                   colour_label=p.colour_label)


@strawberry.type(description="A project under way with its 序时进度.")
class LaggingProject:
    project_id: strawberry.ID
    code: str
    title: str
    region_name: str
    lead_unit_name: Optional[str]
    progress: ScheduleProgress


@strawberry.type
class LaggingProjectEdge:
    cursor: str
    node: LaggingProject


@strawberry.type(description="Projects under way whose lag is at least minLag, most behind first.")
class LaggingProjectConnection:
    edges: list[LaggingProjectEdge]
    page_info: PageInfo
    total_count: int


def _today(ctx: RequestContext, on: dt.date | None) -> dt.date:
    return on or ctx.engine.clock.now().date()


def project_progress(ctx: RequestContext, project: Any, on: dt.date | None) -> ScheduleProgress | None:
    """The project's 序时进度 on ``on`` (default today), computed for its whole batch at once."""
    day = _today(ctx, on)
    found = batched(project, ("schedule.progress", day), lambda ids: _standings(ctx, ids, day))
    return None if found is None else ScheduleProgress.of(found)


def _standings(ctx: RequestContext, project_ids: Sequence[int], on: dt.date) -> dict[int, Standing]:
    rows = ctx.sql.all("SELECT id, workflow_id, state, planned_start, planned_end FROM project"
                       f" WHERE id IN ({marks(len(project_ids))})", list(project_ids))
    planned = [Planned(r[0], r[1], r[2], to_date(r[3]), to_date(r[4])) for r in rows]
    return standings(ctx.engine, ctx.sql, planned, on)


@strawberry.type
class PaceQuery:
    @strawberry.field(description="Projects under way (not planned, final or done) that you may see, whose 序时进度 "
                                  "lag on `on` (default today) is at least minLag points, most behind first "
                                  "(first ≤ 100).")
    def lagging_projects(self, info: Info, region: Optional[strawberry.ID] = None, year: Optional[int] = None,
                         min_lag: Decimal = Decimal("0"), on: Optional[dt.date] = None, first: int = 20,
                         after: Optional[str] = None) -> LaggingProjectConnection:
        from plugins.schedule.lagging import lagging

        return lagging(info.context, region, year, min_lag, on, first, after)


@strawberry.type
class PaceProjectFields:
    @strawberry.field(description="序时进度 on `on` (default today); null without a planned start and end.")
    def progress(self, info: Info, on: Optional[dt.date] = None) -> Optional[ScheduleProgress]:
        return project_progress(info.context, self, on)
