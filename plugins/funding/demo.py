"""Funding records for the demo district (平安区).

``prepare`` gives the workflow's funding guards what they check while the demo drives each project: a funding
plan covering the budget before the vote (票决), the first funds in place before work starts (开工).
``add_demo_records`` then completes the year: the rest of the funds arrive and are paid out to contractors, so
roll-ups show realistic funds-in-place and disbursement rates. Deterministic per project.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal
from typing import Any

from pony import orm

from engine.storage.sql import Sql
from plugins.funding import ledger, plan
from plugins.funding.money import yuan
from plugins.funding.sources import SocialKind, Source

PLAN_GUARD, FUNDS_GUARD = "funding.plan_covers_budget", "funding.funds_in_place"
FIRST_SHARE = Decimal("0.6")  # of each planned source, received before work starts
# How a project's budget is planned, by the level of its region: (source, kind, percent); the last takes the rest.
SHARES: dict[str, tuple[tuple[Source, SocialKind | None, int], ...]] = {
    "county": ((Source.CENTRAL, None, 30), (Source.PROVINCIAL, None, 20), (Source.MUNICIPAL, None, 5),
               (Source.COUNTY, None, 45)),
    "town": ((Source.MUNICIPAL, None, 10), (Source.COUNTY, None, 50), (Source.TOWN, None, 30),
             (Source.SOCIAL, SocialKind.DONATION, 10)),
    "village": ((Source.COUNTY, None, 60), (Source.TOWN, None, 25), (Source.SOCIAL, SocialKind.SPONSORSHIP, 10),
                (Source.OTHER, None, 5)),
}
DOCUMENTS = {Source.CENTRAL: "财预", Source.PROVINCIAL: "东财建", Source.MUNICIPAL: "临财建",
             Source.COUNTY: "平财预", Source.TOWN: "镇财", Source.SOCIAL: "捐赠协议", Source.OTHER: "平财资"}
PAYEES = ("平安区城建工程有限公司", "临江市路桥建设有限公司", "东海建工集团有限公司", "平安区水利水电工程公司")
DONE_STATES = {"completed", "handed_over", "reviewed", "done"}


def prepare(demo: Any, project: Any, event: str) -> None:
    """Before the demo fires ``event`` on ``project``: record what the transition's funding guards check."""
    guards = _funding_guards(demo, project, event)
    if PLAN_GUARD in guards:
        _plan(demo, project)
    if FUNDS_GUARD in guards:
        ratio = Decimal(str(guards[FUNDS_GUARD].get("min_ratio", 0)))
        _receive_share(demo, project, max(ratio, FIRST_SHARE), demo.clock.today())


def _funding_guards(demo: Any, project: Any, event: str) -> dict[str, dict[str, Any]]:
    loaded = demo.engine.workflows.named(demo.workflow)
    transition = loaded.definition.find(project.state, event) if loaded else None
    return {ref.name: dict(ref.params) for ref in (transition.guards if transition else ())
            if ref.name.startswith("funding.")}


def _plan(demo: Any, project: Any) -> None:
    """A funding plan covering the budget exactly, split by the level of the project's region."""
    with orm.db_session:
        level = Sql(demo.engine.db).scalar("SELECT r.level FROM project p JOIN region r ON r.id = p.region_id"
                                           " WHERE p.id = ?", (project.id,))
    shares = SHARES.get(level, SHARES["county"])
    budget = int(Decimal(project.budget) * 100)
    finance = demo.acting(("finance",), project)
    left = budget
    for i, (source, kind, percent) in enumerate(shares):
        fen = left if i == len(shares) - 1 else budget * percent // 100
        left -= fen
        plan.set_plan(demo.engine, finance, project.id, source, yuan(fen), kind, note="年度民生实事资金筹措")


def _receive_share(demo: Any, project: Any, share: Decimal, on: dt.date) -> None:
    """Receive each planned source up to ``share`` of its planned amount (what is already received counts)."""
    with orm.db_session:
        sql = Sql(demo.engine.db)
        lines = plan.plan_lines(sql, project.id)
        received: dict[tuple[Source, Any], Decimal] = {}
        for r in ledger.receipts(sql, project.id):
            received[(r.source, r.kind)] = received.get((r.source, r.kind), Decimal(0)) + r.amount
    finance = demo.acting(("finance",), project)
    for n, line in enumerate(lines, start=1):
        if line.source is Source.MAINTENANCE:
            continue  # 管护经费 comes year by year during custody, not with the construction funds
        target = (line.amount * share).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        missing = target - received.get((line.source, line.kind), Decimal(0))
        if missing > 0:
            document = f"{DOCUMENTS[line.source]}〔{demo.year}〕{project.id * 3 + n}号"
            ledger.record_receipt(demo.engine, finance, project.id, missing, line.source, line.kind, on, document)


def add_demo_records(demo: Any) -> None:
    """The rest of the year's funds: finished projects fully funded and almost fully paid out, projects under
    way partly paid out (called by ``minsheng_demo_data``)."""
    for k, project in enumerate(sorted(demo.projects.values(), key=lambda p: p.code)):
        if "start" not in project.events and project.state not in DONE_STATES:
            continue
        done = project.state in DONE_STATES
        if done:
            _receive_share(demo, project, Decimal(1), dt.date(demo.year, 9, 10))
        _pay(demo, project, k, done)


def _pay(demo: Any, project: Any, k: int, done: bool) -> None:
    """Progress payments 进度款 (and for finished projects the settlement 结算款) out of what was received."""
    with orm.db_session:
        received = sum((r.amount for r in ledger.receipts(Sql(demo.engine.db), project.id)), Decimal(0))
    steps = ((dt.date(demo.year, 6, 20), Decimal("0.55"), "工程进度款"),
             (dt.date(demo.year, 9, 25), Decimal("0.85"), "工程进度款"),
             (dt.date(demo.year, 11, 28), Decimal("0.9951"), "竣工结算款")) if done else \
        ((dt.date(demo.year, 7, 10), Decimal("0.40") + Decimal(k % 4) / 10, "工程进度款"),)
    payer, payee, paid = demo.acting(("unit", "finance"), project), PAYEES[k % len(PAYEES)], Decimal(0)
    for on, share, purpose in steps:
        amount = (received * share).quantize(Decimal("0.01")) - paid
        if amount > 0:
            ledger.record_payment(demo.engine, payer, project.id, amount, payee, purpose, on)
            paid += amount
