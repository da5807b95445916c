"""The schedule plugin's GraphQL API: ``Project.targets``, ``measures``, ``cooperatingUnits``, ``progressReports``
and ``latestProgress``; the mutations ``setTargets``, ``reportActuals``, ``setMeasures``, ``markMeasureDone``,
``reportProgress`` and ``setCooperatingUnits``, each answering refusals as ``userErrors``.

A project field is resolved only on a project the reader may read; the public's view is redacted (see
``graphql_types``). Mutations open their own transactions through the service modules.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import strawberry
from strawberry.types import Info

from engine.directory.access import reach
from engine.api.batch import ProjectBatch, batch_of, batched
from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.extension import GraphQLExtension
from engine.api.ids import database_id_of, decode_pair, from_global_id
from engine.api.types import Unit
from engine.errors import FieldProblem, InvalidInput
from engine.texts import shown
from plugins.schedule import graphql_inputs as gi
from plugins.schedule import measures, progress, targets, units
from plugins.schedule.graphql_pace import PaceProjectFields, PaceQuery
from plugins.schedule.graphql_types import (CURSOR_PREFIX, ProgressReport, ProgressReportConnection,
                                            ScheduleMeasure, ScheduleTarget, connection, target_list, unit_list)

PROJECT_ID = ["input", "projectId"]
MAX_PAGE = 100


def _detailed(ctx: RequestContext) -> bool:
    return not reach(ctx.engine, ctx.actor).redacted


def _project(input: Any) -> int:
    return from_global_id(input.project_id, "Project", PROJECT_ID)


def _targets(ctx: RequestContext, project_id: int) -> list[ScheduleTarget]:
    return _target_list(ctx, ProjectBatch((project_id,)), project_id)


def _target_list(ctx: RequestContext, batch: ProjectBatch, project_id: int) -> list[ScheduleTarget]:
    """The project's targets with their actuals, loaded for its whole batch (two queries)."""
    history = batch.load("schedule.actuals", lambda ids: targets.actuals_of(ctx.sql, ids), project_id, [])
    plan = batch.load("schedule.targets", lambda ids: targets.targets_of(ctx.sql, ids, batch.loaded[
        "schedule.actuals"]), project_id, [])
    return target_list(plan, history, _detailed(ctx))


def _after_write(info: Info, project_id: int) -> list[ScheduleTarget]:
    from pony import orm

    with orm.db_session:
        return _targets(info.context, project_id)


