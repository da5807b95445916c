"""What the plugin adds to the GraphQL API.

- ``Mutation.recordYizhenghuiResolution(input)``: the office or the congress of the project's area records a
  council vote; refusals come back as ``userErrors``;
- ``Project.yizhenghuiResolutions``: the project's resolutions, latest meeting first (the public does not see
  who recorded them).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import strawberry

from engine.api.batch import batched
from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.extension import GraphQLExtension
from engine.api.ids import from_global_id, to_global_id

from minsheng_yizhenghui.resolutions import NewResolution, Resolution, of_projects, record_resolution


@strawberry.type(description="A vote of a town's 议政会 (deliberative council) on a project, from its minutes.")
class YizhenghuiResolution:
    id: strawberry.ID
    project_id: strawberry.ID
    meeting_date: dt.date
    attendees: int = strawberry.field(description="Members present 出席人数.")
    votes_for: int
    votes_against: int
    votes_abstain: int
    passed: bool = strawberry.field(description="More than half of the members present voted for (过半数通过).")
    minutes_no: str = strawberry.field(description="The minutes' number 会议纪要编号.")
    recorded_by: Optional[str] = strawberry.field(description="Who entered it; null for the public.")
    recorded_at: dt.datetime


@strawberry.input(description="A council vote as the minutes record it; `passed` is worked out from the votes.")
class RecordYizhenghuiResolutionInput:
    project_id: strawberry.ID
    meeting_date: dt.date
    attendees: int
    votes_for: int
    votes_against: int
    minutes_no: str
    votes_abstain: int = 0


@strawberry.type
class RecordYizhenghuiResolutionPayload:
    resolution: Optional[YizhenghuiResolution] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def resolution_node(r: Resolution, public: bool) -> YizhenghuiResolution:
    return YizhenghuiResolution(
        id=strawberry.ID(to_global_id("YizhenghuiResolution", r.id)),
        project_id=strawberry.ID(to_global_id("Project", r.project_id)), meeting_date=r.meeting_date,
        attendees=r.attendees, votes_for=r.votes_for, votes_against=r.votes_against, votes_abstain=r.votes_abstain,
        passed=r.passed, minutes_no=r.minutes_no, recorded_by=None if public else r.recorded_by,
        recorded_at=r.recorded_at)


@strawberry.type
class YizhenghuiProjectFields:
    """Fields joined into ``Project``; ``self`` is a project the reader may already read."""

    @strawberry.field(description="Resolutions of the town's 议政会 on this project, latest meeting first.")
    def yizhenghui_resolutions(self, info: strawberry.Info) -> list[YizhenghuiResolution]:
        ctx: RequestContext = info.context
        found = batched(self, "yizhenghui.resolutions", lambda ids: of_projects(ctx.sql, ids), [])
        return [resolution_node(r, ctx.actor.is_public) for r in found]


@strawberry.type
class YizhenghuiMutation:
    @strawberry.mutation(description="Record a resolution of the town's 议政会 on a project (government office "
                                     "or congress of the project's area).")
    def record_yizhenghui_resolution(self, info: strawberry.Info,
                                     input: RecordYizhenghuiResolutionInput) -> RecordYizhenghuiResolutionPayload:
        ctx: RequestContext = info.context

        def run() -> dict[str, Any]:
            project_id = from_global_id(input.project_id, "Project", ["input", "projectId"])
            new = NewResolution(input.meeting_date, input.attendees, input.votes_for, input.votes_against,
                                input.votes_abstain, input.minutes_no)
            return {"resolution": resolution_node(record_resolution(ctx.engine, ctx.actor, project_id, new), False)}

        return payload(RecordYizhenghuiResolutionPayload, run)


def extension() -> GraphQLExtension:
    return GraphQLExtension(mutation=YizhenghuiMutation, project=YizhenghuiProjectFields)
