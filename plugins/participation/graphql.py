"""The participation plugin's GraphQL: calls for suggestions, submitting (anyone, while a call is open), an
office's screening (merge, decline, accept into the pool), a suggestion's fate by receipt code, and
``Project.suggestionSources``. Mutations answer domain errors as ``userErrors``; every read and write is scoped by
``offices`` (the engine's one access rule): out of scope answers like missing."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable, Optional

import strawberry
from strawberry.types import Info

from engine.api.batch import batched
from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.extension import GraphQLExtension
from engine.api.ids import from_global_id, to_global_id
from engine.errors import FieldProblem, InvalidInput
from plugins.participation import calls, intake, reading, screening
from plugins.participation.events import ParticipationSubscription
from plugins.participation.graphql_types import (SubmitterKind, Suggestion, SuggestionCall, SuggestionChannel,
                                                 SuggestionFate, SuggestionPage, SuggestionSource, SuggestionStatus)


def _ids(values: list[strawberry.ID], kind: str, path: list[str]) -> list[int]:
    return [from_global_id(value, kind, [*path, str(i)]) for i, value in enumerate(values)]


@strawberry.input(description="Open a call for suggestions 征集公告 (an office of the region).")
class OpenSuggestionCallInput:
    region_id: strawberry.ID
    year: int
    opens_on: dt.date
    closes_on: dt.date = strawberry.field(description="At least 30 days after opening by default "
                                                      "(MINSHENG_SUGGESTION_MIN_DAYS), both days counted.")
    categories: list[str]
    title: Optional[str] = strawberry.field(default=None, description="Default: 〈region〉〈year〉年民生实事项目征集.")


@strawberry.type
class OpenSuggestionCallPayload:
    call: Optional[SuggestionCall] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="A suggestion on the procedures' form 建议表.")
class SubmitSuggestionInput:
    call_id: strawberry.ID
    title: str = strawberry.field(description="项目名称")
    category: str = strawberry.field(description="类别: one of the call's categories.")
    content: str = strawberry.field(description="具体内容")
    reason: str = strawberry.field(description="理由和解决方案")
    location: str = strawberry.field(description="建设地点")
    estimate: Optional[Decimal] = strawberry.field(default=None, description="概算 (元)")
    due_by: Optional[str] = strawberry.field(default=None, description="完成时限")
    contact_name: Optional[str] = strawberry.field(default=None, description="建议人 (personal data: encrypted, "
                                                                             "shown only to the region's offices)")
    contact_phone: Optional[str] = strawberry.field(default=None, description="联系电话 (personal data)")
    channel: Optional[SuggestionChannel] = strawberry.field(
        default=None, description="Default: 网站 (代表联络站 for a deputy, 部门 for a department). 12345 and 信件 are "
                                  "entered by an office.")
    hotline_ticket: Optional[str] = strawberry.field(default=None, description="12345 工单号 (12345 only).")
    submitter_kind: Optional[SubmitterKind] = strawberry.field(
        default=None, description="An office entering a suggestion for someone: who sent it (default 公众).")


@strawberry.type
class SubmitSuggestionPayload:
    receipt: Optional[str] = strawberry.field(default=None, description="The receipt code 回执码, shown only now: "
                                                                        "follow the suggestion with suggestionFate.")
    suggestion_id: Optional[strawberry.ID] = None
    status: Optional[SuggestionStatus] = None
    submitted_at: Optional[dt.datetime] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input(description="Merge suggestions about one matter into one proposal (every one stays a source).")
class MergeSuggestionsInput:
    suggestion_ids: list[strawberry.ID]
    title: Optional[str] = strawberry.field(default=None, description="Default: the first suggestion's title.")


@strawberry.input(description="Decline suggestions (with the ones merged with them); the reason is shown to "
                              "their submitters.")
class DeclineSuggestionsInput:
    suggestion_ids: list[strawberry.ID]
    reason: str


@strawberry.input(description="The pool project to create; unset details come from the suggestions and the call.")
class PoolProjectInput:
    region_id: Optional[strawberry.ID] = strawberry.field(default=None, description="Default: the call's region.")
    title: Optional[str] = None
    category: Optional[str] = None
    budget: Optional[Decimal] = strawberry.field(default=None, description="Default: the largest estimate 概算.")
    lead_unit_id: Optional[strawberry.ID] = None
    description: Optional[str] = None
    code: Optional[str] = None
    workflow: str = "minsheng"


@strawberry.input(description="Accept suggestions into the project pool 储备库: a new project (`project`) or an "
                              "existing one still in its initial state (`projectId`).")
class AcceptSuggestionsInput:
    suggestion_ids: list[strawberry.ID]
    project: Optional[PoolProjectInput] = None
    project_id: Optional[strawberry.ID] = None


@strawberry.type
class ScreeningPayload:
    suggestion_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description="Every suggestion "
                                                           "decided, those merged with the ones named included.")
    proposal_id: Optional[strawberry.ID] = None
    project_id: Optional[strawberry.ID] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _decision(d: screening.Decision) -> dict[str, Any]:
    return {"suggestion_ids": [strawberry.ID(to_global_id("Suggestion", i)) for i in d.suggestion_ids],
            "proposal_id": None if d.proposal_id is None else strawberry.ID(to_global_id("Proposal", d.proposal_id)),
            "project_id": None if d.project_id is None else strawberry.ID(to_global_id("Project", d.project_id))}


def _open(c: RequestContext, i: OpenSuggestionCallInput) -> dict[str, Any]:
    region_id = from_global_id(i.region_id, "Region", ["input", "regionId"])
    call = calls.open_call(c.engine, c.actor, calls.NewCall(region_id, i.year, i.opens_on, i.closes_on,
                                                            i.categories, i.title))
    return {"call": SuggestionCall.of(call, c.engine.clock.today())}


def _submit(c: RequestContext, i: SubmitSuggestionInput) -> dict[str, Any]:
    form = intake.SuggestionForm(
        from_global_id(i.call_id, "SuggestionCall", ["input", "callId"]), i.title, i.category, i.content, i.reason,
        i.location, i.estimate, i.due_by, i.contact_name, i.contact_phone, i.channel.value if i.channel else None,
        i.hotline_ticket, i.submitter_kind.value if i.submitter_kind else None)
    done = intake.submit(c.engine, c.actor, form, c.client)
    return {"receipt": done.receipt, "suggestion_id": strawberry.ID(to_global_id("Suggestion", done.id)),
            "status": SuggestionStatus(done.status), "submitted_at": done.submitted_at}


def _pool_project(i: PoolProjectInput) -> screening.PoolProject:
    return screening.PoolProject(
        from_global_id(i.region_id, "Region", ["input", "project", "regionId"]) if i.region_id else None, i.title,
        i.category, i.budget,
        from_global_id(i.lead_unit_id, "Unit", ["input", "project", "leadUnitId"]) if i.lead_unit_id else None,
        i.description, i.code)


def _accept(c: RequestContext, i: AcceptSuggestionsInput) -> screening.Decision:
    ids = _ids(i.suggestion_ids, "Suggestion", screening.IDS_PATH)
    if (i.project is None) == (i.project_id is None):
        raise InvalidInput([FieldProblem(["input", "project"], "give either project (a new pool project) or "
                                                               "projectId (an existing one)")])
    if i.project_id is not None:
        return screening.accept(c.engine, c.actor, ids,
                                project_id=from_global_id(i.project_id, "Project", ["input", "projectId"]))
    return screening.accept(c.engine, c.actor, ids, _pool_project(i.project), workflow=i.project.workflow)


def _screen(info: Info, run: Callable[[RequestContext], screening.Decision]) -> ScreeningPayload:
    return payload(ScreeningPayload, lambda: _decision(run(info.context)))


@strawberry.type
class ParticipationMutation:
    @strawberry.mutation(description="Open a call for suggestions 征集公告 (政府办/民生办 of the region).")
    def open_suggestion_call(self, info: Info, input: OpenSuggestionCallInput) -> OpenSuggestionCallPayload:
        return payload(OpenSuggestionCallPayload, lambda: _open(info.context, input))

    @strawberry.mutation(description="Submit a suggestion to an open call: anyone, without a token too (a few per "
                                     "address per minute: THROTTLED beyond); an office enters letters and 12345 "
                                     "calls. Answers the receipt code.")
    def submit_suggestion(self, info: Info, input: SubmitSuggestionInput) -> SubmitSuggestionPayload:
        return payload(SubmitSuggestionPayload, lambda: _submit(info.context, input))

    @strawberry.mutation(description="Merge suggestions about one matter into one proposal (an office).")
    def merge_suggestions(self, info: Info, input: MergeSuggestionsInput) -> ScreeningPayload:
        return _screen(info, lambda c: screening.merge(
            c.engine, c.actor, _ids(input.suggestion_ids, "Suggestion", screening.IDS_PATH), input.title))

    @strawberry.mutation(description="Decline suggestions with a reason their submitters read (an office).")
    def decline_suggestions(self, info: Info, input: DeclineSuggestionsInput) -> ScreeningPayload:
        return _screen(info, lambda c: screening.decline(
            c.engine, c.actor, _ids(input.suggestion_ids, "Suggestion", screening.IDS_PATH), input.reason))

    @strawberry.mutation(description="Accept suggestions into the project pool 储备库 (an office): a new project "
                                     "in the workflow's initial state, or an existing pool project.")
    def accept_suggestions(self, info: Info, input: AcceptSuggestionsInput) -> ScreeningPayload:
        return _screen(info, lambda c: _accept(c, input))


@strawberry.type
class ParticipationQuery:
    @strawberry.field(description="Calls for suggestions open today, in a region and below it if given (public).")
    def open_suggestion_calls(self, info: Info, region: Optional[strawberry.ID] = None) -> list[SuggestionCall]:
        c: RequestContext = info.context
        path = None
        if region is not None:
            region_id = from_global_id(region, "Region", ["region"])
            path = c.sql.scalar("SELECT path FROM region WHERE id = ?", (region_id,))
            if path is None:  # no such region: no calls (PostgreSQL takes no NUL as a never-matching path)
                return []
        today = c.engine.clock.today()
        return [SuggestionCall.of(call, today) for call in calls.open_calls(c.sql, today, path)]

    @strawberry.field(description="Every call of your area, open or closed (offices; empty for anyone else).")
    def suggestion_calls(self, info: Info, year: Optional[int] = None) -> list[SuggestionCall]:
        c: RequestContext = info.context
        today = c.engine.clock.today()
        return [SuggestionCall.of(call, today) for call in calls.calls_in_area(c.engine, c.sql, c.actor, year)]

    @strawberry.field(description="Suggestions of your area with their personal data (offices of the region; "
                                  "empty for anyone else), by id.")
    def suggestions(self, info: Info, call_id: Optional[strawberry.ID] = None,
                    status: Optional[SuggestionStatus] = None, first: int = 50,
                    after: Optional[str] = None) -> SuggestionPage:
        c: RequestContext = info.context
        call = from_global_id(call_id, "SuggestionCall", ["callId"]) if call_id else None
        after_id = from_global_id(after, "Suggestion", ["after"]) if after else 0
        size = max(1, min(first, reading.MAX_PAGE))
        rows = reading.office_page(c.engine, c.sql, c.actor, call, status.value if status else None, after_id, size)
        items = [Suggestion.of(s) for s in rows[:size]]
        return SuggestionPage(items=items, has_next_page=len(rows) > size,
                              end_cursor=items[-1].id if items else None)

    @strawberry.field(description="A suggestion's fate by its receipt code (public; null for an unknown code).")
    def suggestion_fate(self, info: Info, receipt: str) -> Optional[SuggestionFate]:
        found = reading.fate(info.context.sql, receipt[:64])
        return None if found is None else SuggestionFate.of(found)


@strawberry.type
class ParticipationProjectFields:
    @strawberry.field(description="The suggestions 群众建议 this project came from (no personal data).")
    def suggestion_sources(self, info: Info) -> list[SuggestionSource]:
        c: RequestContext = info.context
        rows = batched(self, "participation.sources", lambda ids: reading.sources_of(c.sql, ids), [])
        return [SuggestionSource(suggestion_id=strawberry.ID(to_global_id("Suggestion", r[0])), title=r[1],
                                 channel=SuggestionChannel(r[2]), submitted_at=dt.datetime.fromisoformat(r[3]))
                for r in rows]


EXTENSION = GraphQLExtension(query=ParticipationQuery, mutation=ParticipationMutation,
                             project=ParticipationProjectFields, subscription=ParticipationSubscription)
