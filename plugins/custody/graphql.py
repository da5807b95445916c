"""What the custody plugin adds to the GraphQL API: ``Project.custody`` and ``Query.custodyExpiring``.

The public (and a public-scope role) sees the custodian (管护主体) and the period of published projects only; the
responsible unit, duties, yearly funds and the 回头看 reviews are null for it.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from engine.directory.access import reach, read_scope_sql
from engine.directory.regions import subtree_bounds
from engine.api.batch import batched
from engine.api.context import RequestContext
from engine.api.ids import from_global_id, to_global_id
from engine.api.extension import GraphQLExtension
from engine.calendar import Duration
from engine.errors import FieldProblem, InvalidInput, NotFound

from plugins.custody import records
from plugins.custody.checklist import SATISFACTION_LEVELS

DEFAULT_FIRST = 50
MAX_FIRST = 200


@strawberry.type(description="A 回头看 review: the checklist as answered and the findings.")
class CustodyReview:
    event: str
    still_in_use: bool
    maintained: bool
    signage: bool
    satisfaction: str = strawberry.field(description="satisfied (满意), basically_satisfied (基本满意) or "
                                                     "dissatisfied (不满意).")
    satisfaction_label: str
    findings: str | None
    reviewed_at: dt.datetime


@strawberry.type(description="A project's custody (管护) after hand-over: who maintains it, for which period.")
class Custody:
    project_id: strawberry.ID
    project_code: str
    project_title: str
    custodian: str = strawberry.field(description="管护主体.")
    starts_on: dt.date
    ends_on: dt.date = strawberry.field(description="The day the custody period (管护期) ends.")
    responsible_unit: str | None = strawberry.field(description="管护责任单位; null for the public.")
    duties: str | None = strawberry.field(description="管护职责; null for the public.")
    yearly_funds: Decimal | None = strawberry.field(description="Yearly maintenance funds (管护经费, yuan); null "
                                                                "for the public.")
    reviews: list[CustodyReview] | None = strawberry.field(description="回头看 reviews, oldest first; null for "
                                                                       "the public.")


def _node(ctx: RequestContext, custody: records.Custody, reviews: list[records.Review]) -> Custody:
    """The GraphQL view of a custody record with its reviews, for the reader (the public sees less)."""
    public = reach(ctx.engine, ctx.actor).redacted
    shown = None if public else [
        CustodyReview(event=r.event, still_in_use=r.still_in_use, maintained=r.maintained, signage=r.signage,
                      satisfaction=r.satisfaction, satisfaction_label=SATISFACTION_LEVELS.get(r.satisfaction, ""),
                      findings=r.findings, reviewed_at=r.reviewed_at) for r in reviews]
    return Custody(project_id=strawberry.ID(to_global_id("Project", custody.project_id)),
                   project_code=custody.project_code, project_title=custody.project_title,
                   custodian=custody.custodian, starts_on=custody.starts_on, ends_on=custody.ends_on,
                   responsible_unit=None if public else custody.responsible_unit,
                   duties=None if public else custody.duties,
                   yearly_funds=None if public else custody.yearly_funds, reviews=shown)


@strawberry.type
class CustodyProjectFields:
    """Fields joined into ``Project``; ``self`` is the project, already readable by the reader."""

    @strawberry.field(description="The custody record (管护) opened by the hand-over; null before it.")
    def custody(self, info: strawberry.Info) -> Custody | None:
        ctx: RequestContext = info.context
        found = batched(self, "custody", lambda ids: records.of_projects(ctx.sql, ids))
        if found is None:
            return None
        return _node(ctx, found, batched(self, "custody.reviews", lambda ids: records.reviews_of(ctx.sql, ids), []))


@strawberry.type
class CustodyQuery:
    @strawberry.field(description="Custody periods (管护期) ending from today to `within` from now (\"90 days\", "
                                  "\"3 months\", \"20 working days\") on projects the reader reaches, optionally in "
                                  "one region and everything below it; soonest first.")
    def custody_expiring(self, info: strawberry.Info, region: strawberry.ID | None = None,
                         within: str = "90 days", first: int = DEFAULT_FIRST) -> list[Custody]:
        ctx: RequestContext = info.context
        if not 1 <= first <= MAX_FIRST:
            raise InvalidInput([FieldProblem(["first"], f"must be between 1 and {MAX_FIRST}, got {first}")])
        today = ctx.engine.clock.today()
        last_day = Duration.parse(within, "within").after(today, ctx.engine.calendar)
        conditions, params = read_scope_sql(ctx.engine, ctx.actor, "p")
        if region is not None:
            region_id = from_global_id(region, "Region", ["region"])
            path = ctx.sql.scalar("SELECT path FROM region WHERE id = ?", (region_id,))
            if path is None:
                raise NotFound(f"region {region} does not exist", path=["region"])
            conditions = [*conditions, "p.region_path >= ? AND p.region_path < ?"]
            params = [*params, *subtree_bounds(path)]
        found = records.ending_between(ctx.sql, today, last_day, conditions, params, first)
        reviews = records.reviews_of(ctx.sql, [c.project_id for c in found]) if found else {}
        return [_node(ctx, custody, reviews.get(custody.project_id, [])) for custody in found]


def extension() -> GraphQLExtension:
    return GraphQLExtension(query=CustodyQuery, project=CustodyProjectFields)
