"""What the inspection plugin adds to the GraphQL API.

- ``Project.inspections`` / ``Project.rectifications`` (the public sees a reduced view, see ``graphql_types``);
- ``Query.overdueRectifications(region, unit, first)`` inside the reader's area;
- ``Mutation.recordInspection``, ``markRectificationDone``, ``verifyRectification`` and ``reverseInspection``
  (``graphql_corrections``) with ``userErrors`` and an ``idempotencyKey``.

Projects, regions, units and rectifications are referred to by Relay global ids.
"""
from __future__ import annotations

from typing import Any

import strawberry

from engine.directory.access import reach
from engine.api.batch import batched
from engine.api.context import RequestContext
from engine.api.errors import payload
from engine.api.extension import GraphQLExtension
from engine.api.ids import from_global_id

from plugins.inspection import inspections, overdue, records, rectifications
from plugins.inspection.graphql_corrections import InspectionCorrectionMutation
from plugins.inspection.graphql_types import (Inspection, InspectionKind,
                                              MarkRectificationDoneInput, RecordInspectionInput,
                                              RecordInspectionPayload, Rectification, RectificationPayload,
                                              RectificationStatus, VerifyRectificationInput, inspection_node,
                                              rectification_node)


def _new_inspection(data: RecordInspectionInput) -> inspections.NewInspection:
    findings = [inspections.Finding(f.description, f.deadline,
                                    None if f.unit_id is None else
                                    from_global_id(f.unit_id, "Unit", ["input", "findings", str(i), "unitId"]))
                for i, f in enumerate(data.findings)]
    return inspections.NewInspection(data.kind.value, data.date, data.result.value, list(data.inspectors),
                                     data.notes, findings)


@strawberry.type
class InspectionProjectFields:
    """Fields joined into ``Project``; ``self`` is the project, already readable by the reader."""

    @strawberry.field(description="Inspections of the project (视察/督查/验收), newest first.")
    def inspections(self, info: strawberry.Info, kind: InspectionKind | None = None) -> list[Inspection]:
        ctx: RequestContext = info.context
        rows = batched(self, "inspection.inspections", lambda ids: records.inspections_of_projects(ctx.sql, ids), [])
        public = reach(ctx.engine, ctx.actor).redacted
        return [inspection_node(r, public) for r in rows if (kind is None or r.kind == kind.value)
                and not (public and r.reversed_reason is not None)]

    @strawberry.field(description="Rectifications (整改) of the project, oldest first.")
    def rectifications(self, info: strawberry.Info,
                       status: RectificationStatus | None = None) -> list[Rectification]:
        ctx: RequestContext = info.context
        wanted = None if status is None else status.value
        rows = batched(self, ("inspection.rectifications", wanted),
                       lambda ids: records.rectifications_of_projects(ctx.sql, ids, wanted), [])
        today = ctx.engine.clock.today()
        return [rectification_node(r, today, reach(ctx.engine, ctx.actor).redacted) for r in rows]


@strawberry.type
class InspectionQuery:
    @strawberry.field(description="Overdue rectifications (逾期未整改: not verified, deadline passed) in the "
                                  "reader's area, optionally of one region (and everything below) and/or one "
                                  "responsible unit; most overdue first.")
    def overdue_rectifications(self, info: strawberry.Info, region: strawberry.ID | None = None,
                               unit: strawberry.ID | None = None, first: int = overdue.DEFAULT_FIRST,
                               ) -> list[Rectification]:
        ctx: RequestContext = info.context
        region_id = None if region is None else from_global_id(region, "Region", ["region"])
        unit_id = None if unit is None else from_global_id(unit, "Unit", ["unit"])
        rows = overdue.in_area(ctx.engine, ctx.sql, ctx.actor, region_id, unit_id, first)
        today = ctx.engine.clock.today()
        return [rectification_node(r, today, reach(ctx.engine, ctx.actor).redacted) for r in rows]


@strawberry.type
class InspectionMutation(InspectionCorrectionMutation):
    @strawberry.mutation(description="Record an inspection; each finding opens a rectification (整改).")
    def record_inspection(self, info: strawberry.Info, input: RecordInspectionInput) -> RecordInspectionPayload:
        ctx: RequestContext = info.context

        def run() -> dict[str, Any]:
            project_id = from_global_id(input.project_id, "Project", ["input", "projectId"])
            recorded = inspections.record_inspection(ctx.engine, ctx.actor, project_id, _new_inspection(input),
                                                     input.idempotency_key)
            today = ctx.engine.clock.today()
            return {"inspection": inspection_node(recorded.inspection, False),
                    "rectifications": [rectification_node(r, today, False) for r in recorded.rectifications]}

        return payload(RecordInspectionPayload, run)

    @strawberry.mutation(description="The responsible unit (or the office) reports a rectification done.")
    def mark_rectification_done(self, info: strawberry.Info,
                                input: MarkRectificationDoneInput) -> RectificationPayload:
        ctx: RequestContext = info.context
        return payload(RectificationPayload, lambda: _moved(ctx, rectifications.mark_done, input))

    @strawberry.mutation(description="The office, a supervisor or the committee verifies a done rectification "
                                     "(核验销号); not the person who marked it done.")
    def verify_rectification(self, info: strawberry.Info, input: VerifyRectificationInput) -> RectificationPayload:
        ctx: RequestContext = info.context
        return payload(RectificationPayload, lambda: _moved(ctx, rectifications.verify, input))


def _moved(ctx: RequestContext, move: Any, data: MarkRectificationDoneInput | VerifyRectificationInput,
           ) -> dict[str, Any]:
    rectification_id = from_global_id(data.rectification_id, "Rectification", ["input", "rectificationId"])
    moved = move(ctx.engine, ctx.actor, rectification_id, data.note, data.idempotency_key)
    return {"rectification": rectification_node(moved, ctx.engine.clock.today(), False)}


def extension() -> GraphQLExtension:
    return GraphQLExtension(query=InspectionQuery, mutation=InspectionMutation, project=InspectionProjectFields)
