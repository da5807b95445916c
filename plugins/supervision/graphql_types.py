"""GraphQL types of the supervision plugin (督办): notices, their connection, deadlines, inputs and payloads."""
from __future__ import annotations

import base64
import datetime as dt
from enum import Enum
from typing import Optional

import strawberry

from engine.api.errors import UserError
from engine.api.ids import to_global_id
from engine.errors import FieldProblem, InvalidInput

from plugins.supervision.notices import Notice


@strawberry.enum(description="Where a supervision notice stands: issued → acknowledged (签收) → answered (反馈) → "
                             "closed (办结).")
class NoticeStatus(Enum):
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"
    CLOSED = "closed"


@strawberry.type(description="A supervision notice (督办单) issued by the tick for one step of a deadline's "
                             "escalation ladder.")
class SupervisionNotice:
    id: strawberry.ID
    project_id: strawberry.ID
    project_code: str
    project_title: str
    deadline: str = strawberry.field(description="The state whose deadline it is, or 'rectification'.")
    rectification_id: Optional[strawberry.ID]
    due_on: dt.date
    step: str = strawberry.field(description="The ladder step's name from the workflow file (warn, overdue, …).")
    step_label: str
    reason: str = strawberry.field(description="Why, with figures: 'planned end 2024-06-30 passed 12 working days "
                                               "ago'.")
    addressee: str = strawberry.field(description="lead_unit, or the role addressed in the project's region.")
    unit_id: Optional[strawberry.ID] = strawberry.field(description="The responsible unit, which signs and answers.")
    unit_name: Optional[str]
    status: NoticeStatus
    issued_on: dt.date
    issued_at: dt.datetime
    acknowledged_at: Optional[dt.datetime]
    answered_at: Optional[dt.datetime]
    answer: Optional[str]
    closed_at: Optional[dt.datetime]
    close_note: Optional[str]


def notice_node(n: Notice) -> SupervisionNotice:
    return SupervisionNotice(
        id=strawberry.ID(to_global_id("SupervisionNotice", n.id)),
        project_id=strawberry.ID(to_global_id("Project", n.project_id)), project_code=n.project_code,
        project_title=n.project_title, deadline=n.deadline_key,
        rectification_id=strawberry.ID(to_global_id("Rectification", n.source_id)) if n.source_id else None,
        due_on=n.due_on, step=n.step, step_label=n.step_label, reason=n.reason, addressee=n.addressee,
        unit_id=strawberry.ID(to_global_id("Unit", n.unit_id)) if n.unit_id is not None else None,
        unit_name=n.unit_name, status=NoticeStatus(n.status), issued_on=n.issued_on, issued_at=n.issued_at,
        acknowledged_at=n.acknowledged_at, answered_at=n.answered_at, answer=n.answer, closed_at=n.closed_at,
        close_note=n.close_note)


@strawberry.type
class NoticeEdge:
    cursor: str
    node: SupervisionNotice


@strawberry.type
class NoticePageInfo:
    has_next_page: bool
    end_cursor: Optional[str]


@strawberry.type(description="A page of supervision notices, oldest first.")
class NoticeConnection:
    edges: list[NoticeEdge]
    page_info: NoticePageInfo


def cursor(notice_id: int) -> str:
    return base64.b64encode(f"notice:{notice_id}".encode()).decode()


def after_id(value: str | None) -> int:
    """The notice id a page starts after; ``InvalidInput`` at ``after`` for a cursor this API did not give."""
    if value is None:
        return 0
    try:
        kind, _, number = base64.b64decode(value.encode(), validate=True).decode().partition(":")
        if kind == "notice" and number.isdigit():
            return int(number)
    except (ValueError, UnicodeError):
        pass
    raise InvalidInput([FieldProblem(["after"], "is not a cursor from this API")])


@strawberry.type(description="One step of a deadline's escalation ladder and the day it falls due.")
class DeadlineStep:
    step: str
    label: str
    on: dt.date
    addressee: str
    issued: bool = strawberry.field(description="Whether its notice has been issued.")
    passed_over: bool = strawberry.field(description="Whether a late tick passed it over: a later step was already "
                                                     "due, and its notice alone was issued (naming this step); this "
                                                     "one never will be.")


@strawberry.type(description="A deadline the supervision tick watches: the state's (a project date or a time "
                             "limit after entering it) or a rectification's.")
class Deadline:
    key: str = strawberry.field(description="The state whose deadline it is, or 'rectification'.")
    label: str = strawberry.field(description="What it is: 'planned end', \"rectification '…' deadline\".")
    due_on: dt.date
    status: str = strawberry.field(description="How far today is from it: 'is in 5 working days', 'passed …'.")
    steps: list[DeadlineStep]


KEY_HELP = "Repeat-safe key (≤ 100 chars): a retried request answers the first result and writes nothing."


@strawberry.input
class AcknowledgeNoticeInput:
    notice_id: strawberry.ID
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class AnswerNoticeInput:
    notice_id: strawberry.ID
    answer: str = strawberry.field(description="The unit's answer (反馈): what was done and what will be.")
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.input
class CloseNoticeInput:
    notice_id: strawberry.ID
    note: Optional[str] = None
    idempotency_key: Optional[str] = strawberry.field(default=None, description=KEY_HELP)


@strawberry.type
class NoticePayload:
    notice: Optional[SupervisionNotice] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
