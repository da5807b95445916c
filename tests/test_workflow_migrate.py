"""Migrating running projects to another workflow version: the plan (``minsheng workflow migrate``), its dry-run
report, batch execution with a ``migrate`` record in every project's hash chain, resuming after an interruption,
and the ``migrateWorkflow`` mutation for administrators."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pony import orm

from engine.api.ids import to_global_id
from engine.cli import main
from engine.directory.admin import add_actor
from engine.hookspecs import hookimpl
from engine.storage.sql import Sql
from engine import version_migration as migration
from engine.workflow import publishing
from tests.conftest import DEFAULT_WORKFLOW
from tests.district import District
from tests.test_workflow_publish import version_2

PLAN = "workflow: simple\nfrom: 1\nto: 2\n"


def publish(engine, path: Path) -> None:
    publishing.publish(engine.db, engine.target, path, engine.catalog)
    engine.refresh_workflows(force=True)


def rows(engine, workflow: str) -> dict[int, tuple]:
    """id → (version, state, audit_seq) of the workflow's projects."""
    with orm.db_session:
        return {r[0]: tuple(r[1:]) for r in Sql(engine.db).all(
            "SELECT p.id, w.version, p.state, p.audit_seq FROM project p JOIN workflow_version w ON"
            " w.id = p.workflow_id WHERE w.name = ? ORDER BY p.id", (workflow,))}


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class Interrupt:
    """A plugin that fails inside the transaction of the n-th migrated project (as a killed run would stop)."""

    def __init__(self, after: int) -> None:
        self.after, self.seen = after, 0

    @hookimpl
    def minsheng_transition(self, record) -> None:
        if record.event == "migrate":
            self.seen += 1
            if self.seen > self.after:
                raise RuntimeError("interrupted")


