"""The demo district (``engine.demo.build_demo``), checked through the GraphQL API and the CLI as its users see it.

The ``engine`` fixture loads the ``simple`` workflow; the demo maps its lifecycle stages onto that workflow's
states. The last test builds it on the default workflow, whose guards need the built-in plugins' demo records.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from pony import orm
from starlette.testclient import TestClient

from engine import chain
from engine.api.app import ApiSettings, create_app
from engine.api.ids import to_global_id
from engine.cli import main
from engine.clock import Clock
from engine.core import Engine
from engine.demo import DemoDistrict, build_demo
from engine.hookspecs import hookimpl
from engine.storage.sql import Sql

TESTS = Path(__file__).parent
REGIONS = "{ regions { name level children { name level children { name level } } } }"
PAGE = """query($after: String) { projects(first: 100, after: $after) { totalCount
  pageInfo { hasNextPage endCursor } edges { node { code state { name } region { level } leadUnit { name } } } } }"""


@pytest.fixture
def demo(engine: Engine) -> DemoDistrict:
    return build_demo(engine)


@pytest.fixture
def api(engine: Engine, demo: DemoDistrict) -> Iterator[Any]:
    with TestClient(create_app(engine, ApiSettings(introspection=True))) as client:

        def call(username: str | None, query: str, variables: dict | None = None) -> dict:
            headers = {"Authorization": f"Bearer {demo.tokens[username]}"} if username else {}
            response = client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
            assert response.status_code == 200, response.text
            body = response.json()
            assert "errors" not in body, body
            return body["data"]

        yield call


def _levels(regions: list[dict]) -> list[str]:
    return [r["level"] for r in regions] + [level for r in regions for level in _levels(r.get("children") or [])]


def test_the_district_has_towns_villages_and_units(api):
    tree = api("office", REGIONS)["regions"]
    assert [(r["name"], r["level"]) for r in tree] == [("平安区", "county")]
    levels = _levels(tree)
    assert levels.count("town") >= 3 and levels.count("village") >= 6
    units = api("office", "{ units { name } }")["units"]
    assert len(units) >= 8 and {"平安区教育局", "平安区交通运输局", "平安区农业农村局"} <= {u["name"] for u in units}


def test_at_least_30_projects_cover_every_state_of_the_workflow(api, demo):
    page = api("office", PAGE)["projects"]
    nodes = [e["node"] for e in page["edges"]]
    assert page["totalCount"] == len(nodes) >= 30
    workflows = api("office", "{ workflows { name states { name } } }")["workflows"]
    states = next(w["states"] for w in workflows if w["name"] == demo.workflow)
    assert {s["name"] for s in states} == {n["state"]["name"] for n in nodes}
    assert {n["region"]["level"] for n in nodes} == {"county", "town", "village"}
    assert all(n["leadUnit"] for n in nodes)


def test_every_role_has_an_actor_with_a_working_token(api, demo):
    workflows = api(None, "{ workflows { name roles } }")["workflows"]
    roles = next(w["roles"] for w in workflows if w["name"] == demo.workflow)
    seen = {role for username in demo.tokens for role in api(username, "{ me { roles } }")["me"]["roles"]}
    assert set(roles) <= seen


def test_histories_are_real_and_dated_through_the_year(api, demo):
    project = demo.projects["PA-01"]  # 城区中小学运动场改造, 3.00 million, reviewed (simple: done via a pause)
    query = """query($id: ID!) { project(id: $id) { title budget state { name }
      history(first: 100) { seq event actorName at fields } } }"""
    data = api("office", query, {"id": to_global_id("Project", project.id)})["project"]
    assert (data["title"], data["budget"], data["state"]["name"]) == ("城区中小学运动场改造", "3000000.00", project.state)
    history = list(reversed(data["history"]))  # transitions, and the plugins' records between them (progress …)
    assert [h["event"] for h in history if h["event"] in {"create", *project.events}] == ["create", *project.events]
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)
    assert history[0]["at"].startswith("2023-11") and history[-1]["at"].startswith("2024-")
    approve = next(h for h in history if h["event"] == "approve")
    assert next(h for h in history if h["event"] == "complete")["at"].startswith("2024-10-28")  # its scripted day
    assert [h["at"][:10] for h in history if h["event"] == "report_progress"][:2] == ["2024-03-31", "2024-04-30"]
    assert approve["actorName"] == "平安区人大常委会 张华" and approve["fields"]


def test_a_town_clerk_sees_only_the_town_and_its_villages(api, demo):
    page = api("qingshi_office", PAGE)["projects"]
    codes = sorted(e["node"]["code"] for e in page["edges"])
    assert codes == sorted(code for code in demo.projects if code.startswith("QS-")) and len(codes) == 3


def test_audit_chains_verify_and_tampering_shows(demo, db_url, monkeypatch, tmp_path, capsys):
    (tmp_path / "simple.yaml").write_text((TESTS / "workflows" / "simple.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    monkeypatch.setenv("MINSHENG_WORKFLOWS", str(tmp_path))
    assert main(["audit", "verify", "--db", db_url]) == 0
    voted = 30  # the voting plugin's demo adds two years' candidate lists of 15 pool projects each
    assert capsys.readouterr().out.strip().endswith(f"{len(demo.projects) + voted} chain(s) checked, 0 broken")
    with orm.db_session:
        Sql(demo.engine.db).execute("UPDATE project SET audit_head = ? WHERE code = ?", ("f" * 64, "PA-03"))
    assert main(["audit", "verify", "--db", db_url]) == 1
    assert "PA-03" in capsys.readouterr().out


class DemoDataPlugin:
    """A plugin adding its records to the demo, as plugin authors do."""

    def __init__(self) -> None:
        self.seen: list[tuple[int, str, str]] = []

    @hookimpl
    def minsheng_demo_data(self, db: Any, demo: Any) -> None:
        sql = Sql(db)  # inside the builder's db_session
        self.seen.append((len(demo.projects), demo.clock.now().isoformat(), demo.workflow))
        sql.execute("UPDATE project SET description = ? WHERE id = ?", ("plugin was here", demo.projects["PA-05"].id))


def test_plugins_add_their_records_inside_one_session(db_url):
    plugin = DemoDataPlugin()
    clock = Clock()
    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False, extra_plugins=[plugin],
                         workflow_files=[TESTS / "workflows" / "simple.yaml"])
    try:
        demo = build_demo(engine)
        assert plugin.seen == [(len(demo.projects), "2024-12-31T17:00:00", "simple")]
        with orm.db_session:
            stored = Sql(engine.db).scalar("SELECT description FROM project WHERE code = 'PA-05'")
        assert stored == "plugin was here"
    finally:
        engine.close()


def test_the_default_workflow_demo_reaches_every_state_with_the_plugins_records(db_url):
    engine = Engine.open(db_url, disabled=[], clock=Clock(), entry_points=False)
    try:
        demo = build_demo(engine)
        states = set(engine.workflows.named("minsheng").definition.states)
        assert demo.workflow == "minsheng" and {p.state for p in demo.projects.values()} == states
        assert all(p.state == p.stage for p in demo.projects.values())
        with orm.db_session:
            sql = Sql(engine.db)
            assert not chain.verify(sql, engine.catalog.tables)
            ids = [p.id for p in demo.projects.values()]  # (the voting plugin's demo approves candidates of its own)
            approved = sql.scalar("SELECT COUNT(*) FROM audit_record WHERE event = 'approve' AND project_id IN"
                                  f" ({', '.join('?' * len(ids))})", ids)
        assert approved == sum("approve" in p.events for p in demo.projects.values()) > 0
    finally:
        engine.close()


LAGGING = """{ laggingProjects(first: 100, minLag: "-100") { totalCount edges { node { code
  progress { on expected reported lag status colour } } } } }"""
PROGRESS = """query($id: ID!) { project(id: $id) { progress { on expected reported lag status colour }
  targets { name unit targetValue baseline actual completion }
  measures { title unitName role dueDate done doneOn doneBy }
  progressReports(first: 20) { edges { node { reportedOn percent narrative } } }
  notices { step stepLabel dueOn issuedOn addressee reason } } }"""


def _project(api: Any, demo: DemoDistrict, code: str, username: str = "office") -> dict:
    return api(username, PROGRESS, {"id": to_global_id("Project", demo.projects[code].id)})["project"]


def test_on_the_demo_date_projects_under_way_show_every_colour_and_status(api):
    """minLag -100 lists the projects ahead too (the default, 0, lists those on or behind schedule)."""
    nodes = {e["node"]["code"]: e["node"]["progress"] for e in api("office", LAGGING)["laggingProjects"]["edges"]}
    assert {p["on"] for p in nodes.values()} == {"2024-12-31"}
    assert {p["colour"] for p in nodes.values()} == {"green", "yellow", "red"}
    assert {p["status"] for p in nodes.values()} == {"AHEAD", "ON_SCHEDULE", "BEHIND"}
    figures = {code: (p["expected"], p["reported"], p["lag"], p["status"], p["colour"]) for code, p in nodes.items()}
    assert figures["PA-05"] == ("76.92", "92", "-15.08", "AHEAD", "green")  # 10 of 13 months; runs into 2025
    assert figures["PA-16"] == ("100.00", "96", "4.00", "ON_SCHEDULE", "green")
    assert figures["HX-01"][2:] == ("23.10", "BEHIND", "yellow")
    assert figures["PA-03"] == ("100.00", "85", "15.00", "BEHIND", "yellow")
    assert figures["PA-07"] == ("100.00", "60", "40.00", "BEHIND", "red")


def test_finished_projects_report_100_percent_and_the_seed_targets_their_completion(api, demo):
    five_g, charging = _project(api, demo, "PA-24"), _project(api, demo, "PA-13")
    assert [(t["name"], t["unit"], t["targetValue"], t["actual"], t["completion"]) for t in five_g["targets"]] == [
        ("5G基站", "个", "120", "453", "377.50")]
    assert [(t["targetValue"], t["actual"], t["completion"]) for t in charging["targets"]] == [("100", "169", "169.00")]
    assert five_g["progress"]["reported"] == "100" and five_g["progress"]["lag"] == "0.00"
    assert all(m["done"] for m in five_g["measures"]) and len(five_g["measures"]) == 4
    places = _project(api, demo, "PA-06")["targets"]  # approved, not started: targets without actuals
    assert [(t["name"], t["targetValue"], t["actual"]) for t in places] == [("新增中小学学位", "15000", None),
                                                                            ("寄宿床位", "20000", None)]


def test_projects_under_way_have_monthly_reports_and_measures_with_cooperating_units(api, demo):
    project = _project(api, demo, "PA-03")
    reports = [e["node"] for e in reversed(project["progressReports"]["edges"])]
    assert [r["reportedOn"] for r in reports] == [f"2024-{m:02d}-{d}" for m, d in (
        (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30), (10, 31), (11, 30), (12, 31))]
    percents = [r["percent"] for r in reports]
    assert percents == sorted(percents) and percents[-1] == 85 and percents[0] > 0
    roles = [(m["role"], m["done"]) for m in project["measures"]]
    assert roles == [("LEAD", True), ("COOPERATING", True), ("LEAD", False), ("LEAD", False)]
    pocket_parks = _project(api, demo, "PA-07", "unit")  # 教育局's clerk reads it as a cooperating unit
    own = [m for m in pocket_parks["measures"] if m["unitName"] == "平安区教育局"]
    assert own and own[0]["done"] and own[0]["doneBy"] == demo.actor("unit").name


def test_the_tick_issued_a_notice_at_each_escalation_step_on_its_day(api, demo):
    """The projects' own deadlines (planned ends, rectifications); measures' due dates have their own ladder."""
    ladders = {code: [(n["step"], n["issuedOn"]) for n in _project(api, demo, code)["notices"]
                      if not n["reason"].startswith("measure ")]
               for code in ("PA-03", "PA-07", "PA-16", "HX-01", "PA-05")}
    assert ladders["PA-03"] == [("warn", "2024-11-25"), ("overdue", "2024-11-30"), ("escalate", "2024-12-13"),
                                ("summon", "2024-12-27")]  # planned end 30 November: 约谈 at 20 working days
    assert [s for s, _ in ladders["PA-07"]] == ["warn", "overdue", "escalate"]  # 挂牌督办, not yet 约谈
    assert ladders["PA-16"] == [("warn", "2024-12-24"), ("overdue", "2024-12-31")]  # due on the demo's date
    assert ladders["HX-01"] == [("warn", "2024-12-27")]  # due 6 January 2025
    five = [n for n in _project(api, demo, "PA-05")["notices"] if not n["reason"].startswith("measure ")]
    assert five and all(n["reason"].startswith("rectification") for n in five)  # planned end next year
    edges, after = [], None
    while True:
        page = api("office", "query($after: String) { notices(first: 100, after: $after) { pageInfo { hasNextPage "
                             "endCursor } edges { node { step projectCode reason } } } }", {"after": after})
        edges += page["notices"]["edges"]
        if not page["notices"]["pageInfo"]["hasNextPage"]:
            break
        after = page["notices"]["pageInfo"]["endCursor"]
    own = [e for e in edges if not e["node"]["reason"].startswith("measure ")]
    assert {e["node"]["step"] for e in own} == {"warn", "overdue", "escalate", "summon"}
    assert len(own) == sum(len(v) for v in ladders.values()) + 4  # + PA-08's rectification after 验收未通过
    assert any(e["node"]["reason"].startswith("measure ") for e in edges)  # open measures past due are chased


def test_the_demo_builds_on_a_fresh_database_and_sets_the_demo_clock(db_url):
    # how long the build takes is not asserted here (a loaded machine is slow); the closing notes report it
    engine = Engine.open(db_url, disabled=[], clock=Clock(), entry_points=False)
    try:
        build_demo(engine)
        assert engine.clock.now().isoformat() == "2024-12-31T17:00:00"
    finally:
        engine.close()


def test_the_districts_dashboard_has_every_figure_and_both_lists(api, demo):
    """The demo's dashboard is meaningful: projects at every stage, each plugin's figures non-trivial, units on
    the 红榜 and the 黑榜 with their reasons."""
    board = api("office", """{ dashboard(year: 2024) { planned started completed completionRate startRate
        byRegion { name planned } figures { plugin figures { name value } } } }""")["dashboard"]
    # 25 of the demo's own projects, and the 10 the voting plugin's 2024 vote approved (not started by year end)
    assert (board["planned"], board["started"], board["completed"]) == (35, 20, 13)
    assert (board["completionRate"], board["startRate"]) == ("37.14", "57.14")
    assert all(r["planned"] for r in board["byRegion"] if r["name"] != "河西街道") and len(board["byRegion"]) == 5
    values = {f"{g['plugin']}.{f['name']}": f["value"] for g in board["figures"] for f in g["figures"]}
    for name in ("funding.in_place_rate", "satisfaction.rate", "schedule.lagging", "inspection.overdue_rectifications",
                 "supervision.at_least_escalate"):
        assert values[name] not in (None, "0", "0.00"), name
    lists = api("office", "{ redBlackList(year: 2024, month: 12) { lists { name entries { name reason } } } }")
    found = {x["name"]: x["entries"] for x in lists["redBlackList"]["lists"]}
    assert found["red"] and found["black"] and all(e["reason"] for e in found["red"] + found["black"])
