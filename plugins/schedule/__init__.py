"""Built-in plugin: schedule 进度 — a project's quantified targets (指标) and their actuals, its plan of measures
and milestones (措施/节点) with responsible lead or cooperating units (牵头/配合), and its progress reports (进度报告),
each audited in the project's hash chain. The pace of a project (序时进度) is computed in ``plugins.schedule.pace``.
"""
from __future__ import annotations

from typing import Any

from engine.api.extension import GraphQLExtension
from engine.hookspecs import TickReport, hookimpl
from engine.storage.migrations import Migration


@hookimpl
def minsheng_entities(db: Any) -> None:
    from plugins.schedule.entities import declare

    declare(db)


@hookimpl
def minsheng_migrations() -> list[Migration]:
    from plugins.schedule.entities import MIGRATIONS

    return list(MIGRATIONS)


@hookimpl
def minsheng_tallies() -> Any:
    """The maintained standings summed per region, year, status and colour, kept by the database."""
    from plugins.schedule.entities import STANDINGS_TALLY

    return STANDINGS_TALLY


@hookimpl
def minsheng_graphql() -> GraphQLExtension:
    from plugins.schedule.graphql import extension

    return extension()


@hookimpl
def minsheng_demo_prepare(engine: Any, demo: Any, project: Any, event: str) -> None:
    """Before the demo fires ``event``: the plan before the vote, the month-end progress reports due before it."""
    from plugins.schedule.demo import prepare

    prepare(demo, project, event)


@hookimpl
def minsheng_demo_data(db: Any, demo: Any) -> None:
    """The progress reports and actuals of the demo's projects under way, up to the demo's date."""
    from plugins.schedule.demo import add_demo_records

    add_demo_records(demo)


@hookimpl
def minsheng_transition(record: Any, engine: Any) -> None:
    """A transition moves its project's maintained standing (state, under way, done colour) in its transaction."""
    from engine.storage.sql import Sql
    from plugins.schedule.maintained import refresh

    refresh(engine, Sql(engine.db), [record.project.id], record.at.date(), compare=False)


@hookimpl
def minsheng_tick(engine: Any, on: Any) -> TickReport:
    """Daily: expected progress moves with the date, so every project's maintained standing is refreshed."""
    from plugins.schedule.maintained import refresh_all

    result = refresh_all(engine, on)
    return TickReport("schedule", f"{result.projects} standing(s) refreshed for {on.isoformat()}, "
                                  f"{result.changed} changed")


@hookimpl
def minsheng_project_progress(engine: Any, sql: Any, project_ids: Any, on: Any) -> Any:
    """序时进度 for the engine's readers (the map's colours, the list export's progress columns)."""
    from plugins.schedule.figures import progress_of

    return progress_of(engine, sql, project_ids, on)


@hookimpl
def minsheng_dashboard_figures(engine: Any, sql: Any, scope: Any) -> Any:
    """序时进度 figures for the dashboard, the 红黑榜 and the monthly bulletin (public: progress is published)."""
    from plugins.schedule.dashboard import figures

    return figures(engine, sql, scope)


@hookimpl
def minsheng_record_kinds() -> list[Any]:
    """Progress reports carry evidence files (site photos)."""
    from engine.evidence.kinds import RecordKind

    return [RecordKind("progress_report", "进度报告", "schedule_progress_report")]
