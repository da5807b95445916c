"""The example regional plugin ``examples/minsheng-yizhenghui``, installed for real with pip.

The module-scoped ``installed`` fixture builds the example from a copy of its folder and installs it (not editable,
no dependencies) into the environment running the tests, then uninstalls it when the module is done, so other
tests (which open engines with ``entry_points=False`` anyway) never see it. Engines here open with
``entry_points=True``: the plugin is found exactly as a region's server would find it.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from pony import orm
from starlette.testclient import TestClient

from engine.api.app import ApiSettings, create_app
from engine.api.ids import to_global_id
from engine.clock import Clock
from engine.core import Engine
from engine.hookspecs import hookimpl
from engine.plugins import PluginLoadError, make_plugin_manager, plugin_names
from engine.storage.sql import Sql
from tests.conftest import SIMPLE_WORKFLOW
from tests.district import District, build_district

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "minsheng-yizhenghui"
DISTRIBUTION = "minsheng-yizhenghui"
PACKAGE = "minsheng_yizhenghui"
PLUGIN = "yizhenghui"
# What pip prints when it cannot download the build requirements (no network, no local index).
OFFLINE = ("Could not find a version that satisfies", "No matching distribution found", "Failed to establish",
           "Network is unreachable", "Temporary failure in name resolution", "ProxyError")

NOT_VOTED = "the town's 议政会 (deliberative council) has not voted on this project yet: no resolution of it is recorded"
NOT_PASSED = ("the town's 议政会 (deliberative council) did not pass this project: at its meeting on 2024-02-20 "
              "(minutes 东议〔2024〕2号) 5 of the 11 members present voted for it, at least 6 (more than half) "
              "are needed")


# -- installing the example ------------------------------------------------------------------------------

def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=300)


def _builds_without_isolation() -> bool:
    """setuptools builds wheels by itself from 70.1 on; older versions also need the ``wheel`` package."""
    try:
        found = re.match(r"(\d+)\.(\d+)", importlib.metadata.version("setuptools"))
    except importlib.metadata.PackageNotFoundError:
        return False
    new_enough = found is not None and (int(found[1]), int(found[2])) >= (70, 1)
    return new_enough or importlib.util.find_spec("wheel") is not None


def _install(source: Path) -> None:
    """``pip install --no-deps`` the example; without isolation when the local setuptools can build it."""
    isolated = not _builds_without_isolation()
    result = _pip("install", "--no-deps", "--no-cache-dir", *([] if isolated else ["--no-build-isolation"]),
                  str(source))
    output = result.stdout + result.stderr
    if result.returncode != 0 and isolated and any(sign in output for sign in OFFLINE):
        pytest.skip("cannot build the example plugin: this environment lacks setuptools>=70.1 (or setuptools with "
                    "wheel) and pip cannot download them (no network or index)")
    assert result.returncode == 0, f"pip could not install {source}:\n{output[-3000:]}"


def _forget_package() -> None:
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    importlib.invalidate_caches()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The installed plugin package's folder (in site-packages). Built from a copy, so that the build leaves
    nothing in ``examples/``; uninstalled afterwards whatever happened."""
    source = tmp_path_factory.mktemp("example") / EXAMPLE.name
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    try:
        _install(source)
        _forget_package()
        spec = importlib.util.find_spec(PACKAGE)
        assert spec is not None and spec.origin is not None, "the installed package cannot be imported"
        yield Path(spec.origin).parent
    finally:
        result = _pip("uninstall", "-y", DISTRIBUTION)
        _forget_package()
        assert result.returncode == 0, f"pip could not uninstall {DISTRIBUTION}:\n{result.stderr[-2000:]}"


# -- a town with the plugin, over HTTP -----------------------------------------------------------------------

