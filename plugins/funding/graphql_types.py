"""The funding plugin's GraphQL output types, built from plain records (never pony entities).

``ProjectFunding`` is what ``Project.funding`` returns: totals and rates for everyone who may read the project;
the plan's lines, receipts, payments and rewards (payees, document numbers, who recorded what) only for
non-public readers — for the public those lists are null.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Callable, Mapping, Optional

import strawberry
from strawberry.types import Info

from engine.api.batch import ProjectBatch
from engine.api.ids import to_global_id
from plugins.funding import ledger, plan, rewards
from plugins.funding.figures import FundingFigures, SourceFigures
from plugins.funding.rollup import Rollup
from plugins.funding.sources import SocialKind, Source

FundingSource = strawberry.enum(Source, name="FundingSource",
                                description="A funding source 资金来源: 中央 central, 省级 provincial, 市级 municipal, "
                                            "县区配套 county/district matching, 乡镇 town, 社会资本 social capital, "
                                            "其他 other.")
FundingSocialKind = strawberry.enum(SocialKind, name="FundingSocialKind",
                                    description="How social capital 社会资本 comes in: 捐赠 donation, 赞助 "
                                                "sponsorship, 冠名 naming rights.")


def _label(source: Source, kind: SocialKind | None) -> str:
    return f"{source.label}（{kind.label}）" if kind else source.label


def _gid(type_name: str, database_id: int | None) -> Optional[strawberry.ID]:
    return None if database_id is None else strawberry.ID(to_global_id(type_name, database_id))


ID_HELP = "Send it as entryId to reverseFundingEntry (冲正)."
REVERSES_HELP = "A correction 冲正: the entry it reverses."
REVERSED_BY_HELP = "The correction that reversed this entry, if any."


@strawberry.type(description="One funding source's planned and received amounts (yuan 元).")
class FundingSourceAmount:
    source: Source
    label: str = strawberry.field(description="The source's name in Chinese, e.g. 中央资金.")
    planned: Decimal
    received: Decimal
    in_place_rate: Optional[Decimal] = strawberry.field(
        description="资金到位率 of this source in percent (received / planned); null when nothing is planned.")

    @classmethod
    def of(cls, s: SourceFigures) -> FundingSourceAmount:
        return cls(source=s.source, label=s.source.label, planned=s.planned, received=s.received,
                   in_place_rate=s.in_place_rate)


@strawberry.type(description="One source's line of a funding plan 资金筹措计划, with who set it and when.")
class FundingPlanLine:
    id: strawberry.ID = strawberry.field(description=ID_HELP)
    source: Source
    kind: Optional[SocialKind] = strawberry.field(description="For social capital only.")
    label: str
    amount: Decimal = strawberry.field(description="Planned amount in yuan 元.")
    note: str
    set_by: str
    set_at: dt.datetime
    superseded_at: Optional[dt.datetime] = strawberry.field(description="When a later amount replaced it.")
    reverses: Optional[strawberry.ID] = strawberry.field(description=REVERSES_HELP)
    reversed_by: Optional[strawberry.ID] = strawberry.field(description=REVERSED_BY_HELP)
    reason: Optional[str] = strawberry.field(description="Why a correction reverses the entry it names.")

    @classmethod
    def of(cls, line: plan.PlanLine) -> FundingPlanLine:
        return cls(id=_gid("FundingPlanLine", line.id), source=line.source, kind=line.kind,
                   label=_label(line.source, line.kind), amount=line.amount, note=line.note, set_by=line.set_by,
                   set_at=line.set_at, superseded_at=line.superseded_at,
                   reverses=_gid("FundingPlanLine", line.reverses_id),
                   reversed_by=_gid("FundingPlanLine", line.reversed_by_id), reason=line.reason or None)


@strawberry.type(description="Funds received 资金到位 for a project.")
class FundsReceipt:
    id: strawberry.ID = strawberry.field(description=ID_HELP)
    source: Source
    kind: Optional[SocialKind]
    label: str
    amount: Decimal = strawberry.field(description="Yuan 元; negative for a correction 冲正.")
    received_on: dt.date
    document_no: str = strawberry.field(description="The allocation document number 文号.")
    recorded_by: str
    recorded_at: dt.datetime
    reverses: Optional[strawberry.ID] = strawberry.field(description=REVERSES_HELP)
    reversed_by: Optional[strawberry.ID] = strawberry.field(description=REVERSED_BY_HELP)
    reason: Optional[str] = strawberry.field(description="Why a correction reverses the entry it names.")
    duplicate_intended: bool = strawberry.field(description="Recorded as a second receipt with the same source, "
                                                            "amount and 文号 on purpose.")

    @classmethod
    def of(cls, r: ledger.Receipt) -> FundsReceipt:
        return cls(id=_gid("FundsReceipt", r.id), source=r.source, kind=r.kind, label=_label(r.source, r.kind),
                   amount=r.amount, received_on=r.received_on, document_no=r.document_no, recorded_by=r.recorded_by,
                   recorded_at=r.recorded_at, reverses=_gid("FundsReceipt", r.reverses_id),
                   reversed_by=_gid("FundsReceipt", r.reversed_by_id), reason=r.reason or None,
                   duplicate_intended=r.duplicate_intended)


@strawberry.type(description="Funds paid out 资金拨付 by a project.")
class FundsPayment:
    id: strawberry.ID = strawberry.field(description=ID_HELP)
    amount: Decimal = strawberry.field(description="Yuan 元; negative for a correction 冲正.")
    paid_on: dt.date
    payee: str = strawberry.field(description="Who was paid 收款单位.")
    purpose: str
    recorded_by: str
    recorded_at: dt.datetime
    reverses: Optional[strawberry.ID] = strawberry.field(description=REVERSES_HELP)
    reversed_by: Optional[strawberry.ID] = strawberry.field(description=REVERSED_BY_HELP)
    reason: Optional[str] = strawberry.field(description="Why a correction reverses the entry it names.")

    @classmethod
    def of(cls, p: ledger.Payment) -> FundsPayment:
        return cls(id=_gid("FundsPayment", p.id), amount=p.amount, paid_on=p.paid_on, payee=p.payee,
                   purpose=p.purpose, recorded_by=p.recorded_by, recorded_at=p.recorded_at,
                   reverses=_gid("FundsPayment", p.reverses_id), reversed_by=_gid("FundsPayment", p.reversed_by_id),
                   reason=p.reason or None)


@strawberry.type(description="A reward subsidy 奖补 granted to a project.")
class FundingReward:
    amount: Decimal = strawberry.field(description="Yuan 元.")
    reason: str
    granted_on: dt.date
    granted_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, r: rewards.Reward) -> FundingReward:
        return cls(amount=r.amount, reason=r.reason, granted_on=r.granted_on, granted_by=r.granted_by,
                   recorded_at=r.recorded_at)


@strawberry.type(description="A project's funding: totals in yuan 元, rates in percent, and (not for the public) "
                             "its plan lines, receipts, payments and rewards.")
class ProjectFunding:
    planned: Decimal = strawberry.field(description="Planned funds 计划资金, all sources.")
    received: Decimal = strawberry.field(description="Funds received 到位资金.")
    paid: Decimal = strawberry.field(description="Funds paid out 拨付资金.")
    rewarded: Decimal = strawberry.field(description="Reward subsidies 奖补.")
    in_place_rate: Optional[Decimal] = strawberry.field(
        description="资金到位率 = received / planned, percent with two places (may exceed 100); null if no plan.")
    disbursement_rate: Optional[Decimal] = strawberry.field(
        description="拨付率 = paid / received, percent with two places; null when nothing was received.")
    by_source: list[FundingSourceAmount]
    project_id: strawberry.Private[int]
    detailed: strawberry.Private[bool]
    batch: strawberry.Private[ProjectBatch]  # the projects read with this one: lists load for all of them

    @classmethod
    def of(cls, project_id: int, f: FundingFigures, detailed: bool, batch: ProjectBatch) -> ProjectFunding:
        return cls(planned=f.planned, received=f.received, paid=f.paid, rewarded=f.rewarded,
                   in_place_rate=f.in_place_rate, disbursement_rate=f.disbursement_rate,
                   by_source=[FundingSourceAmount.of(s) for s in f.by_source], project_id=project_id,
                   detailed=detailed, batch=batch)

    def _load(self, key: object, loader: Callable[..., Mapping[int, list]]) -> list:
        return self.batch.load(key, loader, self.project_id, [])

    @strawberry.field(description="The plan's lines in force (with history: every line ever set, newest first). "
                                  "Null for the public.")
    def plan_lines(self, info: Info, history: bool = False) -> Optional[list[FundingPlanLine]]:
        if not self.detailed:
            return None
        lines = self._load(("funding.plan", history), lambda ids: plan.plan_lines_of(info.context.sql, ids, history))
        return [FundingPlanLine.of(line) for line in lines]

    @strawberry.field(description="Funds received, newest first. Null for the public.")
    def receipts(self, info: Info) -> Optional[list[FundsReceipt]]:
        if not self.detailed:
            return None
        return [FundsReceipt.of(r) for r in self._load("funding.receipts",
                                                       lambda ids: ledger.receipts_of(info.context.sql, ids))]

    @strawberry.field(description="Funds paid out, newest first. Null for the public.")
    def payments(self, info: Info) -> Optional[list[FundsPayment]]:
        if not self.detailed:
            return None
        return [FundsPayment.of(p) for p in self._load("funding.payments",
                                                       lambda ids: ledger.payments_of(info.context.sql, ids))]

    @strawberry.field(description="Reward subsidies, newest first. Null for the public.")
    def rewards(self, info: Info) -> Optional[list[FundingReward]]:
        if not self.detailed:
            return None
        return [FundingReward.of(r) for r in self._load("funding.rewards",
                                                        lambda ids: rewards.rewards_of(info.context.sql, ids))]


@strawberry.type(description="Funding figures 资金汇总 of every project in a region and the regions below it (in a "
                             "year, if given). The public's roll-ups count published projects only.")
class FundingRollup:
    region: strawberry.ID
    region_name: str
    year: Optional[int]
    project_count: int
    budget: Decimal = strawberry.field(description="The counted projects' budgets 预算, yuan.")
    planned: Decimal
    received: Decimal
    paid: Decimal
    rewarded: Decimal
    in_place_rate: Optional[Decimal] = strawberry.field(description="资金到位率 = received / planned, percent.")
    disbursement_rate: Optional[Decimal] = strawberry.field(description="拨付率 = paid / received, percent.")
    by_source: list[FundingSourceAmount]

    @classmethod
    def of(cls, r: Rollup) -> FundingRollup:
        f = r.figures
        return cls(region=strawberry.ID(to_global_id("Region", r.region_id)), region_name=r.region_name,
                   year=r.year, project_count=r.project_count, budget=r.budget, planned=f.planned,
                   received=f.received, paid=f.paid, rewarded=f.rewarded, in_place_rate=f.in_place_rate,
                   disbursement_rate=f.disbursement_rate, by_source=[FundingSourceAmount.of(s) for s in f.by_source])
