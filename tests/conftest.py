"""Shared fixtures. Every test gets its own database: a temporary SQLite file, or — when MINSHENG_TEST_DB is a
PostgreSQL URL — a fresh schema in that database, dropped afterwards."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

import pytest

from engine.clock import Clock
from engine.core import Engine
from tests.district import District, build_district

TEST_DB = os.environ.get("MINSHENG_TEST_DB", "sqlite")
TESTS = Path(__file__).parent
DEFAULT_WORKFLOW = TESTS.parent / "workflows" / "minsheng.yaml"
SIMPLE_WORKFLOW = TESTS / "workflows" / "simple.yaml"


def backend() -> str:
    return "postgres" if TEST_DB.startswith("postgres") else "sqlite"


def database_url(tmp_path: Path, name: str = "test.db") -> Iterator[str]:
    """A database for one test: a temporary SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if backend() == "sqlite":
        yield f"sqlite:///{tmp_path / name}"
        return
    import psycopg2

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(TEST_DB)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in TEST_DB else "?"
    try:
        yield f"{TEST_DB}{separator}options={quote(f'-c search_path={schema}')}"
    finally:
        admin.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    yield from database_url(tmp_path)


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.set("2024-03-01T09:00:00")
    return clock


@pytest.fixture
def engine(db_url: str, clock: Clock) -> Iterator[Engine]:
    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False,
                         workflow_files=[DEFAULT_WORKFLOW, SIMPLE_WORKFLOW])
    yield engine
    engine.close()


@pytest.fixture
def district(engine: Engine) -> District:
    return build_district(engine)


@pytest.fixture
def app(engine: Engine):
    from engine.api.app import ApiSettings, create_app

    return create_app(engine, ApiSettings(introspection=True))


@pytest.fixture
def http(app) -> Iterator[object]:
    from starlette.testclient import TestClient

    with TestClient(app) as client:
        yield client


@pytest.fixture
def gql(http, district: District):
    """``gql(username_or_None, query, variables=None)`` → the JSON body of POST /graphql (None: the public),
    without its ``extensions`` (the request's cost, tested in ``test_api_cost.py``)."""

    def call(username: str | None, query: str, variables: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {district.tokens[username]}"} if username else {}
        response = http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        body.pop("extensions", None)
        return body

    return call