@dataclass
class Town:
    engine: Engine
    district: District
    client: TestClient

    def gql(self, username: str | None, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST /graphql as ``username`` (None: the public); the response's ``data``, after checking it has no
        ``errors``."""
        headers = {"Authorization": f"Bearer {self.district.tokens[username]}"} if username else {}
        response = self.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                    headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def town(installed: Path, db_url: str, clock: Clock) -> Iterator[Town]:
    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=True, workflow_files=[])
    try:
        district = build_district(engine)
        with TestClient(create_app(engine, ApiSettings())) as client:
            yield Town(engine, district, client)
    finally:
        engine.close()


CREATE = """mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id state { name } workflow { name version } } userErrors { code } } }"""
FIRE = """mutation($input: FireTransitionInput!) {
  fireTransition(input: $input) { toState userErrors { code message path } } }"""
RECORD = """mutation($input: RecordYizhenghuiResolutionInput!) {
  recordYizhenghuiResolution(input: $input) {
    resolution { projectId meetingDate attendees votesFor votesAgainst votesAbstain passed minutesNo recordedBy }
    userErrors { code message path } } }"""
PROJECT = """query($id: ID!) { project(id: $id) {
  state { name } availableTransitions { event allowed reasons }
  yizhenghuiResolutions { meetingDate votesFor passed minutesNo recordedBy } } }"""


def _town_project(town: Town) -> str:
    """A project of 东城镇 (town_a) on the plugin's workflow, assessed and waiting for approval; its global id."""
    region = to_global_id("Region", town.district.regions["town_a"])
    created = town.gql("town_a_office", CREATE, {"input": {
        "regionId": region, "title": "东城镇农贸市场改造", "year": 2024, "category": "农贸市场", "budget": "800000.00",
        "workflow": "town_minsheng"}})["createProject"]
    assert created["userErrors"] == []
    assert created["project"]["workflow"] == {"name": "town_minsheng", "version": 1}
    project_id = created["project"]["id"]
    assessed = town.gql("town_a_office", FIRE, {"input": {"projectId": project_id, "event": "assess",
                                                          "fields": {"opinion": "群众呼声高，镇财政可承担"}}})
    assert assessed["fireTransition"] == {"toState": "assessed", "userErrors": []}
    return project_id


def test_only_the_office_creates_town_projects(town: Town) -> None:
    region = to_global_id("Region", town.district.regions["town_a"])
    refused = town.gql("county_finance", CREATE, {"input": {
        "regionId": region, "title": "东城镇公厕改造", "year": 2024, "category": "环境", "budget": "200000.00",
        "workflow": "town_minsheng"}})["createProject"]
    assert refused == {"project": None, "userErrors": [{"code": "FORBIDDEN"}]}


def _vote(project_id: str, date: str, votes: tuple[int, int, int, int], minutes_no: str) -> dict[str, Any]:
    attendees, votes_for, against, abstain = votes
    return {"input": {"projectId": project_id, "meetingDate": date, "attendees": attendees, "votesFor": votes_for,
                      "votesAgainst": against, "votesAbstain": abstain, "minutesNo": minutes_no}}


def _approve_option(town: Town, project_id: str) -> dict[str, Any]:
    options = town.gql("town_a_office", PROJECT, {"id": project_id})["project"]["availableTransitions"]
    return next(o for o in options if o["event"] == "approve")


def test_approval_waits_for_a_passing_council_vote(town: Town) -> None:
    project_id = _town_project(town)
    assert _approve_option(town, project_id) == {"event": "approve", "allowed": False, "reasons": [NOT_VOTED]}
    blocked = town.gql("town_a_office", FIRE, {"input": {"projectId": project_id, "event": "approve"}})
    assert blocked["fireTransition"]["userErrors"] == [
        {"code": "GUARD_FAILED", "message": NOT_VOTED, "path": ["input", "event"]}]

    failed = town.gql("town_a_office", RECORD, _vote(project_id, "2024-02-20", (11, 5, 4, 2), " 东议〔2024〕2号 "))
    assert failed["recordYizhenghuiResolution"] == {"userErrors": [], "resolution": {
        "projectId": project_id, "meetingDate": "2024-02-20", "attendees": 11, "votesFor": 5, "votesAgainst": 4,
        "votesAbstain": 2, "passed": False, "minutesNo": "东议〔2024〕2号", "recordedBy": "town_a_office"}}
    assert _approve_option(town, project_id)["reasons"] == [NOT_PASSED]

    passed = town.gql("town_a_office", RECORD, _vote(project_id, "2024-02-28", (11, 6, 3, 2), "东议〔2024〕3号"))
    assert passed["recordYizhenghuiResolution"]["resolution"]["passed"] is True
    assert _approve_option(town, project_id) == {"event": "approve", "allowed": True, "reasons": []}
    approved = town.gql("town_a_office", FIRE, {"input": {"projectId": project_id, "event": "approve"}})
    assert approved["fireTransition"] == {"toState": "approved", "userErrors": []}

    seen = town.gql("town_a_office", PROJECT, {"id": project_id})["project"]
    assert seen["state"] == {"name": "approved"}
    assert [(r["minutesNo"], r["passed"], r["recordedBy"]) for r in seen["yizhenghuiResolutions"]] == [
        ("东议〔2024〕3号", True, "town_a_office"), ("东议〔2024〕2号", False, "town_a_office")]


def test_the_public_sees_the_votes_of_an_approved_project_but_not_who_recorded_them(town: Town) -> None:
    project_id = _town_project(town)
    assert town.gql(None, PROJECT, {"id": project_id})["project"] is None  # assessed is not published
    town.gql("town_a_office", RECORD, _vote(project_id, "2024-02-28", (9, 9, 0, 0), "东议〔2024〕3号"))
    town.gql("town_a_office", FIRE, {"input": {"projectId": project_id, "event": "approve"}})
    public = town.gql(None, PROJECT, {"id": project_id})["project"]
    assert public["availableTransitions"] == []
    assert public["yizhenghuiResolutions"] == [
        {"meetingDate": "2024-02-28", "votesFor": 9, "passed": True, "minutesNo": "东议〔2024〕3号", "recordedBy": None}]