@strawberry.type
class SetTargetsPayload:
    targets: Optional[list[ScheduleTarget]] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReportActualsPayload:
    targets: Optional[list[ScheduleTarget]] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetMeasuresPayload:
    measures: Optional[list[ScheduleMeasure]] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MarkMeasureDonePayload:
    measure: Optional[ScheduleMeasure] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ReportProgressPayload:
    report: Optional[ProgressReport] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetCooperatingUnitsPayload:
    cooperating_units: Optional[list[Unit]] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _body(info: Info, run: Callable[[RequestContext], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    return lambda: run(info.context)


@strawberry.type
class ScheduleMutation:
    @strawberry.mutation(description="Set a project's targets 指标 (政府办, 财政, its lead unit): while it is planned, "
                                     "or right after a 动态调整 (adjust) decision.")
    def set_targets(self, info: Info, input: gi.SetTargetsInput) -> SetTargetsPayload:
        def run(c: RequestContext) -> dict[str, Any]:
            pid = _project(input)
            targets.set_targets(c.engine, c.actor, pid, gi.target_items(input), input.idempotency_key)
            return {"targets": _after_write(info, pid)}
        return payload(SetTargetsPayload, _body(info, run))

    @strawberry.mutation(description="Report actuals 完成值 of a project's targets (its lead unit, 政府办).")
    def report_actuals(self, info: Info, input: gi.ReportActualsInput) -> ReportActualsPayload:
        def run(c: RequestContext) -> dict[str, Any]:
            pid = _project(input)
            targets.report_actuals(c.engine, c.actor, pid, gi.actual_items(input), input.idempotency_key)
            return {"targets": _after_write(info, pid)}
        return payload(ReportActualsPayload, _body(info, run))

    @strawberry.mutation(description="Set a project's measures and milestones 措施/节点 (政府办, 财政, its lead unit).")
    def set_measures(self, info: Info, input: gi.SetMeasuresInput) -> SetMeasuresPayload:
        def run(c: RequestContext) -> dict[str, Any]:
            plan = measures.set_measures(c.engine, c.actor, _project(input), gi.measure_items(input),
                                         input.idempotency_key)
            return {"measures": [ScheduleMeasure.of(m) for m in plan]}
        return payload(SetMeasuresPayload, _body(info, run))

    @strawberry.mutation(description="Mark a measure done 完成 (the lead unit, 政府办; a cooperating unit: its own "
                                     "measures only).")
    def mark_measure_done(self, info: Info, input: gi.MarkMeasureDoneInput) -> MarkMeasureDonePayload:
        def run(c: RequestContext) -> dict[str, Any]:
            measure_id = from_global_id(input.measure_id, "ScheduleMeasure", ["input", "measureId"])
            done = measures.mark_measure_done(c.engine, c.actor, measure_id, input.done, input.done_on,
                                              input.evidence, input.idempotency_key)
            return {"measure": ScheduleMeasure.of(done)}
        return payload(MarkMeasureDonePayload, _body(info, run))

    @strawberry.mutation(description="File a progress report 进度报告 (the lead unit, 政府办).")
    def report_progress(self, info: Info, input: gi.ReportProgressInput) -> ReportProgressPayload:
        def run(c: RequestContext) -> dict[str, Any]:
            report = progress.report_progress(c.engine, c.actor, _project(input), gi.progress_item(input))
            return {"report": ProgressReport.of(report)}
        return payload(ReportProgressPayload, _body(info, run))

    @strawberry.mutation(description="Set a project's cooperating units 配合单位 (政府办, 财政, its lead unit); their "
                                     "clerks then read the project and mark their own measures done.")
    def set_cooperating_units(self, info: Info, input: gi.SetCooperatingUnitsInput) -> SetCooperatingUnitsPayload:
        def run(c: RequestContext) -> dict[str, Any]:
            refs = units.set_cooperating_units(c.engine, c.actor, _project(input), gi.unit_ids(input),
                                               input.idempotency_key)
            return {"cooperating_units": unit_list(refs)}
        return payload(SetCooperatingUnitsPayload, _body(info, run))


def _before(after: Optional[str]) -> int | None:
    if after is None:
        return None
    pair = decode_pair(after)
    report_id = database_id_of(pair[1]) if pair and pair[0] == CURSOR_PREFIX else None
    if report_id is None:
        raise InvalidInput([FieldProblem(["after"], f"'{shown(after)}' is not a cursor from this API")])
    return report_id


@strawberry.type
class ScheduleProjectFields(PaceProjectFields):
    @strawberry.field(description="Quantified targets 指标 with their actuals and completion.")
    def targets(self, info: Info) -> list[ScheduleTarget]:
        return _target_list(info.context, batch_of(self), self.database_id)  # type: ignore[attr-defined]

    @strawberry.field(description="The plan: measures and milestones 措施/节点. Null for the public.")
    def measures(self, info: Info) -> Optional[list[ScheduleMeasure]]:
        if not _detailed(info.context):
            return None
        plan = batched(self, "schedule.measures", lambda ids: measures.measures_of(info.context.sql, ids), [])
        return [ScheduleMeasure.of(m) for m in plan]

    @strawberry.field(description="The cooperating units 配合单位 (the lead unit is leadUnit).")
    def cooperating_units(self, info: Info) -> list[Unit]:
        return unit_list(batched(self, "schedule.cooperating", lambda ids: units.cooperating_of(info.context.sql, ids),
                                 []))

    @strawberry.field(description="Progress reports 进度报告, newest first (first ≤ 100). Null for the public.")
    def progress_reports(self, info: Info, first: int = 20,
                         after: Optional[str] = None) -> Optional[ProgressReportConnection]:
        if not _detailed(info.context):
            return None
        size, before = max(1, min(first, MAX_PAGE)), _before(after)
        reports, more = batched(self, ("schedule.reports", size, before),
                                lambda ids: progress.pages(info.context.sql, ids, size, before), ([], False))
        return connection(reports, more)

    @strawberry.field(description="The current progress: the latest report (by date). The public sees its percent "
                                  "and date only.")
    def latest_progress(self, info: Info) -> Optional[ProgressReport]:
        report = batched(self, "schedule.latest", lambda ids: progress.latest_of(info.context.sql, ids))
        return None if report is None else ProgressReport.of(report, _detailed(info.context))


def extension() -> GraphQLExtension:
    return GraphQLExtension(query=PaceQuery, mutation=ScheduleMutation, project=ScheduleProjectFields)
