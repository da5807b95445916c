"""Publishing workflow versions while the server runs (``minsheng workflow publish``, ``workflow check --db``) and
the ``workflows`` query's versions with their status and project counts."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.api.ids import to_global_id
from engine.cli import main
from tests.conftest import SIMPLE_WORKFLOW, backend
from tests.district import District

WORKFLOWS = "{ workflows { name version status projectCount } }"
CREATE = """mutation($input: CreateProjectInput!) { createProject(input: $input) {
  project { id state { name } } userErrors { code message path } } }"""
FIRE = """mutation($input: FireTransitionInput!) { fireTransition(input: $input) {
  toState userErrors { code message path } } }"""
# version 2 of the simple workflow: a new step 验收 (check) between approved and done
CHECK_STEP = """  - event: check
    label: 验收
    from: approved
    to: done
    roles: [office]
"""


def version_2(tmp_path: Path, extra: str = CHECK_STEP) -> Path:
    text = SIMPLE_WORKFLOW.read_text(encoding="utf-8").replace("version: 1", "version: 2")
    path = tmp_path / "simple-v2.yaml"
    path.write_text(text.replace("transitions:\n", "transitions:\n" + extra, 1), encoding="utf-8")
    return path


def versions(gql, username: str = "county_office") -> dict:
    body = gql(username, WORKFLOWS)
    return {(w["name"], w["version"]): (w["status"], w["projectCount"]) for w in body["data"]["workflows"]}


def test_publish_while_the_server_runs(gql, engine, district: District, db_url, tmp_path, capsys):
    engine.workflow_poll_seconds = 0  # every request looks at the workflow table
    old = district.project()
    assert versions(gql)[("simple", 1)] == ("active", 1)
    v2 = version_2(tmp_path)
    assert main(["workflow", "publish", str(v2), "--db", db_url]) == 0
    assert capsys.readouterr().out == "published workflow 'simple' version 2; version 1 is superseded\n"

    assert versions(gql)[("simple", 1)] == ("superseded", 1)
    assert versions(gql)[("simple", 2)] == ("active", 0)
    created = gql("committee", CREATE, {"input": {
        "regionId": to_global_id("Region", district.regions["county"]), "title": "新建便民服务中心", "year": 2024,
        "category": "民政", "budget": "2000000", "workflow": "simple",
        "leadUnitId": to_global_id("Unit", district.units["edu"])}})["data"]["createProject"]
    assert created["userErrors"] == []
    new_id = created["project"]["id"]
    approve = gql("committee", FIRE, {"input": {"projectId": new_id, "event": "approve",
                                                "fields": {"decision_no": "县政发〔2024〕3号"}}})
    assert approve["data"]["fireTransition"]["toState"] == "approved"
    checked = gql("county_office", FIRE, {"input": {"projectId": new_id, "event": "check"}})
    assert checked["data"]["fireTransition"] == {"toState": "done", "userErrors": []}
    assert versions(gql)[("simple", 2)] == ("active", 1)

    old_id = to_global_id("Project", old)
    gql("committee", FIRE, {"input": {"projectId": old_id, "event": "approve", "fields": {"decision_no": "1号"}}})
    refused = gql("county_office", FIRE, {"input": {"projectId": old_id, "event": "check"}})
    assert refused["data"]["fireTransition"]["userErrors"] == [
        {"code": "INVALID_EVENT", "message": "workflow 'simple' has no event 'check'", "path": ["input", "event"]}]


def test_publishing_the_same_content_again_changes_nothing(engine, district, db_url, tmp_path, capsys):
    v2 = version_2(tmp_path)
    assert main(["workflow", "publish", str(v2), "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["workflow", "publish", str(v2), "--db", db_url]) == 0
    assert capsys.readouterr().out == ("workflow 'simple' version 2 is already published with this content: "
                                       "nothing to do\n")
    assert main(["workflow", "check", str(v2), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "is already published with the same content: no change" in out and "1 file(s) OK" in out


def test_check_with_db_says_what_publishing_would_do(engine, district, db_url, tmp_path, capsys):
    district.project()
    assert main(["workflow", "check", str(version_2(tmp_path)), "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path / 'simple-v2.yaml'}: workflow 'simple' version 2 would be published as a new version; "
        "version 1 (1 project(s)) becomes superseded and keeps its projects", "1 file(s) OK"]
    with_changed_content = tmp_path / "simple.yaml"
    with_changed_content.write_text(SIMPLE_WORKFLOW.read_text(encoding="utf-8").replace("label: 批准", "label: 审批"),
                                    encoding="utf-8")
    assert main(["workflow", "check", str(with_changed_content), "--db", db_url]) == 1
    assert capsys.readouterr().out == (
        f"{with_changed_content}:3: workflow 'simple': content changed without a version bump while 1 project(s) "
        "use version 1: raise 'version' to 2 to publish the change\n")
    assert main(["workflow", "publish", str(with_changed_content), "--db", db_url]) == 2
    assert capsys.readouterr().err.startswith(f"error: {with_changed_content}:3: workflow 'simple': content changed")


def test_an_invalid_version_is_never_published(engine, district, db_url, tmp_path, capsys):
    engine.workflow_poll_seconds = 0
    broken = version_2(tmp_path, CHECK_STEP.replace("to: done", "to: nowhere"))
    assert main(["workflow", "publish", str(broken), "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {broken}:") and "nowhere" in err and err.count("\n") == 1
    assert not engine.refresh_workflows(force=False)  # the table did not change
    assert sorted(v for n, v in engine.workflow_names.values() if n == "simple") == [1]


def test_an_older_version_than_the_published_one_is_refused(engine, db_url, tmp_path, capsys):
    v2 = version_2(tmp_path)
    v3 = tmp_path / "simple-v3.yaml"
    v3.write_text(v2.read_text(encoding="utf-8").replace("version: 2", "version: 3"), encoding="utf-8")
    assert main(["workflow", "publish", str(v3), "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["workflow", "check", str(v2), "--db", db_url]) == 1
    assert capsys.readouterr().out == (f"{v2}:3: workflow 'simple' version 2 is older than the published version 3: "
                                       "raise 'version' to 4\n")
    older = tmp_path / "simple-v1-again.yaml"
    older.write_text(SIMPLE_WORKFLOW.read_text(encoding="utf-8").replace("label: 简单流程", "label: 简单流程（旧）"),
                     encoding="utf-8")
    # version 1's content changes: no project uses it, but version 2 is already the active one
    assert main(["workflow", "check", str(older), "--db", db_url]) == 0
    assert "would replace the recorded content of that version" in capsys.readouterr().out


def test_publish_errors_are_one_line(tmp_path, db_url, capsys):
    assert main(["workflow", "publish", str(tmp_path / "missing.yaml"), "--db", db_url]) == 2
    assert capsys.readouterr().err == f"error: no such workflow file: {tmp_path / 'missing.yaml'}\n"


def test_a_version_published_by_another_process_is_found_when_a_project_uses_it(engine, district, db_url,
                                                                                  tmp_path):
    """A worker that has not looked yet meets a project on an unknown version: it re-reads the table."""
    from engine.core import Engine
    from engine.projects import NewProject, create_project
    from tests.conftest import DEFAULT_WORKFLOW

    engine.workflow_poll_seconds = 3600
    other = Engine.open(db_url, disabled=[], clock=engine.clock, entry_points=False,
                        workflow_files=[DEFAULT_WORKFLOW, version_2(tmp_path)])
    try:
        new = create_project(other, district.actor("county_office"), NewProject(
            district.regions["county"], {"title": "新项目", "year": 2024, "category": "教育", "budget": 5000,
                                         "lead_unit_id": district.units["edu"]}, workflow="simple"))
    finally:
        other.close()
    from engine.availability import available_transitions

    events = [a.event for a in available_transitions(engine, district.actor("committee"), new)]
    assert events == ["approve", "drop"]
    assert engine.workflows.named("simple").definition.version == 2


@pytest.mark.skipif(backend() != "postgres", reason="LISTEN/NOTIFY is PostgreSQL's")
def test_on_postgresql_a_publish_reaches_the_running_server_at_once(engine, http, db_url, tmp_path, capsys):
    import time

    engine.workflow_poll_seconds = float("inf")  # no periodic look: only the notification can do it
    assert main(["workflow", "publish", str(version_2(tmp_path)), "--db", db_url]) == 0
    deadline = time.monotonic() + 10
    while engine.workflows.named("simple").definition.version != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.workflows.named("simple").definition.version == 2


def test_project_counts_are_what_the_caller_reads(gql, district: District):
    district.project()  # in the county, in draft (not published)
    district.project(region="town_a")
    assert versions(gql, "county_office")[("simple", 1)] == ("active", 2)
    assert versions(gql, "town_a_office")[("simple", 1)] == ("active", 1)
    assert versions(gql, None)[("simple", 1)] == ("active", 0)  # the public reads published states only