@pytest.mark.parametrize("username, code", [
    ("town_b_office", "NOT_FOUND"),  # another town: the project does not exist for it
    (None, "NOT_FOUND"),  # the public
    ("county_finance", "FORBIDDEN"),  # in the area, but finance does not record council votes
])
def test_only_the_office_or_congress_of_the_area_records_a_resolution(town: Town, username: str | None,
                                                                      code: str) -> None:
    project_id = _town_project(town)
    result = town.gql(username, RECORD, _vote(project_id, "2024-02-28", (9, 9, 0, 0), "东议〔2024〕3号"))
    errors = result["recordYizhenghuiResolution"]["userErrors"]
    assert [(e["code"], e["path"]) for e in errors] == [(code, ["input", "projectId"])]
    assert town.gql("town_a_office", PROJECT, {"id": project_id})["project"]["yizhenghuiResolutions"] == []


def test_a_resolution_that_does_not_add_up_is_refused_with_every_problem(town: Town) -> None:
    project_id = _town_project(town)
    bad = town.gql("county_office", RECORD, _vote(project_id, "2024-03-05", (5, 4, 2, 0), "  "))
    assert {tuple(e["path"]): (e["code"], e["message"]) for e in bad["recordYizhenghuiResolution"]["userErrors"]} == {
        ("input", "attendees"): ("INVALID_INPUT", "6 votes were cast (4 for, 2 against, 0 abstaining) but only 5 "
                                                  "members were present"),
        ("input", "meetingDate"): ("INVALID_INPUT", "the meeting date 2024-03-05 is after today (2024-03-01)"),
        ("input", "minutesNo"): ("INVALID_INPUT", "give the minutes number (1 to 60 characters), e.g. 东议〔2024〕3号")}
    nobody = town.gql("county_office", RECORD, _vote(project_id, "2024-02-28", (0, 0, -1, 0), "东议〔2024〕3号"))
    assert [(e["path"], e["message"]) for e in nobody["recordYizhenghuiResolution"]["userErrors"]] == [
        (["input", "votesAgainst"], "must not be negative, got -1"),
        (["input", "attendees"], "at least one member must be present, got 0")]

    town.gql("county_office", RECORD, _vote(project_id, "2024-02-28", (9, 4, 5, 0), "东议〔2024〕3号"))
    again = town.gql("county_office", RECORD, _vote(project_id, "2024-02-29", (9, 9, 0, 0), "东议〔2024〕3号"))
    assert again["recordYizhenghuiResolution"]["userErrors"] == [{
        "code": "INVALID_INPUT", "path": ["input", "minutesNo"],
        "message": "a resolution with minutes 东议〔2024〕3号 is already recorded for this project"}]
    not_an_id = town.gql("county_office", RECORD, _vote("Project:1", "2024-02-28", (9, 9, 0, 0), "东议〔2024〕4号"))
    assert [e["path"] for e in not_an_id["recordYizhenghuiResolution"]["userErrors"]] == [["input", "projectId"]]
    assert _approve_option(town, project_id)["allowed"] is False  # 4 of 9 is not more than half


# -- one test per hook the plugin implements ---------------------------------------------------------------

def test_it_is_installed_from_its_own_distribution_and_found_by_its_entry_point(installed: Path) -> None:
    assert not installed.is_relative_to(EXAMPLE), "the test must use the pip-installed copy"
    assert (installed / "workflows" / "town_minsheng.yaml").is_file(), "the workflow file is not packaged"
    found = [ep for ep in importlib.metadata.entry_points(group="minsheng") if ep.name == PLUGIN]
    assert [(ep.value, ep.dist.name if ep.dist else None) for ep in found] == [(PACKAGE, DISTRIBUTION)]


