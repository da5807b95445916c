"""The plugin hooks: one test per hook, a meta-test that fails when a hook has none, and loading rules."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import strawberry
from pony import orm

from engine import hookspecs
from engine.api.extension import GraphQLExtension
from engine.core import Engine
from engine.errors import GuardFailed
from engine.workflow.guards import ActionSpec, GuardSpec, Param
from engine.hookspecs import hookimpl
from engine.storage.migrations import Migration
from engine.plugins import PluginLoadError, make_plugin_manager, plugin_names
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from tests.conftest import SIMPLE_WORKFLOW
from tests.district import build_district

HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("minsheng_"))

NOTES_WORKFLOW = """name: notes
version: 1
initial: open
create_roles: [office]
roles: {office: 政府办}
states:
  open: {label: 开放, deadline: 10 days, planned: true}
  closed: {label: 关闭, final: true}
supervision:
  ladder:
    - {at: 0, step: overdue, label: 逾期}
transitions:
  - event: close
    from: open
    to: closed
    roles: [office]
    guards:
      - notes.has_notes: {at_least: 2}
    actions:
      - notes.add: {text: closed by the workflow}
"""


class NotesPlugin:
    """A tiny plugin using every hook: notes on projects, a guard, an action, observers, a workflow, GraphQL."""

    def __init__(self, workflow: Path) -> None:
        self.workflow, self.in_transaction, self.after_commit, self.demo_calls = workflow, [], [], []
        self.prepared: list[tuple[str, str, str]] = []
        self.notified: list[tuple[int, str, str, str]] = []

    @hookimpl
    def minsheng_entities(self, db):
        class NotesNote(db.Entity):
            _table_ = "notes_note"
            project_id = orm.Required(int, index=True)
            text = orm.Required(str)

    @hookimpl
    def minsheng_record_kinds(self):
        from engine.evidence.kinds import RecordKind

        return [RecordKind("note", "备注", "notes_note")]

    @hookimpl
    def minsheng_migrations(self):
        return [Migration("notes", 1, "notes on projects",
                          "CREATE TABLE notes_note (id {pk}, project_id INTEGER NOT NULL, text TEXT NOT NULL)")]

    @hookimpl
    def minsheng_guards(self):
        def has_notes(ctx, at_least):
            count = ctx.sql.scalar("SELECT COUNT(*) FROM notes_note WHERE project_id = ?", (ctx.project.id,))
            return None if count >= at_least else f"the project has {count} note(s), at least {at_least} needed"
        return [GuardSpec("notes.has_notes", has_notes, {"at_least": Param("int", required=True, min=1)})]

    @hookimpl
    def minsheng_actions(self):
        def add(ctx, text):
            ctx.db.NotesNote(project_id=ctx.project.id, text=text)
        return [ActionSpec("notes.add", add, {"text": Param("string", required=True)})]

    @hookimpl
    def minsheng_transition(self, record, db):
        self.in_transaction.append((record.event, db.NotesNote.select().count()))

    @hookimpl
    def minsheng_after_commit(self, record):
        self.after_commit.append((record.event, record.dest))

    @hookimpl
    def minsheng_workflow_files(self):
        return [self.workflow]

    @hookimpl
    def minsheng_graphql(self):
        @strawberry.type
        class NotesQuery:
            @strawberry.field
            def notes_count(self, info: strawberry.Info) -> int:
                return info.context.sql.scalar("SELECT COUNT(*) FROM notes_note")
        return GraphQLExtension(query=NotesQuery)

    @hookimpl
    def minsheng_demo_data(self, db, demo):
        self.demo_calls.append(demo)

    @hookimpl
    def minsheng_demo_prepare(self, engine, demo, project, event):
        self.prepared.append((project.code, project.state, event))

    @hookimpl
    def minsheng_notify(self, notice):
        self.notified.append((notice.id, notice.step, notice.status, notice.reason))

    @hookimpl
    def minsheng_dashboard_figures(self, sql, scope):
        from engine.dashboard.figures import Figure, FigureSet

        rows = sql.all(f"SELECT {scope.key}, COUNT(*) FROM notes_note n JOIN project p ON p.id = n.project_id "
                       f"WHERE {scope.where} GROUP BY {scope.key}", scope.params)
        found = {key: n for key, n in rows}
        keys = [None] if scope.group is None else list(found)
        return [FigureSet("notes", "现场记录", (Figure("notes", "现场记录", int(found.get(k if k else 0, 0)), "条"),),
                          key=k) for k in keys]


@pytest.fixture
def notes(tmp_path):
    path = tmp_path / "notes.yaml"
    path.write_text(NOTES_WORKFLOW, encoding="utf-8")
    return NotesPlugin(path)


@pytest.fixture
def notes_engine(db_url, clock, notes):
    engine = Engine.open(db_url, entry_points=False, extra_plugins=[notes], clock=clock,
                         workflow_files=[SIMPLE_WORKFLOW])
    yield engine
    engine.close()


def add_note(engine, project_id, text="现场照片已上传"):
    with orm.db_session:
        engine.db.NotesNote(project_id=project_id, text=text)


def notes_project(engine):
    district = build_district(engine)
    return district, district.project(workflow="notes")


def test_every_hook_has_a_test():
    source = Path(__file__).read_text(encoding="utf-8")
    tested = set(re.findall(r"def test_hook_(minsheng_\w+)", source))
    assert set(HOOKS) - tested == set(), "hooks without a test_hook_<name> test"


def test_hook_minsheng_entities(notes_engine):
    add_note(notes_engine, 1)
    with orm.db_session:
        assert notes_engine.db.NotesNote.select().count() == 1


def test_hook_minsheng_migrations(notes_engine):
    with orm.db_session:
        rows = Sql(notes_engine.db).all("SELECT component, number FROM schema_migrations WHERE component = 'notes'")
    assert rows == [("notes", 1)]


def test_hook_minsheng_guards(notes_engine):
    district, pid = notes_project(notes_engine)
    add_note(notes_engine, pid)
    with pytest.raises(GuardFailed) as blocked:
        fire_transition(notes_engine, district.actor("county_office"), TransitionRequest(pid, "close"))
    assert blocked.value.reasons == ["the project has 1 note(s), at least 2 needed"]


def test_hook_minsheng_actions(notes_engine):
    district, pid = notes_project(notes_engine)
    add_note(notes_engine, pid)
    add_note(notes_engine, pid)
    fire_transition(notes_engine, district.actor("county_office"), TransitionRequest(pid, "close"))
    with orm.db_session:
        texts = sorted(n.text for n in notes_engine.db.NotesNote.select())
    assert texts == ["closed by the workflow", "现场照片已上传", "现场照片已上传"]


def test_hook_minsheng_transition(notes_engine, notes):
    district, pid = notes_project(notes_engine)
    add_note(notes_engine, pid)
    add_note(notes_engine, pid)
    fire_transition(notes_engine, district.actor("county_office"), TransitionRequest(pid, "close"))
    assert notes.in_transaction == [("close", 3)]  # it sees the action's note: same transaction


def test_hook_minsheng_after_commit(notes_engine, notes):
    district, pid = notes_project(notes_engine)
    add_note(notes_engine, pid)
    with pytest.raises(GuardFailed):
        fire_transition(notes_engine, district.actor("county_office"), TransitionRequest(pid, "close"))
    assert notes.after_commit == []
    add_note(notes_engine, pid)
    fire_transition(notes_engine, district.actor("county_office"), TransitionRequest(pid, "close"))
    assert notes.after_commit == [("close", "closed")]


def test_hook_minsheng_notify(notes_engine, notes, clock):
    from plugins.supervision.moves import acknowledge
    from plugins.supervision.tick import run_tick

    district, pid = notes_project(notes_engine)  # enters 'open' on 2024-03-01: due 10 days later
    assert run_tick(notes_engine, clock.today().replace(day=10)).issued == []
    assert notes.notified == []
    [issued] = run_tick(notes_engine, clock.today().replace(day=11)).issued
    assert notes.notified == [(issued, "overdue", "issued", "time limit (10 days in 开放/open) 2024-03-11 is today")]
    assert run_tick(notes_engine, clock.today().replace(day=12)).issued == []  # once per step
    acknowledge(notes_engine, district.actor("edu_clerk"), issued)
    assert [n[:3] for n in notes.notified] == [(issued, "overdue", "issued"), (issued, "overdue", "acknowledged")]


def test_hook_minsheng_tick(notes_engine, notes, clock):
    """``Engine.tick`` (``minsheng tick``, the server's background tick) runs every plugin's periodic work; a
    plugin that fails is named in the reports and the others still run."""
    from engine.hookspecs import TickReport, hookimpl

    class Broken:
        @hookimpl
        def minsheng_tick(self, engine, on):
            raise RuntimeError("the SMS gateway is down")

    district, pid = notes_project(notes_engine)  # enters 'open' on 2024-03-01: due 10 days later
    reports = {r.plugin: r for r in notes_engine.tick(clock.today().replace(day=11))}
    assert set(reports) == {"supervision", "schedule"}
    assert reports["supervision"] == TickReport("supervision", "1 notice(s) issued")
    notes_engine.plugins.register(Broken(), name="broken")
    try:
        reports = {r.plugin: r for r in notes_engine.tick(clock.today().replace(day=12))}
    finally:
        notes_engine.plugins.unregister(name="broken")
    assert reports["supervision"] == TickReport("supervision", "0 notice(s) issued")
    assert reports["broken"] == TickReport("broken", "failed", problems=("RuntimeError: the SMS gateway is down",))


def test_hook_minsheng_dashboard_figures(notes_engine, notes, tmp_path, monkeypatch):
    """A regional plugin adds a figure to the dashboard — and to the 红黑榜 rules — through this hook alone."""
    from starlette.testclient import TestClient

    from engine.api.app import ApiSettings, create_app
    from engine.dashboard import rules

    district, pid = notes_project(notes_engine)
    other = district.project(region="town_b", workflow="notes", lead_unit_id=district.units["housing"])
    for project, n in ((pid, 2), (other, 1)):
        for _ in range(n):
            add_note(notes_engine, project)
    rule_file = tmp_path / "rules.yaml"
    rule_file.write_text("lists:\n  - name: diligent\n    label: 记录榜\n    conditions:\n"
                         "      - {figure: notes.notes, at_least: 2}\n", encoding="utf-8")
    monkeypatch.setenv(rules.RULES_ENV, str(rule_file))
    with TestClient(create_app(notes_engine, ApiSettings())) as http:
        headers = {"Authorization": f"Bearer {district.tokens['county_office']}"}
        body = http.post("/graphql", headers=headers, json={"query": """{ dashboard(year: 2024) {
            figures { plugin label figures { name value unit } } }
            redBlackList(year: 2024, month: 3) { lists { label entries { name reason } } } }"""}).json()
        town_b = http.post("/graphql", headers={"Authorization": f"Bearer {district.tokens['town_b_office']}"},
                           json={"query": "{ dashboard(year: 2024) { figures { plugin figures { value } } } }"}).json()
    groups = {g["plugin"]: g for g in body["data"]["dashboard"]["figures"]}
    assert groups["notes"] == {"plugin": "notes", "label": "现场记录",
                               "figures": [{"name": "notes", "value": "3", "unit": "条"}]}
    assert body["data"]["redBlackList"]["lists"] == [
        {"label": "记录榜", "entries": [{"name": "县教育局", "reason": "现场记录 2条 ≥ 2"}]}]
    assert [g["figures"] for g in town_b["data"]["dashboard"]["figures"] if g["plugin"] == "notes"] == [
        [{"value": "1"}]]  # the scope's condition limits the plugin's query to the reader's region


def test_hook_minsheng_project_progress_answered_by_the_schedule_plugin(notes_engine):
    """The schedule plugin answers where projects stand (序时进度) for readers that do not know it."""
    import datetime as dt

    from tests.dashboard_support import add_projects

    district = build_district(notes_engine)
    [planned] = add_projects(notes_engine, district.regions["county"], [("approved", "draft", 1)], workflow="simple")
    unplanned = district.project()
    with orm.db_session:
        found = notes_engine.plugins.hook.minsheng_project_progress(
            engine=notes_engine, sql=Sql(notes_engine.db), project_ids=[planned, unplanned], on=dt.date(2024, 5, 31))
    assert list(found) == [planned]
    progress = found[planned]
    assert (str(progress.expected), progress.reported, progress.status, progress.colour) == (
        "41.67", None, "behind", "red")


def test_hook_minsheng_record_kinds(notes_engine):
    """A plugin's records take evidence files: here a regional plugin's notes."""
    from engine.evidence.attachments import attach, of_projects

    district, pid = notes_project(notes_engine)
    add_note(notes_engine, pid)
    with orm.db_session:
        note = Sql(notes_engine.db).scalar("SELECT id FROM notes_note WHERE project_id = ?", (pid,))
    made = attach(notes_engine, district.actor("county_office"), pid, "note", note, "照片说明.pdf",
                  "application/pdf", b"%PDF-1.4 note")
    with orm.db_session:
        assert [(a.record_kind, a.record_id) for a in of_projects(Sql(notes_engine.db), [pid])[pid]] == [
            ("note", note)]
    assert made.filename == "照片说明.pdf"


def test_hook_minsheng_workflow_files(notes_engine):
    assert notes_engine.workflows.named("notes").definition.states["closed"].label == "关闭"


def test_hook_minsheng_graphql(notes_engine):
    from starlette.testclient import TestClient

    from engine.api.app import create_app

    district, pid = notes_project(notes_engine)
    add_note(notes_engine, pid)
    with TestClient(create_app(notes_engine)) as client:
        response = client.post("/graphql", json={"query": "{ notesCount }"},
                               headers={"Authorization": f"Bearer {district.tokens['county_office']}"})
    assert response.json()["data"] == {"notesCount": 1}


def test_hook_minsheng_demo_data(notes_engine, notes):
    from engine.demo import build_demo

    demo = build_demo(notes_engine, workflow="simple")
    assert notes.demo_calls == [demo]


def test_hook_minsheng_demo_prepare(notes_engine, notes):
    from engine.demo import build_demo

    demo = build_demo(notes_engine, workflow="simple")
    fired = [(code, event) for code, p in demo.projects.items() for event in p.events]
    assert sorted((code, event) for code, _, event in notes.prepared) == sorted(fired)
    assert all(state != "done" for _, state, _ in notes.prepared)  # called before each event, from its state


def test_plugins_can_be_disabled_by_configuration(monkeypatch):
    assert {"funding", "inspection", "satisfaction"} <= set(plugin_names(make_plugin_manager(entry_points=False)))
    monkeypatch.setenv("MINSHENG_DISABLE_PLUGINS", "funding, satisfaction")
    from engine.core import disabled_from_env

    names = plugin_names(make_plugin_manager(disabled_from_env(), entry_points=False))
    assert "funding" not in names and "satisfaction" not in names and "inspection" in names


def test_misspelled_hook_fails_at_start_up_naming_it():
    class Misspelled:
        @hookimpl
        def minsheng_guard(self):
            return []

    with pytest.raises(PluginLoadError, match="minsheng_guard"):
        make_plugin_manager(extra=[Misspelled()], entry_points=False)


def test_a_guard_registered_twice_is_refused(db_url, notes):
    class Again:
        @hookimpl
        def minsheng_guards(self):
            return [GuardSpec("notes.has_notes", lambda ctx: None)]

    with pytest.raises(PluginLoadError, match="guard 'notes.has_notes' is registered twice"):
        Engine.open(db_url, entry_points=False, extra_plugins=[notes, Again()], workflow_files=[SIMPLE_WORKFLOW])


def test_a_broken_builtin_plugin_is_named(monkeypatch):
    import engine.plugins as plugins

    monkeypatch.setattr(plugins, "DEFAULT_PLUGINS", ("engine.workflow.core_guards", "plugins.does_not_exist"))
    with pytest.raises(PluginLoadError, match="plugin 'does_not_exist' failed to load: ModuleNotFoundError"):
        make_plugin_manager(entry_points=False)


def test_hook_docs_cover_every_hook():
    from engine.hookdocs import render

    docs = (Path(__file__).parent.parent / "docs" / "plugin_hooks.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^## (minsheng_\w+)", docs, flags=re.M))
    assert documented == set(HOOKS), "run: python -m engine.hookdocs"
    assert docs == render(), "docs/plugin_hooks.md is out of date: run python -m engine.hookdocs"


def test_hook_minsheng_project_progress(engine, district, gql):
    """The engine's readers that show progress (the map, the list export) take it from the first plugin that
    answers: here a region's own plugin, registered after the schedule plugin and so asked first."""
    from decimal import Decimal

    from engine.geo.location import point
    from engine.hookspecs import ProjectProgress, hookimpl
    from engine.project_progress import project_progress

    from engine.projects import NewProject, create_project

    pid = create_project(engine, district.actor("county_office"), NewProject(
        district.regions["county"], {"title": "村道", "year": 2024, "category": "交通", "budget": Decimal("1")},
        location=point(118.0, 32.0)))
    with orm.db_session:
        sql = Sql(engine.db)
        assert project_progress(engine, sql, [pid], engine.clock.today()) == {}  # no planned period: nothing

    class Scorecard:
        @hookimpl
        def minsheng_project_progress(self, engine, sql, project_ids, on):
            return {i: ProjectProgress(Decimal("50.00"), Decimal("20.00"), Decimal("30.00"), "behind", "慢序时",
                                       "orange", "橙") for i in project_ids}

    engine.plugins.register(Scorecard(), name="scorecard")
    try:
        body = gql("county_office", "{ projectsGeoJSON }")
    finally:
        engine.plugins.unregister(name="scorecard")
    properties = body["data"]["projectsGeoJSON"]["features"][0]["properties"]
    assert {k: properties[k] for k in ("progress", "expectedProgress", "lag", "status", "colour", "colourLabel")} == \
        {"progress": "20.00", "expectedProgress": "50.00", "lag": "30.00", "status": "behind", "colour": "orange",
         "colourLabel": "橙"}


def test_hook_minsheng_cli_commands(capsys, monkeypatch):
    """A plugin's commands join the command line (the participation plugin's ``suggestion``), and leave it with
    the plugin disabled."""
    from cryptography.fernet import Fernet

    from engine.cli.main import main

    assert main(["suggestion", "keygen"]) == 0
    Fernet(capsys.readouterr().out.strip().encode("ascii"))  # a usable key
    monkeypatch.setenv("MINSHENG_DISABLE_PLUGINS", "participation")
    with pytest.raises(SystemExit) as exited:
        main(["suggestion", "keygen"])
    assert exited.value.code == 2 and "invalid choice: 'suggestion'" in capsys.readouterr().err


class VisitsPlugin:
    """A regional plugin keeping its own aggregate: site visits 走访 per region (and ancestors), year and kind,
    with the minutes spent, maintained by the database in each write's transaction."""

    def __init__(self) -> None:
        from engine.storage.tally import Feed, Tally

        self.tally = Tally("visits_tally", keys=(("kind", "TEXT"),), sums=("minutes",), feeds=(
            Feed("visits_visit", keys=("r.kind",), sums=("r.minutes",), where="r.kind <> 'cancelled'",
                 columns=("kind", "minutes")),))

    @hookimpl
    def minsheng_migrations(self):
        from engine.storage.tally import tally_migration

        return [Migration("visits", 1, "site visits", "CREATE TABLE visits_visit (id {pk}, project_id INTEGER NOT NULL,"
                                                      " kind TEXT NOT NULL, minutes INTEGER NOT NULL)"),
                tally_migration("visits", 2, "visits per region, year and kind", self.tally)]

    @hookimpl
    def minsheng_tallies(self):
        return self.tally


def test_hook_minsheng_tallies(db_url, clock):
    """A plugin's tally is kept by its table's writes (plain SQL included) for the region and every ancestor, and
    ``rebuild-aggregates`` recomputes it with the core's."""
    from engine import aggregates

    engine = Engine.open(db_url, entry_points=False, extra_plugins=[VisitsPlugin()], clock=clock,
                         workflow_files=[SIMPLE_WORKFLOW])
    try:
        district = build_district(engine)
        village = district.project(region="town_a", workflow="simple")
        county = district.project(workflow="simple")
        with orm.db_session(immediate=True):
            sql = Sql(engine.db)
            for pid, kind, minutes in ((village, "site", 30), (village, "site", 45), (county, "phone", 5),
                                       (county, "cancelled", 60)):
                sql.execute("INSERT INTO visits_visit (project_id, kind, minutes) VALUES (?, ?, ?)",
                            (pid, kind, minutes))
        with orm.db_session(immediate=True):
            Sql(engine.db).execute("UPDATE visits_visit SET kind = 'site' WHERE kind = 'phone'")
        county_path = f"/{district.regions['county']}/"
        town_path = f"{county_path}{district.regions['town_a']}/"
        with orm.db_session:
            rows = {tuple(r[:4]): tuple(r[4:]) for r in Sql(engine.db).all(
                "SELECT region_path, own, year, kind, n, minutes FROM visits_tally WHERE n <> 0")}
        assert rows == {(county_path, 0, 2024, "site"): (3, 80), (county_path, 1, 2024, "site"): (1, 5),
                        (town_path, 0, 2024, "site"): (2, 75), (town_path, 1, 2024, "site"): (2, 75)}
        assert "visits_tally" in [t.table for t in aggregates.tallies(engine)]
        with orm.db_session(immediate=True):
            Sql(engine.db).execute("DELETE FROM visits_tally")
        assert aggregates.differences(engine)
        aggregates.rebuild(engine)
        assert aggregates.differences(engine) == []
    finally:
        engine.close()


class ChainedNotes:
    """Notes whose rows are in the projects' hash chains (kind ``note``)."""

    @hookimpl
    def minsheng_migrations(self):
        return [Migration("chained_notes", 1, "chained notes",
                          "CREATE TABLE chained_note (id {pk}, project_id INTEGER NOT NULL, text TEXT NOT NULL)")]

    @hookimpl
    def minsheng_chained_tables(self):
        from engine.chain import ChainedTable

        def read(sql, project_id):
            return {i: {"text": t} for i, t in sql.all("SELECT id, text FROM chained_note WHERE project_id = ?",
                                                       (project_id,))}
        return [ChainedTable("note", "chained_note", "note 记录", read)]


def test_hook_minsheng_chained_tables(db_url, clock, tmp_path):
    from engine import chain

    engine = Engine.open(db_url, entry_points=False, extra_plugins=[ChainedNotes()], clock=clock,
                         workflow_files=[SIMPLE_WORKFLOW])
    try:
        assert "note" in engine.catalog.record_kinds
        district = build_district(engine)
        project_id = district.project()
        with orm.db_session:
            sql = Sql(engine.db)
            note_id = sql.insert("INSERT INTO chained_note (project_id, text) VALUES (?, ?)", (project_id, "现场照片"))
            chain.append_row(sql, project_id, "note", "add_note", None, "系统", clock.now(), "chained_note", note_id,
                             {"text": "现场照片"})
        with orm.db_session:
            sql = Sql(engine.db)
            assert chain.verify(sql, engine.catalog.tables) == []
            sql.execute("UPDATE chained_note SET text = ? WHERE id = ?", ("改过", note_id))
            (broken,) = chain.verify(sql, engine.catalog.tables)
        assert (broken.project_id, broken.seq) == (project_id, 2)
        assert broken.reason == (f"note 记录 {note_id} (chained_note) does not match its history record (altered): "
                                 "text is '改过' in the table but '现场照片' in the history")
    finally:
        engine.close()
