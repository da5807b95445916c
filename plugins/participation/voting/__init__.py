"""Built-in plugin: the candidate list and the congress vote (票决), and the public notice (公示) of its result.

An office assembles a region's candidate list for a year from the pool (projects the workflow's ``approve`` fires
from); the standing committee (主席团) fixes the rules (应选数, 差额数, the majority); the vote session is counted
by the tellers (tally) or voted electronically by secret ballot; closing it approves the chosen through the
workflow in one transaction; publishing opens an objection window. See this folder's README.
"""
from __future__ import annotations

from typing import Any

from engine.api.extension import GraphQLExtension
from engine.hookspecs import hookimpl
from engine.storage.migrations import Migration

from plugins.participation.voting.tables import MIGRATIONS


@hookimpl
def minsheng_migrations() -> list[Migration]:
    return list(MIGRATIONS)


@hookimpl
def minsheng_graphql() -> GraphQLExtension:
    from plugins.participation.voting.graphql import extension

    return extension()


@hookimpl
def minsheng_demo_data(db: Any, demo: Any) -> None:
    """A 15 → 10 list voted by tally for 2024 (published, two objections) and electronically for 2025."""
    from plugins.participation.voting.demo import add_demo_records

    add_demo_records(demo)


@hookimpl
def minsheng_cli_commands(commands: Any) -> None:
    """``minsheng vote results``: the lists and their votes from the command line."""
    from plugins.participation.voting.cli import add_commands

    add_commands(commands)