def test_a_fresh_process_finds_the_plugin_and_its_guard(installed: Path, tmp_path: Path) -> None:
    code = "from engine.plugins import make_plugin_manager, plugin_names; print(plugin_names(make_plugin_manager()))"
    env = {k: v for k, v in os.environ.items() if k != "MINSHENG_DISABLE_PLUGINS"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"'{PLUGIN}'" in result.stdout
    check = "import sys; from engine.cli import main; sys.exit(main(['workflow', 'check', sys.argv[1]]))"
    result = subprocess.run([sys.executable, "-c", check, str(installed / "workflows" / "town_minsheng.yaml")],
                            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert (result.returncode, result.stdout.strip()) == (0, "1 file(s) OK"), result.stdout + result.stderr


def test_entities_hook_declares_the_resolution_table(town: Town) -> None:
    entity = town.engine.db.entities["YizhenghuiResolution"]
    assert entity._table_ == "yizhenghui_resolution"
    with orm.db_session:
        assert entity.select().count() == 0


def test_migrations_hook_records_its_migration(town: Town) -> None:
    with orm.db_session:
        rows = Sql(town.engine.db).all("SELECT number, description FROM schema_migrations WHERE component = ?",
                                       ("yizhenghui",))
    assert rows == [(1, "town deliberative council resolutions")]


def test_guards_hook_registers_the_guard(town: Town) -> None:
    spec = town.engine.catalog.guards["yizhenghui.approved"]
    assert spec.description == "the town's 议政会 (deliberative council) has approved the project"
    assert spec.params == {}


def test_graphql_hook_adds_the_mutation_and_the_project_field(town: Town) -> None:
    schema = str(town.client.app.state.schemas.query)
    assert "recordYizhenghuiResolution(input: RecordYizhenghuiResolutionInput!): RecordYizhenghuiResolutionPayload!" \
        in schema
    assert "yizhenghuiResolutions: [YizhenghuiResolution!]!" in schema


def test_workflow_files_hook_ships_the_town_workflow(town: Town) -> None:
    loaded = town.engine.workflows.named("town_minsheng")
    assert loaded is not None
    definition = loaded.definition
    assert (definition.version, definition.initial, definition.create_roles) == (1, "proposed", ("office",))
    assert [g.name for g in definition.find("assessed", "approve").guards] == ["yizhenghui.approved"]
    assert definition.public_states() == ["approved", "in_progress", "completed"]


def test_demo_data_hook_records_the_council_votes_of_approved_town_projects(installed: Path, db_url: str,
                                                                           clock: Clock) -> None:
    from engine.demo import build_demo

    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=True, workflow_files=[SIMPLE_WORKFLOW])
    try:
        demo = build_demo(engine)
        with orm.db_session:
            rows = Sql(engine.db).all(
                "SELECT p.code, r.meeting_date, r.passed, r.attendees, r.votes_for + r.votes_against + r.votes_abstain,"
                " a.username, (SELECT MIN(h.at) FROM audit_record h WHERE h.project_id = p.id AND h.event = ?)"
                " FROM yizhenghui_resolution r JOIN project p ON p.id = r.project_id"
                " JOIN actor a ON a.id = r.recorded_by ORDER BY p.code", ("approve",))
    finally:
        engine.close()
    codes = [row[0] for row in rows]
    assert "QS-02" in codes and "TY-01" in codes  # approved village and town projects
    assert not {"PA-01", "TY-03", "HX-02", "CG-02"} & set(codes)  # county-level, assessed, rejected, proposed
    assert len(codes) == len(set(codes))
    for code, meeting, passed, attendees, cast, username, approved_at in rows:
        assert bool(passed) and cast == attendees, code
        assert str(meeting)[:10] < str(approved_at)[:10], f"{code}: the council met after the approval"
        assert demo.actors[username].covers(demo.projects[code].region_path)


def test_minsheng_disable_plugins_turns_it_off(installed: Path, db_url: str, clock: Clock,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINSHENG_DISABLE_PLUGINS", f"{PLUGIN}")
    engine = Engine.open(db_url, clock=clock, entry_points=True, workflow_files=[])
    try:
        assert PLUGIN not in plugin_names(engine.plugins)
        assert "yizhenghui.approved" not in engine.catalog.guards
        assert engine.workflows.named("town_minsheng") is None
    finally:
        engine.close()


# -- broken plugins stop the start-up, naming themselves ---------------------------------------------------------

def test_a_misspelled_hook_is_a_start_up_error_naming_the_plugin() -> None:
    broken = types.ModuleType("broken_region")

    @hookimpl
    def minsheng_guardz() -> list[Any]:  # a typo of minsheng_guards
        return []

    broken.minsheng_guardz = minsheng_guardz  # type: ignore[attr-defined]
    with pytest.raises(PluginLoadError, match=r"minsheng_guardz.*broken_region"):
        make_plugin_manager(extra=[broken], entry_points=False)


def test_a_plugin_that_fails_to_import_is_a_start_up_error_naming_it(db_url: str, clock: Clock,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.metadata.entry_points
    missing = importlib.metadata.EntryPoint("broken_region", "minsheng_no_such_package", "minsheng")

    def entry_points(**selection: Any) -> Any:
        return [missing] if selection.get("group") == "minsheng" else real(**selection)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    with pytest.raises(PluginLoadError, match=r"plugin 'broken_region' failed to load: ModuleNotFoundError"):
        Engine.open(db_url, disabled=[], clock=clock, entry_points=True, workflow_files=[])
