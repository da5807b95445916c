"""The schedule plugin's GraphQL output types, built from plain records (never pony entities).

What the public (and a public-scope role) sees of a published project: targets with their actuals and
completion, the cooperating units, and the latest percent with its date. Narratives, problems, next steps,
reasons, reporters, notes, evidence and the plan of measures are null for it.
"""
from __future__ import annotations

import base64
import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Optional

import strawberry

from engine.api.ids import to_global_id
from engine.api.queries import PageInfo
from engine.api.types import Unit
from plugins.schedule import measures, progress, targets, units


@strawberry.type(name="TargetActual", description="An actual value 完成值 of a target as of a date.")
class TargetActual:
    value: Decimal
    reported_on: dt.date
    note: Optional[str] = strawberry.field(description="Null for the public.")
    reporter_name: Optional[str] = strawberry.field(description="Who reported it; null for the public.")

    @classmethod
    def of(cls, a: targets.Actual, detailed: bool) -> TargetActual:
        return cls(value=a.value, reported_on=a.reported_on, note=a.note if detailed else None,
                   reporter_name=a.reporter_name if detailed else None)


@strawberry.type(name="ScheduleTarget", description="A quantified target 指标, e.g. 5G base stations, 个, 120, with "
                                                    "its latest actual and completion.")
class ScheduleTarget:
    id: strawberry.ID
    name: str
    unit: str = strawberry.field(description="The unit of measure 计量单位, e.g. 个, km.")
    target_value: Decimal
    baseline: Optional[Decimal]
    actual: Optional[Decimal] = strawberry.field(description="The latest actual 完成值; null before any.")
    actual_on: Optional[dt.date] = strawberry.field(description="The date of the latest actual.")
    completion: Optional[Decimal] = strawberry.field(
        description="完成率 = actual / target, percent with two places (453 / 120 → 377.50; may exceed 100).")
    actuals: list[TargetActual] = strawberry.field(description="Every actual reported, newest first.")

    @classmethod
    def of(cls, t: targets.Target, history: list[targets.Actual], detailed: bool) -> ScheduleTarget:
        return cls(id=strawberry.ID(to_global_id("ScheduleTarget", t.id)), name=t.name, unit=t.unit,
                   target_value=t.target_value, baseline=t.baseline, actual=t.actual.value if t.actual else None,
                   actual_on=t.actual.reported_on if t.actual else None, completion=t.completion,
                   actuals=[TargetActual.of(a, detailed) for a in history])


def target_list(project_targets: list[targets.Target], history: list[targets.Actual],
                detailed: bool) -> list[ScheduleTarget]:
    return [ScheduleTarget.of(t, [a for a in history if a.target_id == t.id], detailed) for t in project_targets]


@strawberry.enum(name="MeasureRole", description="Whether a measure's responsible unit leads the project (牵头) or "
                                                 "cooperates on it (配合).")
class MeasureRole(Enum):
    LEAD = "lead"
    COOPERATING = "cooperating"


@strawberry.type(name="ScheduleMeasure", description="A measure or milestone 措施/节点 of a project's plan.")
class ScheduleMeasure:
    id: strawberry.ID
    title: str
    unit_id: strawberry.ID = strawberry.field(description="The responsible unit.")
    unit_name: str
    role: MeasureRole
    due_date: dt.date
    weight: Decimal = strawberry.field(description="Its weight in the plan (default 1: all equal).")
    done: bool
    done_on: Optional[dt.date]
    evidence: Optional[str] = strawberry.field(description="What shows it is done 佐证材料.")
    done_by: Optional[str]

    @classmethod
    def of(cls, m: measures.Measure) -> ScheduleMeasure:
        return cls(id=strawberry.ID(to_global_id("ScheduleMeasure", m.id)),
                   unit_id=strawberry.ID(to_global_id("Unit", m.unit_id)), unit_name=m.unit_name, title=m.title,
                   role=MeasureRole.LEAD if m.lead else MeasureRole.COOPERATING, due_date=m.due_on,
                   weight=m.weight, done=m.done, done_on=m.done_on, evidence=m.evidence, done_by=m.done_by)


def unit_list(refs: list[units.UnitRef]) -> list[Unit]:
    return [Unit.of(u.id, u.code, u.name, u.region_id) for u in refs]


@strawberry.type(name="ProgressReport", description="A progress report 进度报告. The public sees the percent and "
                                                    "the date only.")
class ProgressReport:
    id: strawberry.ID
    reported_on: dt.date
    percent: int = strawberry.field(description="Percent complete, 0–100.")
    narrative: Optional[str] = strawberry.field(description="What was done 进展情况; null for the public.")
    problems: Optional[str] = strawberry.field(description="存在问题; null for the public.")
    next_steps: Optional[str] = strawberry.field(description="下一步计划; null for the public.")
    reason: Optional[str] = strawberry.field(description="Why the percent went down, if it did; null for the public.")
    reporter_name: Optional[str] = strawberry.field(description="Who reported; null for the public.")
    created_at: Optional[dt.datetime] = strawberry.field(description="When it was filed; null for the public.")

    @classmethod
    def of(cls, r: progress.Report, detailed: bool = True) -> ProgressReport:
        if not detailed:
            return cls(id=strawberry.ID(to_global_id("ProgressReport", r.id)), reported_on=r.reported_on,
                       percent=r.percent, narrative=None, problems=None, next_steps=None, reason=None,
                       reporter_name=None, created_at=None)
        return cls(id=strawberry.ID(to_global_id("ProgressReport", r.id)), reported_on=r.reported_on,
                   percent=r.percent, narrative=r.narrative, problems=r.problems, next_steps=r.next_steps,
                   reason=r.reason, reporter_name=r.reporter_name, created_at=r.created_at)


@strawberry.type(name="ProgressReportEdge")
class ProgressReportEdge:
    cursor: str
    node: ProgressReport


@strawberry.type(name="ProgressReportConnection", description="Progress reports, newest first.")
class ProgressReportConnection:
    edges: list[ProgressReportEdge]
    page_info: PageInfo


CURSOR_PREFIX = "progress"


def report_cursor(report_id: int) -> str:
    return base64.b64encode(f"{CURSOR_PREFIX}:{report_id}".encode()).decode()


def connection(reports: list[progress.Report], more: bool) -> ProgressReportConnection:
    edges = [ProgressReportEdge(cursor=report_cursor(r.id), node=ProgressReport.of(r)) for r in reports]
    return ProgressReportConnection(edges=edges, page_info=PageInfo(has_next_page=more,
                                                                    end_cursor=edges[-1].cursor if edges else None))
