"""``minsheng serve``: refused configurations, and the real server under uvicorn answering over a socket.

Servers run as subprocesses (``python -m engine.cli serve …``) on a free port and are stopped at the end of each
test; every wait is bounded. They load the default workflows, as a user's server does (the ``district`` fixture's
projects run on ``simple``, which the database keeps).
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from engine.api.ids import to_global_id
from tests.conftest import backend
from tests.district import District

START_TIMEOUT = 60.0
QUERY = "query($id: ID!) { project(id: $id) { code title state { name } } }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A ``minsheng serve`` subprocess; its output goes to files so nothing blocks on a full pipe."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.out, self.err = cwd / "serve.out", cwd / "serve.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--port", str(self.port),
                                             *args], cwd=cwd, stdout=out, stderr=err, env=dict(os.environ))

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited: {self.err.read_text()}"
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).json() == {"status": "ok"}:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError(f"the server did not answer within {START_TIMEOUT} s: {self.err.read_text()}")

    def graphql(self, token: str, query: str, variables: dict | None = None) -> dict:
        response = httpx.post(self.url + "/graphql", json={"query": query, "variables": variables or {}},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10.0)
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture
def start(tmp_path: Path) -> Iterator:
    servers: list[Server] = []

    def run(*args: str) -> Server:
        server = Server(list(args), tmp_path)
        servers.append(server)
        server.wait_ready()
        return server

    yield run
    for server in servers:
        server.stop()


def refused(*args: str, cwd: Path) -> str:
    """Run ``minsheng serve ARGS`` expecting a refusal (exit 2, bounded in time even if it started serving)."""
    done = subprocess.run([sys.executable, "-m", "engine.cli", "serve", "--port", str(free_port()), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    return done.stderr


def test_several_workers_on_sqlite_are_refused_before_anything_starts(tmp_path):
    db = tmp_path / "x.db"
    assert "--workers 2 needs PostgreSQL" in refused("--db", f"sqlite:///{db}", "--workers", "2", cwd=tmp_path)
    (tmp_path / "minsheng-demo.db").write_text("an earlier demo")
    assert "--workers 3 needs PostgreSQL" in refused("--demo", "--workers", "3", cwd=tmp_path)
    assert not db.exists() and (tmp_path / "minsheng-demo.db").read_text() == "an earlier demo"


def test_the_demo_refuses_a_database_that_has_data(district, db_url, tmp_path):
    assert "--demo needs an empty database" in refused("--demo", "--db", db_url, cwd=tmp_path)


def test_uvicorn_serves_health_and_graphql(district: District, db_url, start):
    project_id = district.project(title="城区学校运动场改造")
    server = start("--db", db_url)
    body = server.graphql(district.tokens["committee"], QUERY, {"id": to_global_id("Project", project_id)})
    assert body["data"] == {"project": {"code": "2024-00001", "title": "城区学校运动场改造",
                                        "state": {"name": "draft"}}}
    assert body["extensions"]["cost"]["requested"] == 5
    assert "Uvicorn running on" in server.err.read_text()


def test_the_demo_server_prints_tokens_and_a_query_that_works(tmp_path, db_url, start):
    if backend() == "sqlite":
        (tmp_path / "minsheng-demo.db").write_bytes(b"an old demo file that is not a database")
        server = start("--demo")
    else:
        server = start("--demo", "--db", db_url)
    out = server.out.read_text(encoding="utf-8")
    tokens = dict(re.findall(r"^  (\w+) .* (msk_[\w-]+)$", out, re.MULTILINE))
    assert {"office", "committee", "unit", "finance", "qingshi_office"} <= set(tokens)
    curl = next(line for line in out.splitlines() if line.strip().startswith("curl"))
    assert f"{server.url}/graphql" in curl and tokens["office"] in curl
    query = re.search(r"\"query\": \"(.*)\"}'$", curl).group(1).replace('\\"', '"')
    body = server.graphql(tokens["office"], query)
    assert "errors" not in body and body["data"]["projects"]["totalCount"] >= 1
    assert server.graphql(tokens["qingshi_office"], "{ projects { totalCount } }")["data"]["projects"] == {
        "totalCount": 3}
    total = server.graphql(tokens["office"], "{ projects { totalCount } }")["data"]["projects"]["totalCount"]
    assert f"{total} projects on workflow 'minsheng'" in out and total >= 35  # the office sees the whole district
    assert "Demo clock: today is 2024-12-31 17:00" in out  # the clock runs on from the demo's date, not from now
    lagging = server.graphql(tokens["office"], "{ laggingProjects(first: 1) { edges { node { progress { on } } } } }")
    assert lagging["data"]["laggingProjects"]["edges"][0]["node"]["progress"]["on"] == "2024-12-31"
    states = server.graphql(tokens["office"], "{ projects(first: 100) { edges { node { state { name } } } } }")
    workflows = server.graphql(tokens["office"], "{ workflows { name states { name } } }")["data"]["workflows"]
    expected = next(w["states"] for w in workflows if w["name"] == "minsheng")
    assert {e["node"]["state"]["name"] for e in states["data"]["projects"]["edges"]} == {s["name"] for s in expected}
    page = httpx.get(server.url + "/graphql", headers={"Accept": "text/html"}, timeout=10.0)
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_a_worker_builds_its_app_from_the_environment(district: District, db_url, monkeypatch):
    from engine.api.serve import app_from_env

    monkeypatch.setenv("MINSHENG_DB", db_url)
    monkeypatch.setenv("MINSHENG_API_SETTINGS", '{"threads": 3, "introspection": true, "allowed_origins": []}')
    project_id = district.project()
    app = app_from_env()
    assert (app.state.settings.threads, app.state.settings.introspection) == (3, True)
    with TestClient(app) as client:
        response = client.post("/graphql", json={"query": QUERY, "variables": {"id": to_global_id("Project",
                                                                                                      project_id)}},
                               headers={"Authorization": f"Bearer {district.tokens['committee']}"})
    assert response.json()["data"]["project"]["state"] == {"name": "draft"}
    app.state.engine.close()


@pytest.mark.skipif(backend() != "postgres", reason="several workers need PostgreSQL")
def test_two_workers_on_postgresql_answer(district: District, db_url, start):
    project_id = district.project()
    server = start("--db", db_url, "--workers", "2")
    for _ in range(6):
        body = server.graphql(district.tokens["committee"], QUERY, {"id": to_global_id("Project", project_id)})
        assert body["data"]["project"]["state"] == {"name": "draft"}
    deadline = time.monotonic() + START_TIMEOUT
    while server.err.read_text().count("Application startup complete") < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert server.err.read_text().count("Application startup complete") == 2
