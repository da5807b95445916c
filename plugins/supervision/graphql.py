"""What the supervision plugin adds to the GraphQL API.

- ``Project.deadlines`` and ``Project.notices`` (empty for the public and public-scope roles);
- ``Query.notices(region, unit, state, first, after)``: a Relay connection within the reader's reach;
- ``Mutation.acknowledgeNotice`` / ``answerNotice`` (the addressed unit's clerk) and ``closeNotice`` (the office),
  each with ``userErrors``.
"""
from __future__ import annotations

from typing import Any, Optional

import strawberry

from engine.api.access import readable_region
from engine.api.batch import batched
from engine.api.context import RequestContext
from engine.api.errors import payload
from engine.api.extension import GraphQLExtension
from engine.api.ids import from_global_id
from engine.errors import FieldProblem, InvalidInput

from plugins.supervision import moves, notices, project_deadlines
from plugins.supervision.graphql_types import (AcknowledgeNoticeInput, AnswerNoticeInput, CloseNoticeInput,
                                               Deadline, DeadlineStep, NoticeConnection, NoticeEdge,
                                               NoticePageInfo, NoticePayload, NoticeStatus, SupervisionNotice,
                                               after_id, cursor, notice_node)

MAX_FIRST = 100


@strawberry.type
class SupervisionProjectFields:
    """Fields joined into ``Project``; ``self`` is the project, already readable by the reader."""

    @strawberry.field(description="Deadlines the supervision tick watches on this project, with each escalation "
                                  "step's date; empty for the public.")
    def deadlines(self, info: strawberry.Info) -> list[Deadline]:
        ctx: RequestContext = info.context
        if not notices.visible_to(ctx.engine, ctx.actor):
            return []
        found = batched(self, "supervision.deadlines",
                        lambda ids: project_deadlines.of_projects(ctx.engine, ctx.sql, ids), [])
        unit = notices.own_unit(ctx.engine, ctx.actor)
        if unit is not None:  # a cooperating unit's clerk: its own measures' deadlines only
            found = [d for d in found if d.lead_unit_id == unit or d.unit_id == unit]
        return [Deadline(key=d.key, label=d.label, due_on=d.due_on, status=d.status,
                         steps=[DeadlineStep(step=s.step, label=s.label, on=on, addressee=s.to, issued=issued,
                                             passed_over=passed) for s, on, issued, passed in d.steps]) for d in found]

    @strawberry.field(description="Supervision notices (督办单) of this project, oldest first; empty for the "
                                  "public.")
    def notices(self, info: strawberry.Info) -> list[SupervisionNotice]:
        ctx: RequestContext = info.context
        if not notices.visible_to(ctx.engine, ctx.actor):
            return []
        return [notice_node(n) for n in batched(self, "supervision.notices",
                                                lambda ids: notices.of_projects(ctx.sql, ids), [])
                if notices.sees(ctx.engine, ctx.actor, n)]


@strawberry.type
class SupervisionQuery:
    @strawberry.field(name="notices", description="Supervision notices (督办单) the reader reaches, oldest first, "
                                                  "optionally of one region (and below), one responsible unit, one "
                                                  "status. The public sees none.")
    def notices_page(self, info: strawberry.Info, region: Optional[strawberry.ID] = None,
                     unit: Optional[strawberry.ID] = None, state: Optional[NoticeStatus] = None, first: int = 20,
                     after: Optional[str] = None) -> NoticeConnection:
        ctx: RequestContext = info.context
        if not 1 <= first <= MAX_FIRST:
            raise InvalidInput([FieldProblem(["first"], f"must be between 1 and {MAX_FIRST}, got {first}")])
        start = after_id(after)
        path = None
        if region is not None:
            path = readable_region(ctx.engine, ctx.sql, ctx.actor, from_global_id(region, "Region", ["region"])).path
        unit_id = None if unit is None else from_global_id(unit, "Unit", ["unit"])
        rows = notices.page(ctx.engine, ctx.sql, ctx.actor, path, unit_id, None if state is None else state.value,
                            start, first)
        edges = [NoticeEdge(cursor=cursor(n.id), node=notice_node(n)) for n in rows[:first]]
        return NoticeConnection(edges=edges, page_info=NoticePageInfo(
            has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None))


def _moved(ctx: RequestContext, move: Any, notice_id: strawberry.ID, *args: Any,
           idempotency_key: str | None = None) -> dict[str, Any]:
    database_id = from_global_id(notice_id, "SupervisionNotice", ["input", "noticeId"])
    return {"notice": notice_node(move(ctx.engine, ctx.actor, database_id, *args,
                                       idempotency_key=idempotency_key))}


@strawberry.type
class SupervisionMutation:
    @strawberry.mutation(description="The addressed unit signs for a notice (签收).")
    def acknowledge_notice(self, info: strawberry.Info, input: AcknowledgeNoticeInput) -> NoticePayload:
        return payload(NoticePayload, lambda: _moved(info.context, moves.acknowledge, input.notice_id,
                                                               idempotency_key=input.idempotency_key))

    @strawberry.mutation(description="The addressed unit answers a notice it signed for (反馈).")
    def answer_notice(self, info: strawberry.Info, input: AnswerNoticeInput) -> NoticePayload:
        return payload(NoticePayload, lambda: _moved(info.context, moves.answer, input.notice_id, input.answer,
                                                               idempotency_key=input.idempotency_key))

    @strawberry.mutation(description="The supervision office closes an answered notice (办结).")
    def close_notice(self, info: strawberry.Info, input: CloseNoticeInput) -> NoticePayload:
        return payload(NoticePayload, lambda: _moved(info.context, moves.close, input.notice_id, input.note,
                                                               idempotency_key=input.idempotency_key))


def extension() -> GraphQLExtension:
    return GraphQLExtension(query=SupervisionQuery, mutation=SupervisionMutation, project=SupervisionProjectFields)