def test_an_interrupted_migration_leaves_each_project_migrated_or_untouched_and_resumes(
        engine, district: District, db_url, tmp_path, capsys):
    ids = [district.project() for _ in range(6)]
    publish(engine, version_2(tmp_path))
    plan_file = write(tmp_path, PLAN + "batch: 4\n")
    plan = migration.MigrationPlan.read(engine, plan_file)
    stop = Interrupt(after=3)
    engine.plugins.register(stop)
    with pytest.raises(RuntimeError, match="interrupted"):
        migration.migrate(engine, plan)
    engine.plugins.unregister(stop)
    half = rows(engine, "simple")
    assert [half[i] for i in ids] == [(2, "draft", 2)] * 3 + [(1, "draft", 1)] * 3  # the 4th rolled back whole

    assert main(["workflow", "migrate", str(plan_file), "--db", db_url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 project(s) migrated, 0 cannot, 0 already migrated"
    assert "  draft → draft: 3 project(s), 3 moved, 0 cannot" in out
    assert [rows(engine, "simple")[i] for i in ids] == [(2, "draft", 2)] * 6
    assert main(["workflow", "migrate", str(plan_file), "--db", db_url]) == 0  # safe to run twice
    assert capsys.readouterr().out.splitlines()[-1] == "0 project(s) migrated, 0 cannot, 0 already migrated"
    assert main(["audit", "verify", "--db", db_url]) == 0
    assert capsys.readouterr().out.endswith(", 0 broken\n")
    with orm.db_session:
        record = Sql(engine.db).one("SELECT kind, event, from_state, to_state, actor_name, fields FROM audit_record"
                                    " WHERE project_id = ? AND seq = 2", (ids[0],))
    assert record[:5] == ("migrate", "migrate", "draft", "draft", "系统")
    assert f'"plan_checksum":"{plan.checksum}"' in record[5] and '"from_version":1' in record[5]
    assert '"to_version":2' in record[5]


def test_migrated_projects_run_on_the_new_version(engine, district: District, db_url, tmp_path, capsys):
    from engine.availability import available_transitions
    from engine.transition import TransitionRequest, fire_transition

    project = district.project()
    fire_transition(engine, district.actor("committee"), TransitionRequest(project, "approve",
                                                                           {"decision_no": "县人大〔2024〕1号"}))
    publish(engine, version_2(tmp_path))
    assert "check" not in [a.event for a in available_transitions(engine, district.actor("county_office"), project)]
    assert main(["workflow", "migrate", str(write(tmp_path, PLAN)), "--db", db_url]) == 0
    engine.refresh_workflows(force=True)
    assert "check" in [a.event for a in available_transitions(engine, district.actor("county_office"), project)]
    record = fire_transition(engine, district.actor("county_office"), TransitionRequest(project, "check"))
    assert record.dest == "done"


@pytest.mark.parametrize("text, line, message", [
    (PLAN.replace("to: 2", "to: 7"), 3, "unknown version 'to: 7': workflow 'simple' has versions 1, 2"),
    (PLAN.replace("simple", "nothing"), 2, "unknown version 'from: 1': there is no workflow 'nothing'"),
    (PLAN + "states:\n  draft: drafting\n", 5,
     "state 'drafting' does not exist in simple version 2 (its states: draft, approved, done, paused, dropped)"),
    (PLAN + "states:\n  drafts: draft\n", 5, "state 'drafts' does not exist in simple version 1"),
    (PLAN + "defaults:\n  planned_end: soon\n", 5, "default 'planned_end': "),
    (PLAN + "batch: 0\n", 4, "'batch' must be a whole number from 1 to 10000"),
    (PLAN + "owner: me\n", 4, "unknown key 'owner' in the plan"),
])
def test_a_bad_plan_is_refused_with_file_and_line(engine, db_url, tmp_path, capsys, text, line, message):
    publish(engine, version_2(tmp_path))
    plan = write(tmp_path, text)
    assert main(["workflow", "migrate", str(plan), "--db", db_url, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {plan}:{line}: {message}") and err.count("\n") == 1, err


def test_a_missing_plan_file_is_one_line(db_url, tmp_path, capsys):
    assert main(["workflow", "migrate", str(tmp_path / "none.yaml"), "--db", db_url]) == 2
    assert capsys.readouterr().err == f"error: no such migration plan: {tmp_path / 'none.yaml'}\n"


# --- the demo district on the default workflow: its next version drops 评估论证 (assessed) ---

DEFAULT_VERSION = int(re.search(r"^version: (\d+)$", DEFAULT_WORKFLOW.read_text(encoding="utf-8"), re.M).group(1))
NEXT_VERSION = DEFAULT_VERSION + 1


def minsheng_without_assessed(tmp_path: Path) -> Path:
    text = DEFAULT_WORKFLOW.read_text(encoding="utf-8").replace(f"version: {DEFAULT_VERSION}",
                                                                f"version: {NEXT_VERSION}")
    text = text.replace("  assessed:    {label: 评估论证, editable: true}\n", "")
    start, end = text.index("  - event: assess\n"), text.index("  - event: reject\n")
    text = text[:start] + text[end:]
    text = text.replace("from: [proposed, assessed]", "from: proposed")
    text = text.replace("from: assessed\n    to: approved", "from: proposed\n    to: approved")
    return write(tmp_path, text, "minsheng-v4.yaml")


MINSHENG_PLAN = f"workflow: minsheng\nfrom: {DEFAULT_VERSION}\nto: {NEXT_VERSION}\n"
MIGRATE = """mutation($plan: String!, $dryRun: Boolean) { migrateWorkflow(plan: $plan, dryRun: $dryRun) {
  dryRun fromVersion toVersion migrated cannot states { fromState toState projects mapped cannot reasons warnings }
  report userErrors { code message path } } }"""


@pytest.fixture
def demo(engine):
    from engine.demo import build_demo

    return build_demo(engine)


def test_dry_run_on_the_demo_district_for_a_plan_that_removes_a_state(engine, demo, db_url, tmp_path, capsys):
    publish(engine, minsheng_without_assessed(tmp_path))
    before = rows(engine, "minsheng")
    by_state: dict[str, int] = {}
    for _, state, _ in before.values():
        by_state[state] = by_state.get(state, 0) + 1
    assert by_state.get("assessed", 0) >= 1

    assert main(["workflow", "migrate", str(write(tmp_path, MINSHENG_PLAN)), "--db", db_url, "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"dry run: workflow 'minsheng' version {DEFAULT_VERSION} → {NEXT_VERSION} (plan ")
    n = by_state["assessed"]
    assert f"  assessed → (no such state in the target): {n} project(s), 0 would move, {n} cannot" in out
    assert f"    cannot ({n}): state 'assessed' does not exist in version {NEXT_VERSION}: map it in 'states'" in out
    for state, count in by_state.items():
        if state != "assessed":
            assert any(line.startswith(f"  {state} → {state}: {count} project(s), ") for line in out), state
    assert out[-1] == (f"{len(before)} project(s) on version {DEFAULT_VERSION}: {len(before) - n} would be migrated, "
                       f"{n} cannot")
    assert rows(engine, "minsheng") == before  # a dry run changes nothing

    mapped = write(tmp_path, MINSHENG_PLAN + "states:\n  assessed: approved\n", "mapped.yaml")
    assert main(["workflow", "migrate", str(mapped), "--db", db_url, "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"  assessed → approved: {n} project(s), {n} would move, 0 cannot" in out
    # approving needs a funding plan covering the budget: an assessed project has none yet
    warnings = [line for line in out if line.startswith("    warning (")]
    assert warnings and all("'approve' into approved would be blocked now: " in line for line in warnings)
    assert rows(engine, "minsheng") == before


def test_the_mutation_is_for_administrators_and_moves_only_what_they_reach(engine, demo, db_url, tmp_path):
    from starlette.testclient import TestClient

    from engine.api.app import ApiSettings, create_app

    publish(engine, minsheng_without_assessed(tmp_path))
    plan = MINSHENG_PLAN + "states:\n  assessed: approved\n"
    town, town_code = _a_town_with_projects(engine)
    town_admin = add_actor(engine, "town_admin", "镇管理员", ["admin"], town_code, None)
    before = rows(engine, "minsheng")
    with TestClient(create_app(engine, ApiSettings())) as client:
        def call(token: str | None, variables: dict) -> dict:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = client.post("/graphql", json={"query": MIGRATE, "variables": variables}, headers=headers).json()
            assert "errors" not in body, body
            return body["data"]["migrateWorkflow"]

        for token in (None, demo.tokens["office"]):
            refused = call(token, {"plan": plan, "dryRun": True})
            assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"] and refused["states"] == []
        bad = call(demo.tokens["admin"], {"plan": plan.replace("approved", "approval"), "dryRun": True})
        assert bad["userErrors"] == [{"code": "INVALID_INPUT", "path": ["plan"], "message":
                                      f"plan:5: state 'approval' does not exist in minsheng version {NEXT_VERSION} "
                                      "(its states: "
                                      "proposed, approved, in_progress, rectifying, completed, handed_over, "
                                      "reviewed, suspended, rejected, terminated)"}]

        dry = call(demo.tokens["admin"], {"plan": plan, "dryRun": True})
        assert (dry["dryRun"], dry["fromVersion"], dry["toVersion"], dry["migrated"]) == (
            True, DEFAULT_VERSION, NEXT_VERSION, 0)
        assert sum(s["projects"] for s in dry["states"]) == len(before)
        assert rows(engine, "minsheng") == before

        in_town = call(town_admin, {"plan": plan})
        with orm.db_session:
            town_ids = {r[0] for r in Sql(engine.db).all(
                "SELECT id FROM project WHERE region_path LIKE (SELECT path FROM region WHERE id = ?) || '%'",
                (town,))}
        assert 0 < in_town["migrated"] == len(town_ids) < len(before)
        after = rows(engine, "minsheng")
        assert {i for i in after if after[i][0] == NEXT_VERSION} == town_ids

        everything = call(demo.tokens["admin"], {"plan": plan})
        assert everything["migrated"] == len(before) - len(town_ids) and everything["cannot"] == 0
    assert {v[0] for v in rows(engine, "minsheng").values()} == {NEXT_VERSION}
    assert main(["audit", "verify", "--db", db_url]) == 0


def _a_town_with_projects(engine) -> tuple[int, str]:
    with orm.db_session:
        return Sql(engine.db).one(
            "SELECT r.id, r.code FROM region r WHERE r.level = 'town' AND EXISTS (SELECT 1 FROM project p WHERE"
            " p.region_path LIKE r.path || '%') ORDER BY r.id LIMIT 1")


def test_defaults_fill_the_dates_a_target_deadline_needs(engine, district: District, db_url, tmp_path, capsys):
    from engine.transition import TransitionRequest, fire_transition

    dated, undated = district.project(planned_end="2024-10-31"), district.project()
    for project in (dated, undated):
        fire_transition(engine, district.actor("committee"), TransitionRequest(project, "approve",
                                                                               {"decision_no": "1号"}))
    v2 = version_2(tmp_path)
    text = v2.read_text(encoding="utf-8").replace("approved: {label: 已批准, public: true}",
                                                  "approved: {label: 已批准, public: true, deadline: planned_end}")
    v2.write_text(text.replace("transitions:\n", "supervision:\n  ladder:\n    - {at: 0, step: overdue, label: 逾期}\n"
                                                  "transitions:\n", 1), encoding="utf-8")
    publish(engine, v2)
    assert main(["workflow", "migrate", str(write(tmp_path, PLAN)), "--db", db_url, "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "  approved → approved: 2 project(s), 1 would move, 1 cannot" in out
    assert ("    cannot (1): state 'approved' has a deadline on 计划完成 (planned_end), which the project lacks: give "
            "it in 'defaults'") in out

    plan = write(tmp_path, PLAN + "defaults:\n  planned_end: 2024-12-31\n")
    assert main(["workflow", "migrate", str(plan), "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 project(s) migrated, 0 cannot, 0 already migrated"
    with orm.db_session:
        sql = Sql(engine.db)
        ends = dict(sql.all("SELECT id, planned_end FROM project WHERE id IN (?, ?)", (dated, undated)))
        fields = dict(sql.all("SELECT project_id, fields FROM audit_record WHERE kind = 'migrate'"))
    assert {k: str(v)[:10] for k, v in ends.items()} == {dated: "2024-10-31", undated: "2024-12-31"}
    assert "defaults" in fields[undated] and "2024-12-31" in fields[undated] and "defaults" not in fields[dated]


def test_two_runs_at_once_migrate_each_project_once(engine, district: District, db_url, tmp_path):
    import threading

    from engine.core import Engine

    ids = [district.project() for _ in range(8)]
    publish(engine, version_2(tmp_path))
    others = [Engine.open(db_url, disabled=[], clock=engine.clock, entry_points=False,
                          workflow_files=[DEFAULT_WORKFLOW]) for _ in range(2)]
    reports, errors = [], []

    def run(other) -> None:
        try:
            reports.append(migration.migrate(other, migration.MigrationPlan.parse(other, PLAN + "batch: 3\n")))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            other.close()

    threads = [threading.Thread(target=run, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.migrated for r in reports) == 8
    assert [rows(engine, "simple")[i] for i in ids] == [(2, "draft", 2)] * 8  # one migrate record each
    assert main(["audit", "verify", "--db", db_url]) == 0


def test_a_run_stopped_early_says_so_and_the_next_run_continues(engine, district: District, tmp_path):
    ids = [district.project() for _ in range(5)]
    publish(engine, version_2(tmp_path))
    plan = migration.MigrationPlan.parse(engine, PLAN + "batch: 2\n")
    asked = []
    first = migration.migrate(engine, plan, stop=lambda: asked.append(1) or len(asked) > 3)
    assert (first.migrated, first.complete) == (3, False)
    assert first.lines()[-1].startswith("stopped early (time limit)")
    second = migration.migrate(engine, plan)
    assert (second.migrated, second.complete) == (2, True)
    assert [rows(engine, "simple")[i][0] for i in ids] == [2] * 5


def test_a_killed_migrate_process_leaves_whole_projects_and_the_next_run_finishes(engine, district: District,
                                                                                  db_url, tmp_path, capsys):
    import os
    import signal
    import subprocess
    import sys

    ids = [district.project() for _ in range(150)]
    publish(engine, version_2(tmp_path))
    plan = write(tmp_path, PLAN + "batch: 5\n")
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "workflow", "migrate", str(plan), "--db", db_url],
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = process.stdout.readline()  # the first batch is done
        assert first.startswith("… 5 migrated so far"), first
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
        process.stdout.close()
    killed = rows(engine, "simple")
    states = {killed[i] for i in ids}
    assert states <= {(1, "draft", 1), (2, "draft", 2)}  # each project whole: old and untouched, or moved and recorded
    moved = sum(1 for i in ids if killed[i][0] == 2)
    assert 5 <= moved < len(ids), moved

    assert main(["workflow", "migrate", str(plan), "--db", db_url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (f"{len(ids) - moved} project(s) migrated, 0 cannot, "
                                                        "0 already migrated")
    assert {rows(engine, "simple")[i] for i in ids} == {(2, "draft", 2)}
    assert main(["audit", "verify", "--db", db_url]) == 0
