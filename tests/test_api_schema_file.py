"""The checked-in schema.graphql is the schema the server builds (core and built-in plugins)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.api.schema_file import printed_schema
from engine.cli import main

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_graphql_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == printed_schema(), (
        "schema.graphql differs from the schema in the code: run `minsheng schema export --output schema.graphql`")


def test_the_schema_has_the_core_api() -> None:
    text = printed_schema()
    for line in ("projects(filter: ProjectFilter = null, first: Int! = 20, after: String = null): ProjectConnection!",
                 "fireTransition(input: FireTransitionInput!): FireTransitionPayload!",
                 "type UserError {", "interface Node {"):
        assert line in text


def test_export_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schema.graphql"
    assert main(["schema", "export", "--output", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == printed_schema()
    assert capsys.readouterr().out == f"wrote {target}\n"
    assert main(["schema", "export"]) == 0
    assert capsys.readouterr().out == printed_schema()
