"""The guard a workflow file uses to require the town council's approval: ``yizhenghui.approved``."""
from __future__ import annotations

from engine.workflow.guards import GuardContext, GuardSpec

from minsheng_yizhenghui.resolutions import Resolution, majority, of_projects


def approved(ctx: GuardContext) -> str | None:
    """议政会已票决通过: some recorded resolution of the town's 议政会 passed the project."""
    found = ctx.load("yizhenghui.resolutions", lambda ids: of_projects(ctx.sql, ids), [])  # a page's at once
    if any(r.passed for r in found):
        return None
    if not found:
        return ("the town's 议政会 (deliberative council) has not voted on this project yet: "
                "no resolution of it is recorded")
    return _not_passed(found[0])


def _not_passed(latest: Resolution) -> str:
    return (f"the town's 议政会 (deliberative council) did not pass this project: at its meeting on "
            f"{latest.meeting_date} (minutes {latest.minutes_no}) {latest.votes_for} of the {latest.attendees} "
            f"members present voted for it, at least {majority(latest.attendees)} (more than half) are needed")


GUARDS = [
    GuardSpec("yizhenghui.approved", approved, {},
              "the town's 议政会 (deliberative council) has approved the project"),
]
