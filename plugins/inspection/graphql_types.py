"""GraphQL types of the inspection plugin, and how plain records become them for a given reader.

The public (no token) sees an inspection's kind, date and result, never its inspectors' names or notes; it sees
a rectification's description, responsible unit, deadline and status, never who closed it or their notes.
"""
from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

from engine.api.errors import UserError
from engine.api.ids import to_global_id
from engine.api.types import Unit

from plugins.inspection import records
from plugins.inspection.vocabulary import INSPECTION_KINDS, INSPECTION_RESULTS, RECTIFICATION_STATUSES


@strawberry.enum(description="How a project was inspected: 人大视察, 督查, 随机抽查, 明察暗访, 第三方评估, 验收, 管护巡查 (custody inspection, only during the custody period).")
class InspectionKind(Enum):
    NPC_INSPECTION = "npc_inspection"
    SUPERVISION = "supervision"
    RANDOM_CHECK = "random_check"
    UNANNOUNCED_VISIT = "unannounced_visit"
    THIRD_PARTY = "third_party"
    ACCEPTANCE = "acceptance"
    CUSTODY = "custody"


@strawberry.enum(description="What an inspection concluded: 通过, 未通过, or findings without a verdict.")
class InspectionResult(Enum):
    PASS = "pass"
    FAIL = "fail"
    FINDINGS_ONLY = "findings_only"


@strawberry.enum(description="Where a rectification (整改) stands: open → done (整改完成) → verified (核验销号).")
class RectificationStatus(Enum):
    OPEN = "open"
    DONE = "done"
    VERIFIED = "verified"


@strawberry.type(description="An inspection of a project (视察/督查/抽查/明察暗访/第三方评估/验收).")
class Inspection:
    id: strawberry.ID
    kind: InspectionKind
    kind_label: str
    date: dt.date
    result: InspectionResult
    result_label: str
    inspectors: list[str] | None = strawberry.field(description="Inspectors' names; null for the public.")
    notes: str | None = strawberry.field(description="Internal notes; null for the public.")
    recorded_at: dt.datetime
    reversed_reason: str | None = strawberry.field(description="Why it was reversed (冲正); a reversed inspection no "
                                                               "longer counts. Null when in force and for the public.")


@strawberry.type(description="A rectification (整改): what must be fixed, by which unit, by when, and its progress.")
class Rectification:
    id: strawberry.ID
    project_id: strawberry.ID
    project_code: str
    project_title: str
    inspection_id: strawberry.ID | None = strawberry.field(description="The inspection that found it, if any.")
    origin: str = strawberry.field(description="'inspection', or the workflow event that opened it.")
    description: str
    unit: Unit | None = strawberry.field(description="The responsible unit (责任单位); null when unassigned.")
    deadline: dt.date
    status: RectificationStatus
    status_label: str
    overdue: bool = strawberry.field(description="Not verified and past its deadline (逾期).")
    days_overdue: int
    opened_at: dt.datetime
    done_at: dt.datetime | None
    done_by_actor_id: int | None = strawberry.field(description="Who marked it done; null for the public.")
    done_by_name: str | None = strawberry.field(description="Null for the public.")
    done_note: str | None = strawberry.field(description="The unit's report; null for the public.")
    verified_at: dt.datetime | None
    verified_by_actor_id: int | None = strawberry.field(description="Who verified it; null for the public.")
    verified_by_name: str | None = strawberry.field(description="Null for the public.")
    verify_note: str | None = strawberry.field(description="Null for the public.")


@strawberry.type
class RecordInspectionPayload:
    inspection: Inspection | None = None
    rectifications: list[Rectification] = strawberry.field(default_factory=list,
                                                          description="One per finding, opened with it.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RectificationPayload:
    rectification: Rectification | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


KEY_HELP = "Repeat-safe key (≤ 100 chars): a retried request answers the first result and writes nothing."


@strawberry.input(description="A problem found: what to fix, the deadline, and the responsible unit "
                              "(default: the project's lead unit 牵头单位).")
class RectificationFindingInput:
    description: str
    deadline: dt.date
    unit_id: strawberry.ID | None = None


@strawberry.input
class RecordInspectionInput:
    project_id: strawberry.ID
    kind: InspectionKind
    date: dt.date
    result: InspectionResult
    inspectors: list[str] = strawberry.field(default_factory=list)
    notes: str | None = None
    findings: list[RectificationFindingInput] = strawberry.field(default_factory=list)
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class MarkRectificationDoneInput:
    rectification_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="整改情况说明")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class VerifyRectificationInput:
    rectification_id: strawberry.ID
    note: str | None = strawberry.field(default=None, description="核验意见")
    idempotency_key: str | None = strawberry.field(default=None, description=KEY_HELP)


def inspection_node(record: records.Inspection, public: bool) -> Inspection:
    """The GraphQL view of an inspection for a reader (the public sees no names and no notes)."""
    return Inspection(
        id=strawberry.ID(to_global_id("Inspection", record.id)), kind=InspectionKind(record.kind),
        kind_label=INSPECTION_KINDS[record.kind], date=record.held_on, result=InspectionResult(record.result),
        result_label=INSPECTION_RESULTS[record.result], inspectors=None if public else list(record.inspectors),
        notes=None if public else record.notes, recorded_at=record.recorded_at,
        reversed_reason=None if public else record.reversed_reason)


def rectification_node(record: records.Rectification, today: dt.date, public: bool) -> Rectification:
    """The GraphQL view of a rectification for a reader (the public sees no actors and no notes)."""
    days = record.days_overdue(today)
    internal = {"done_by_actor_id": record.done_by, "done_by_name": record.done_by_name,
                "done_note": record.done_note, "verified_by_actor_id": record.verified_by,
                "verified_by_name": record.verified_by_name, "verify_note": record.verify_note}
    return Rectification(
        id=strawberry.ID(to_global_id("Rectification", record.id)),
        project_id=strawberry.ID(to_global_id("Project", record.project_id)), project_code=record.project_code,
        project_title=record.project_title, inspection_id=_global("Inspection", record.inspection_id),
        origin=record.origin, description=record.description, unit=_unit(record), deadline=record.deadline,
        status=RectificationStatus(record.status), status_label=RECTIFICATION_STATUSES[record.status],
        overdue=days > 0, days_overdue=days, opened_at=record.opened_at, done_at=record.done_at,
        verified_at=record.verified_at, **{k: None if public else v for k, v in internal.items()})


def _global(type_name: str, database_id: int | None) -> strawberry.ID | None:
    return None if database_id is None else strawberry.ID(to_global_id(type_name, database_id))



def _unit(record: records.Rectification) -> Unit | None:
    if record.unit_id is None or record.unit_code is None:
        return None
    return Unit.of(record.unit_id, record.unit_code, record.unit_name or "", record.unit_region_id or 0)
