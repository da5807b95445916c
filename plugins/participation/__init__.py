"""Built-in plugin: participation 群众参与 — calls for suggestions 征集公告, suggestions 群众建议 with encrypted
personal data and receipt codes, and the offices' screening into the project pool 储备库 (merge, decline, accept).
The candidate list and the congress vote 票决 are the sub-plugin ``plugins.participation.voting``. See README.md."""
from __future__ import annotations

from typing import Any

from engine.api.extension import GraphQLExtension
from engine.hookspecs import hookimpl
from engine.storage.migrations import Migration


@hookimpl
def minsheng_migrations() -> list[Migration]:
    from plugins.participation.tables import MIGRATIONS

    return list(MIGRATIONS)


@hookimpl
def minsheng_graphql() -> GraphQLExtension:
    """The plugin's API; building it checks the settings, so a malformed variable stops the server at start-up."""
    from plugins.participation import graphql, settings

    settings.from_env()
    return graphql.EXTENSION



@hookimpl
def minsheng_cli_commands(commands: Any) -> None:
    """``minsheng suggestion erase RECEIPT | list | keygen``."""
    from plugins.participation.cli import add_commands

    add_commands(commands)


@hookimpl(tryfirst=True)
def minsheng_demo_data(db: Any, demo: Any) -> None:
    """The demo district's open call with 40 suggestions, screened in part into the pool (``demo``). First, so
    that the pool projects are among ``demo.projects`` when the other plugins add their records."""
    from plugins.participation.demo import add_demo_records

    add_demo_records(demo)


@hookimpl
def minsheng_record_kinds() -> list[Any]:
    """A suggestion accepted into the pool takes evidence files on its project (the scanned letter, a photo of the
    site): ``attachEvidence(recordKind: "suggestion", recordId: <suggestion id>)``."""
    from engine.evidence.kinds import RecordKind

    return [RecordKind("suggestion", "群众建议", "participation_suggestion")]
