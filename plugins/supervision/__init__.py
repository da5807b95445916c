"""Built-in plugin: supervision (督办) — deadlines, escalation ladders, supervision notices and the tick.

Deadlines come from the workflow files (a state's ``deadline``, see ``engine.workflow.deadlines``), from the
inspection plugin's rectifications (整改) and from the schedule plugin's open measures and milestones (措施/节点,
``supervision: {measures: ...}``: their notices go to the measure's responsible unit, lead or cooperating, whose
clerk sees and signs for those alone); the ladders (``supervision: {ladder: [...]}``) say which notice each step
issues and to whom. ``minsheng tick [--at DATE]`` and the server's background tick call ``minsheng_tick``,
which runs ``plugins.supervision.tick.run_tick``. Notices are read and moved
through GraphQL (``plugins.supervision.graphql``), audited in the project's chain, pushed to subscribers and
handed to the ``minsheng_notify`` hook.
"""
from __future__ import annotations

from typing import Any

from engine.api.extension import GraphQLExtension
from engine.hookspecs import TickReport, hookimpl
from engine.storage.migrations import Migration

from plugins.supervision.tables import MIGRATIONS


@hookimpl
def minsheng_migrations() -> list[Migration]:
    return list(MIGRATIONS)


@hookimpl
def minsheng_tallies() -> Any:
    """Open notices per region, year, step and day of issue, kept by the database."""
    from plugins.supervision.tables import TALLY

    return TALLY


@hookimpl
def minsheng_graphql() -> GraphQLExtension:
    from plugins.supervision.graphql import extension

    return extension()


@hookimpl
def minsheng_tick(engine: Any, on: Any) -> TickReport:
    from plugins.supervision.tick import run_tick

    result = run_tick(engine, on)
    if result.busy:
        return TickReport("supervision", "another tick is running; nothing done", busy=True)
    return TickReport("supervision", f"{len(result.issued)} notice(s) issued", problems=tuple(result.problems))


@hookimpl
def minsheng_dashboard_figures(engine: Any, sql: Any, scope: Any) -> Any:
    """Open notices, by step and at each step or above (and, for the bulletin, the list); not for the public."""
    from plugins.supervision.dashboard import figures

    return figures(engine, sql, scope)
