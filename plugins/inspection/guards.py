"""Guards and the action the default workflow uses: acceptance passed (验收通过), no open rectification (整改),
and opening a rectification when acceptance or a follow-up review (回头看) finds problems."""
from __future__ import annotations

import datetime as dt

from engine.storage.sql import first_rows_per_project, marks
from engine.workflow.guards import ActionSpec, GuardContext, GuardSpec, Param

from plugins.inspection.rectifications import insert_rectification
from plugins.inspection.vocabulary import ACCEPTANCE, INSPECTION_RESULTS, PASS, VERIFIED

DEFAULT_DESCRIPTION = "限期整改"


def acceptance_passed(ctx: GuardContext) -> str | None:
    """The latest acceptance inspection (验收) of the project passed (a reversed one, 冲正, does not count)."""
    row = ctx.load("inspection.acceptance", lambda ids: {r[0]: r[1:] for r in first_rows_per_project(
        ctx.sql, "SELECT project_id, held_on, result, id FROM inspection_record WHERE project_id = ? AND kind = ?"
        " AND NOT EXISTS (SELECT 1 FROM inspection_correction c WHERE c.inspection_id = inspection_record.id)",
        "held_on DESC, id DESC", ids, (ACCEPTANCE,), 1)})
    if row is None:
        return "no acceptance inspection (验收) has been recorded"
    held_on, result = str(row[0])[:10], row[1]
    if result == PASS:
        return None
    if result == "fail":
        return f"the latest acceptance inspection on {held_on} failed"
    return (f"the latest acceptance inspection on {held_on} did not pass "
            f"(result: {INSPECTION_RESULTS.get(result, result)})")


def no_open_rectifications(ctx: GuardContext) -> str | None:
    """Every rectification of the project has been verified (核验销号); done but unverified still counts."""
    count, earliest = ctx.load("inspection.open", lambda ids: {r[0]: r[1:] for r in ctx.sql.all(
        "SELECT project_id, COUNT(*), MIN(deadline) FROM inspection_rectification"
        f" WHERE project_id IN ({marks(len(ids))}) AND status <> ? GROUP BY project_id", (*ids, VERIFIED))},
        (0, None))
    if not count:
        return None
    noun = "rectification (整改) is" if count == 1 else "rectifications (整改) are"
    return f"{count} {noun} still open (earliest deadline {str(earliest)[:10]})"


def open_rectification(ctx: GuardContext, days: int = 30, description: str | None = None) -> None:
    """Open a rectification for the project's lead unit, due on the transition's ``deadline`` field or ``days``
    from today, described by ``description`` when the caller gives one (e.g. a bottom satisfaction grade run
    from the 回头看 transition, whose ``findings`` field describes the review, not the problem), else by the
    transition's ``findings`` field."""
    text = (description or "").strip() or str(ctx.fields.get("findings") or "").strip() or DEFAULT_DESCRIPTION
    deadline = ctx.fields.get("deadline")
    if not isinstance(deadline, dt.date):
        deadline = ctx.now.date() + dt.timedelta(days=days)
    insert_rectification(ctx.sql, ctx.project.id, text, ctx.project.lead_unit_id, deadline, ctx.actor.id,
                         ctx.now, origin=ctx.event)


GUARDS = [
    GuardSpec("inspection.acceptance_passed", acceptance_passed, {},
              "the latest acceptance inspection (验收) of the project passed"),
    GuardSpec("inspection.no_open_rectifications", no_open_rectifications, {},
              "no rectification (整改) of the project is still open (all verified)"),
]

ACTIONS = [
    ActionSpec("inspection.open_rectification", open_rectification, {
        "days": Param("int", default=30, min=1, max=3650,
                      description="deadline in days from today when the transition has no 'deadline' field"),
        "description": Param("string", description="what to rectify; default: the transition's 'findings' field"),
    }, "open a rectification (整改) for the project's lead unit"),
]
