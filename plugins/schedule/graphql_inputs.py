"""The schedule plugin's GraphQL input types and their translation to the service layer's inputs (global ids
parsed, each problem at its path)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Optional

import strawberry

from engine.api.ids import from_global_id
from plugins.schedule import measures, progress, targets


KEY_HELP = "Repeat-safe key (≤ 100 chars): a retried request answers what is stored and writes nothing."


@strawberry.input(description="A target 指标: leave id out for a new one; targets left out are taken off the plan.")
class TargetInput:
    id: Optional[strawberry.ID] = None
    name: str
    unit: str = strawberry.field(description="The unit of measure 计量单位, e.g. 个.")
    target_value: Decimal = strawberry.field(description="More than 0, at most four decimal places.")
    baseline: Optional[Decimal] = strawberry.field(default=None, description="基数, zero or more.")


@strawberry.input(description="Set a project's targets (while it is planned, or right after 动态调整).")
class SetTargetsInput:
    project_id: strawberry.ID
    targets: list[TargetInput]
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="A target's actual value 完成值 as of a date.")
class ActualInput:
    target_id: strawberry.ID
    value: Decimal = strawberry.field(description="Zero or more, at most four decimal places.")
    reported_on: Optional[dt.date] = strawberry.field(default=None, description="Default: today.")
    note: Optional[str] = None


@strawberry.input(description="Report the actuals of one or more targets.")
class ReportActualsInput:
    project_id: strawberry.ID
    actuals: list[ActualInput]
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="A measure or milestone 措施/节点: leave id out for a new one.")
class MeasureInput:
    id: Optional[strawberry.ID] = None
    title: str
    unit_id: strawberry.ID = strawberry.field(description="The lead unit or one of the cooperating units.")
    due_date: dt.date = strawberry.field(description="Not after the project's planned end.")
    weight: Optional[Decimal] = strawberry.field(default=None, description="More than 0; default 1 (equal).")


@strawberry.input(description="Set a project's plan; measures left out are taken off it.")
class SetMeasuresInput:
    project_id: strawberry.ID
    measures: list[MeasureInput]
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="Mark a measure done (or, with done: false, not done again).")
class MarkMeasureDoneInput:
    measure_id: strawberry.ID
    done: bool = True
    done_on: Optional[dt.date] = strawberry.field(default=None, description="Default: today.")
    evidence: Optional[str] = strawberry.field(default=None, description="Required when done: what shows it.")
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input(description="File a progress report 进度报告.")
class ReportProgressInput:
    project_id: strawberry.ID
    percent: int = strawberry.field(description="0–100; not lower than the latest report unless a reason is given.")
    reported_on: Optional[dt.date] = strawberry.field(default=None, description="Default: today.")
    narrative: Optional[str] = None
    problems: Optional[str] = None
    next_steps: Optional[str] = None
    reason: Optional[str] = strawberry.field(default=None, description="Why the percent is lower, if it is.")
    idempotency_key: Optional[str] = strawberry.field(default=None, description=(
        "Repeat-safe key (≤ 100 chars): a retried request answers the first report and writes nothing."))


@strawberry.input(description="Set a project's cooperating units 配合单位 (the lead unit is not one of them).")
class SetCooperatingUnitsInput:
    project_id: strawberry.ID
    unit_ids: list[strawberry.ID]
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


def _optional_id(value: Optional[str], type_name: str, path: list[str]) -> int | None:
    return None if value is None else from_global_id(value, type_name, path)


def target_items(i: SetTargetsInput) -> list[targets.TargetInput]:
    return [targets.TargetInput(_optional_id(t.id, "ScheduleTarget", ["input", "targets", str(n), "id"]), t.name,
                                t.unit, t.target_value, t.baseline) for n, t in enumerate(i.targets)]


def actual_items(i: ReportActualsInput) -> list[targets.ActualInput]:
    return [targets.ActualInput(from_global_id(a.target_id, "ScheduleTarget", ["input", "actuals", str(n),
                                                                               "targetId"]),
                                a.value, a.reported_on, a.note) for n, a in enumerate(i.actuals)]


def measure_items(i: SetMeasuresInput) -> list[measures.MeasureInput]:
    return [measures.MeasureInput(_optional_id(m.id, "ScheduleMeasure", ["input", "measures", str(n), "id"]), m.title,
                                  from_global_id(m.unit_id, "Unit", ["input", "measures", str(n), "unitId"]),
                                  m.due_date, m.weight) for n, m in enumerate(i.measures)]


def progress_item(i: ReportProgressInput) -> progress.ProgressInput:
    return progress.ProgressInput(i.percent, i.reported_on, i.narrative, i.problems, i.next_steps, i.reason,
                                  i.idempotency_key)


def unit_ids(i: SetCooperatingUnitsInput) -> list[int]:
    return [from_global_id(u, "Unit", ["input", "unitIds", str(n)]) for n, u in enumerate(i.unit_ids)]
