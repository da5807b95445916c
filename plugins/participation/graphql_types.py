"""The participation plugin's GraphQL types: calls, suggestions as an office reads them, a suggestion's fate as
its submitter reads it by receipt code, and the sources of a pool project."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Optional

import strawberry

from engine.api.ids import to_global_id
from plugins.participation import calls, reading
from plugins.participation import vocabulary as v


@strawberry.enum(description="How a suggestion arrived 渠道.")
class SuggestionChannel(Enum):
    WEBSITE = strawberry.enum_value(v.WEBSITE, description="网站 (online form)")
    HOTLINE = strawberry.enum_value(v.HOTLINE, description="12345 热线 (entered by an office, with the ticket number)")
    LETTER = strawberry.enum_value(v.LETTER, description="信件 (entered by an office)")
    LIAISON_STATION = strawberry.enum_value(v.LIAISON_STATION, description="代表联络站 (deputies, or an office)")
    DEPARTMENT = strawberry.enum_value(v.DEPARTMENT, description="部门 (a department, or an office)")


@strawberry.enum(description="Who sent a suggestion 建议人类别.")
class SubmitterKind(Enum):
    PUBLIC = strawberry.enum_value(v.PUBLIC, description="公众")
    RESIDENT = strawberry.enum_value(v.RESIDENT, description="居民")
    DEPUTY = strawberry.enum_value(v.DEPUTY, description="人大代表")
    CPPCC = strawberry.enum_value(v.CPPCC, description="政协委员")
    DEPARTMENT = strawberry.enum_value(v.UNIT, description="部门")
    OFFICE = strawberry.enum_value(v.OFFICE, description="政府办/民生办")


@strawberry.enum(description="Where a suggestion stands 状态.")
class SuggestionStatus(Enum):
    RECEIVED = strawberry.enum_value(v.RECEIVED, description="待筛选")
    DECLINED = strawberry.enum_value(v.DECLINED, description="不予采纳 (with a reason)")
    ACCEPTED = strawberry.enum_value(v.ACCEPTED, description="已纳入项目储备库 (a pool project)")


@strawberry.type(description="A call for suggestions 征集公告.")
class SuggestionCall:
    id: strawberry.ID
    region_id: strawberry.ID
    region_name: str
    year: int
    title: str
    opens_on: dt.date
    closes_on: dt.date = strawberry.field(description="The last day suggestions are accepted.")
    categories: list[str]
    is_open: bool = strawberry.field(description="Whether it accepts suggestions today.")

    @classmethod
    def of(cls, call: calls.Call, today: dt.date) -> SuggestionCall:
        return cls(id=strawberry.ID(to_global_id("SuggestionCall", call.id)),
                   region_id=strawberry.ID(to_global_id("Region", call.region_id)), region_name=call.region_name,
                   year=call.year, title=call.title, opens_on=call.opens_on, closes_on=call.closes_on,
                   categories=list(call.categories), is_open=call.is_open(today))


def _project_id(value: int | None) -> Optional[strawberry.ID]:
    return None if value is None else strawberry.ID(to_global_id("Project", value))


@strawberry.type(description="A suggestion as an office of its region reads it; 建议人 and 联系电话 are personal "
                             "data, shown only here (null once erased).")
class Suggestion:
    id: strawberry.ID
    call_id: strawberry.ID
    title: str = strawberry.field(description="项目名称")
    category: str = strawberry.field(description="类别")
    content: str = strawberry.field(description="具体内容")
    reason: str = strawberry.field(description="理由和解决方案")
    location: str = strawberry.field(description="建设地点")
    estimate: Optional[Decimal] = strawberry.field(description="概算 (元)")
    due_by: str = strawberry.field(description="完成时限")
    channel: SuggestionChannel
    hotline_ticket: Optional[str] = strawberry.field(description="12345 工单号")
    submitter_kind: SubmitterKind
    status: SuggestionStatus
    status_label: str
    decline_reason: Optional[str]
    proposal_id: Optional[strawberry.ID] = strawberry.field(description="The proposal it was merged into.")
    project_id: Optional[strawberry.ID] = strawberry.field(description="The pool project it is a source of.")
    submitted_at: dt.datetime
    decided_at: Optional[dt.datetime]
    personal_data_erased_at: Optional[dt.datetime]
    contact_name: Optional[str] = strawberry.field(description="建议人 (personal data)")
    contact_phone: Optional[str] = strawberry.field(description="联系电话 (personal data)")

    @classmethod
    def of(cls, s: reading.SuggestionView) -> Suggestion:
        return cls(id=strawberry.ID(to_global_id("Suggestion", s.id)),
                   call_id=strawberry.ID(to_global_id("SuggestionCall", s.call_id)), title=s.title,
                   category=s.category, content=s.content, reason=s.reason, location=s.location,
                   estimate=s.estimate, due_by=s.due_by, channel=SuggestionChannel(s.channel),
                   hotline_ticket=s.hotline_ticket, submitter_kind=SubmitterKind(s.submitter_kind),
                   status=SuggestionStatus(s.status), status_label=v.STATUSES[s.status],
                   decline_reason=s.decline_reason,
                   proposal_id=None if s.proposal_id is None else strawberry.ID(to_global_id("Proposal",
                                                                                             s.proposal_id)),
                   project_id=_project_id(s.project_id), submitted_at=s.submitted_at, decided_at=s.decided_at,
                   personal_data_erased_at=s.erased_at, contact_name=s.contact_name, contact_phone=s.contact_phone)


@strawberry.type(description="A page of suggestions, by id.")
class SuggestionPage:
    items: list[Suggestion]
    has_next_page: bool
    end_cursor: Optional[str] = strawberry.field(description="Pass as `after` for the next page.")


@strawberry.type(description="A suggestion's fate 办理结果, as its submitter reads it by receipt code: no personal "
                             "data, nothing about who screened it.")
class SuggestionFate:
    title: str
    category: str
    call_title: str
    status: SuggestionStatus
    status_label: str
    submitted_at: dt.datetime
    decided_at: Optional[dt.datetime]
    decline_reason: Optional[str] = strawberry.field(description="Why it was not taken up.")
    merged_with: int = strawberry.field(description="How many other suggestions were screened together with it.")
    project_id: Optional[strawberry.ID]
    project_code: Optional[str]
    project_title: Optional[str]

    @classmethod
    def of(cls, f: reading.Fate) -> SuggestionFate:
        return cls(title=f.title, category=f.category, call_title=f.call_title, status=SuggestionStatus(f.status),
                   status_label=v.STATUSES[f.status], submitted_at=f.submitted_at, decided_at=f.decided_at,
                   decline_reason=f.decline_reason, merged_with=f.merged_with, project_id=_project_id(f.project_id),
                   project_code=f.project_code, project_title=f.project_title)


@strawberry.type(description="A suggestion a pool project came from (no personal data).")
class SuggestionSource:
    suggestion_id: strawberry.ID
    title: str
    channel: SuggestionChannel
    submitted_at: dt.datetime
