"""The custody plugin's workflow action and guard: a hand-over (移交管护) opens the custody record and its 管护经费
funding line; a 回头看 review records its checklist, and each failed item opens a rectification (整改)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine.calendar import Duration
from engine.workflow.guards import ActionSpec, GuardContext, GuardSpec, Param

from plugins.custody.checklist import ITEMS, failed_items
from plugins.funding.money import parse_amount, show
from plugins.funding.plan import put_plan_line
from plugins.funding.sources import Source

DEFAULT_YEARS = 3  # 上管三年
FUNDS_FIELD = "maintenance_funding"
YEARS_FIELD = "custody_years"


def open_custody(ctx: GuardContext, years: int = DEFAULT_YEARS) -> None:
    """Open (or, on a repeated hand-over, replace) the project's custody record from the transition's fields:
    ``custodian`` (管护主体), ``responsible_unit``, ``duties``, ``maintenance_funding`` (yuan a year) and the
    period: the ``custody_years`` field when given, else ``years``, from today. Yearly funds above zero become the
    project's 管护经费 funding plan line (yearly amount × years)."""
    fields = ctx.fields
    years = int(fields.get(YEARS_FIELD) or years)
    starts_on = ctx.now.date()
    ends_on = Duration.parse(f"{years} years").after(starts_on, None)  # type: ignore[arg-type]
    yearly_fen = _fen(fields.get(FUNDS_FIELD))
    ctx.sql.execute("DELETE FROM custody_record WHERE project_id = ?", (ctx.project.id,))
    ctx.sql.insert(
        "INSERT INTO custody_record (project_id, custodian, responsible_unit, duties, yearly_funds_fen, starts_on,"
        " ends_on, opened_by, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ctx.project.id, str(fields.get("custodian") or "").strip(), _text(fields.get("responsible_unit")),
         _text(fields.get("duties")), yearly_fen, starts_on, ends_on, ctx.actor.id, ctx.now))
    if yearly_fen:
        note = f"年度管护经费 {show(yearly_fen)} 元 × {years} 年（{starts_on} 至 {ends_on}）"
        put_plan_line(ctx.sql, ctx.actor, ctx.project.id, Source.MAINTENANCE, yearly_fen * years, note, ctx.now)


def checklist_passed(ctx: GuardContext) -> list[str]:
    """Every item of the 回头看 checklist passed; a failed one belongs to ``fail_review``, which rectifies it."""
    return [f"the 回头看 checklist item '{name}' failed: {ITEMS[name]}; record the review through the event that "
            "sends the project to rectification (整改)" for name in failed_items(ctx.fields)]


def record_review(ctx: GuardContext, days: int = 30, always_rectify: bool = False) -> None:
    """Store the review (checklist and findings); open one rectification for each failed item, due on the
    transition's ``deadline`` field or in ``days``; with ``always_rectify`` and no failed item, one rectification
    for the ``findings``."""
    fields = ctx.fields
    ctx.sql.insert(
        "INSERT INTO custody_review (project_id, event, still_in_use, maintained, signage, satisfaction, findings,"
        " reviewed_by, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (ctx.project.id, ctx.event, fields.get("still_in_use") is not False, fields.get("maintained") is not False,
         fields.get("signage") is not False, str(fields.get("satisfaction") or ""), _text(fields.get("findings")),
         ctx.actor.id, ctx.now))
    failed = failed_items(fields)
    findings = _text(fields.get("findings"))
    for name in failed:
        description = f"回头看：{ITEMS[name]}" + (f"。{findings}" if findings else "")
        ctx.run_action("inspection.open_rectification", days=days, description=description)
    if always_rectify and not failed:
        ctx.run_action("inspection.open_rectification", days=days)


def _fen(value: Any) -> int:
    if value is None or value == "":
        return 0
    return parse_amount(str(Decimal(value)), ["input", "fields", FUNDS_FIELD], allow_zero=True)


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


GUARDS = [
    GuardSpec("custody.checklist_passed", checklist_passed, {},
              "every item of the 回头看 checklist passed (still in use, maintained, signage, satisfaction)"),
]

ACTIONS = [
    ActionSpec("custody.open_custody", open_custody, {
        "years": Param("int", default=DEFAULT_YEARS, min=1, max=30,
                       description="custody period in years when the transition has no 'custody_years' field"),
    }, "open the custody record (管护) and its 管护经费 funding line"),
    ActionSpec("custody.record_review", record_review, {
        "days": Param("int", default=30, min=1, max=3650,
                      description="rectification deadline in days when the transition has no 'deadline' field"),
        "always_rectify": Param("bool", default=False,
                                description="open a rectification for the findings when no checklist item failed"),
    }, "record the 回头看 checklist; each failed item opens a rectification (整改)"),
]
