"""Built-in plugin: satisfaction 满意度测评.

Residents (anonymously, once per survey round per device), 监督员 and 人大代表 rate a project's results; the standing
committee records deputies' vote sessions; ``satisfaction.rated`` blocks the review until enough answers exist;
``satisfaction.grade`` grades the project (优良 / 良好 / 一般) and rewards or rectifies it. See README.md beside
this file for the choices made (score → verdict mapping, what the rate counts, grade bands, device-token hashing).
"""
from __future__ import annotations

from typing import Any

from engine.api.extension import GraphQLExtension
from engine.workflow.guards import ActionSpec, GuardSpec
from engine.hookspecs import hookimpl
from engine.storage.migrations import Migration
from engine.storage.sql import Sql
from plugins.satisfaction import config, demo as demo_data, entities, graphql, guards


@hookimpl
def minsheng_chained_tables() -> list[Any]:
    """Ratings and their corrections are ``rating`` records in the projects' hash chains."""
    from plugins.satisfaction.chained import TABLES

    return list(TABLES)


@hookimpl
def minsheng_entities(db: Any) -> None:
    entities.declare(db)


@hookimpl
def minsheng_migrations() -> list[Migration]:
    return list(entities.MIGRATIONS)


@hookimpl
def minsheng_tallies() -> Any:
    """Answers in force, rated projects and projects by latest grade per region and year, kept by the database."""
    from plugins.satisfaction.maintained import TALLY

    return TALLY


@hookimpl
def minsheng_guards() -> list[GuardSpec]:
    return list(guards.GUARDS)


@hookimpl
def minsheng_actions() -> list[ActionSpec]:
    return list(guards.ACTIONS)


@hookimpl
def minsheng_transition(record: Any, db: Any, engine: Any) -> None:
    """Survey rounds follow the workflow: entering the stage surveyed opens one, leaving it closes it."""
    from plugins.satisfaction.rounds import on_transition

    on_transition(engine, Sql(db), record)


@hookimpl
def minsheng_graphql() -> GraphQLExtension:
    """The plugin's API; building it checks the anonymous-rating settings first, so a malformed environment
    variable stops the server at start-up with its name rather than on the first rating."""
    config.from_env()
    return graphql.EXTENSION


@hookimpl
def minsheng_demo_data(db: Any, demo: Any) -> None:
    demo_data.add_demo_data(Sql(db), demo)


@hookimpl(optionalhook=True)
def minsheng_demo_prepare(engine: Any, demo: Any, project: Any, event: str) -> None:
    """Called by the demo builder before each event (a hook the builder uses when some plugin provides it)."""
    demo_data.prepare(engine, demo, project, event)


@hookimpl
def minsheng_dashboard_figures(sql: Any, scope: Any) -> Any:
    """满意率, the mean score and the projects by grade, for dashboards and bulletins."""
    from plugins.satisfaction.dashboard import figures

    return figures(sql, scope)
