"""Maintained aggregates (engine.storage.tally): after any sequence of writes — creations one by one and in bulk,
transitions (整改/暂缓-style returns included), edits moving a project to another region, year or lead unit,
funding plans, receipts and payments, plain SQL — the maintained figures equal a recomputation from scratch;
``minsheng db rebuild-aggregates`` recomputes them (twice: the same); two concurrent writers both count."""
from __future__ import annotations

import random
import threading
from decimal import Decimal

import pytest
from pony import orm

from engine import aggregates
from engine.cli.main import main
from engine.core import Engine
from engine.creation import NewProject, create_projects
from engine.errors import DomainError
from engine.projects import update_project
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from plugins.funding.ledger import record_payment, record_receipt
from plugins.funding.plan import set_plan
from tests.district import District

EVENTS = {"draft": ["approve", "drop"], "approved": ["finish", "pause", "drop"], "paused": ["resume", "drop"]}
SOURCES = ["central", "provincial", "county", "town", "maintenance"]


def tally_rows(engine: Engine, table: str) -> dict[tuple, tuple]:
    from engine.storage import tally

    with orm.db_session:
        found = {t.table: t for t in aggregates.tallies(engine)}
        return tally.stored(Sql(engine.db), found[table])


def fire(engine: Engine, district: District, username: str, project_id: int, event: str, **fields) -> None:
    fire_transition(engine, district.actor(username), TransitionRequest(project_id, event, fields))


def random_writes(engine: Engine, district: District, rnd: random.Random, steps: int,
                  categories: tuple[str, ...] = ("交通",)) -> list[int]:
    units = list(district.units.values())
    regions = ["county", "town_a", "town_b", "village_a1", "village_b1"]
    ids: list[int] = []
    for step in range(steps):
        kind = rnd.choice(["create", "bulk", "fire", "fire", "fire", "edit", "plan", "receipt", "payment"])
        try:
            if kind == "create" or not ids:
                ids.append(district.project(region=rnd.choice(["county", "town_b"]), workflow="simple",
                                            year=rnd.choice([2024, 2025]), lead_unit_id=rnd.choice(units)))
            elif kind == "bulk":
                news = [NewProject(district.regions[rnd.choice(regions)],
                                   {"title": f"批量{step}-{i}", "year": rnd.choice([2024, 2025]), "category": "教育",
                                    "budget": Decimal("5000.00"), "lead_unit_id": rnd.choice([*units, None])},
                                   workflow="simple") for i in range(rnd.randint(1, 4))]
                ids.extend(create_projects(engine, district.actor("county_office"), news))
            elif kind == "fire":
                pid = rnd.choice(ids)
                with orm.db_session:
                    state, unit = Sql(engine.db).one("SELECT state, lead_unit_id FROM project WHERE id = ?", (pid,))
                if state not in EVENTS:
                    continue
                event = rnd.choice(EVENTS[state])
                who = {"approve": "committee", "drop": "committee", "finish": "county_office"}.get(event,
                                                                                                "county_office")
                fields = {"approve": {"decision_no": "县人大〔2024〕1号"}, "drop": {"reason": "调整"}}.get(event, {})
                fire(engine, district, who, pid, event, **fields)
            elif kind == "edit":
                changes = rnd.choice([{"year": rnd.choice([2024, 2025, 2026])},
                                      {"lead_unit_id": rnd.choice(units)}, {"category": rnd.choice(categories)}])
                update_project(engine, district.actor("county_office"), rnd.choice(ids), changes)
            elif kind == "plan":
                set_plan(engine, district.actor("county_finance"), rnd.choice(ids), rnd.choice(SOURCES),
                         str(rnd.choice([0, 1000, 25000, 300000])))
            elif kind == "receipt":
                record_receipt(engine, district.actor("county_finance"), rnd.choice(ids), str(rnd.randint(1, 9000)),
                               rnd.choice(SOURCES))
            else:
                record_payment(engine, district.actor("county_finance"), rnd.choice(ids), str(rnd.randint(1, 500)),
                               "施工单位")
        except DomainError:
            pass  # refused writes (a guard, an edit outside an editable state) change nothing, figures included
    return ids


@pytest.mark.parametrize("seed", [1, 2])
def test_after_random_writes_the_maintained_figures_equal_a_recomputation(engine: Engine, district: District,
                                                                          seed: int) -> None:
    random_writes(engine, district, random.Random(seed), 120)
    assert aggregates.differences(engine) == []
    projects = tally_rows(engine, "project_tally")
    county_path = f"/{district.regions['county']}/"
    with orm.db_session:
        total = Sql(engine.db).scalar("SELECT COUNT(*) FROM project")
        received = Sql(engine.db).scalar("SELECT COALESCE(SUM(amount_fen), 0) FROM funding_receipt")
    assert total > 20
    assert sum(v[0] for k, v in projects.items() if k[0] == county_path and k[1] == 0 and k[2] == -1) == total
    funds = tally_rows(engine, "funding_tally")
    assert sum(v[1] for k, v in funds.items() if k[0] == county_path and k[1] == 0 and k[3] == "received") == received


def test_a_project_moved_to_another_region_moves_its_figures_and_funds(engine: Engine, district: District) -> None:
    pid = district.project(region="town_b", workflow="simple")
    set_plan(engine, district.actor("county_finance"), pid, "county", "20000")
    town_a, town_b = (f"/{district.regions['county']}/{district.regions[t]}/" for t in ("town_a", "town_b"))
    with orm.db_session(immediate=True):  # plain SQL, as a data fix would do it
        Sql(engine.db).execute("UPDATE project SET region_id = ?, region_path = ? WHERE id = ?",
                               (district.regions["town_a"], town_a, pid))
    funds = tally_rows(engine, "funding_tally")
    assert funds[(town_a, 0, 2024, "planned", "county")] == (1, 2_000_000)
    assert (town_b, 0, 2024, "planned", "county") not in funds
    assert aggregates.differences(engine) == []


def test_rebuild_aggregates_recomputes_everything_and_twice_gives_the_same(engine: Engine, district: District,
                                                                           db_url: str, capsys) -> None:
    random_writes(engine, district, random.Random(3), 40)
    before = tally_rows(engine, "project_tally"), tally_rows(engine, "funding_tally")
    with orm.db_session(immediate=True):  # the figures go wrong behind the engine's back
        Sql(engine.db).execute("UPDATE project_tally SET n = n + 7")
        Sql(engine.db).execute("DELETE FROM funding_tally")
    assert main(["db", "rebuild-aggregates", "--check", "--db", db_url]) == 1
    assert "aggregate row(s) differ" in capsys.readouterr().out
    for _ in range(2):
        assert main(["db", "rebuild-aggregates", "--db", db_url]) == 0
        out = capsys.readouterr().out
        assert "rebuilt project_tally:" in out and "rebuilt funding_tally:" in out
        assert (tally_rows(engine, "project_tally"), tally_rows(engine, "funding_tally")) == before
    assert main(["db", "rebuild-aggregates", "--check", "--db", db_url]) == 0
    assert "every aggregate is in step" in capsys.readouterr().out


def test_concurrent_transitions_and_receipts_all_count(engine: Engine, district: District) -> None:
    ids = [district.project(region=("town_b" if i % 2 else "county"), workflow="simple") for i in range(16)]
    errors: list[BaseException] = []

    def work(pid: int) -> None:
        try:
            fire(engine, district, "committee", pid, "approve", decision_no="县人大〔2024〕2号")
            record_receipt(engine, district.actor("county_finance"), pid, "100", "county")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(pid,)) for pid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    county = f"/{district.regions['county']}/"
    projects = tally_rows(engine, "project_tally")
    wid = engine.workflows.named("simple").id
    assert projects[(county, 0, -1, 2024, wid, "approved", "draft")] == (16, 16 * 300_000_000)  # budgets in fen
    assert (county, 0, -1, 2024, wid, "draft", "") not in projects
    assert tally_rows(engine, "funding_tally")[(county, 0, 2024, "received", "county")] == (16, 160_000)  # 100 元 = 10,000 分 each
    assert aggregates.differences(engine) == []


DASHBOARD = """query($region: ID, $year: Int, $category: String) {
  dashboard(region: $region, year: $year, category: $category) { projects planned started completed completionRate
    startRate byState { workflow state label count }
    byRegion { name projects planned started completed completionRate startRate }
    byLeadUnit { name projects planned started completed completionRate startRate }
    figures { plugin figures { name value unit } tables { name rows { key label values } } } } }"""


def test_the_dashboard_from_maintained_figures_equals_the_computed_one(engine: Engine, district: District,
                                                                      gql) -> None:
    """Every project is 教育 here, so ``category: 教育`` (which the maintained figures do not break down by, so it is
    computed from the project rows) must show exactly what the unfiltered dashboard reads from the aggregates."""
    from engine.api.ids import to_global_id

    random_writes(engine, district, random.Random(5), 150, categories=("教育",))
    for username, region in (("county_office", "county"), ("county_office", "town_a"), ("town_b_office", "town_b"),
                             ("county_finance", "village_b1")):
        for year in (2024, 2025, 2026):
            variables = {"region": to_global_id("Region", district.regions[region]), "year": year}
            tallied = gql(username, DASHBOARD, variables)
            computed = gql(username, DASHBOARD, {**variables, "category": "教育"})
            assert "errors" not in tallied, tallied
            assert tallied == computed, (username, region, year)
    whole = gql("county_office", DASHBOARD, {"year": 2024})["data"]["dashboard"]
    assert whole["projects"] > 10 and whole["byLeadUnit"] and any(f["plugin"] == "funding" for f in whole["figures"])


def test_the_funding_rollup_from_maintained_figures_equals_the_computed_one(engine: Engine,
                                                                            district: District) -> None:
    from plugins.funding import rollup as funding_rollup
    from plugins.funding.figures import figures

    random_writes(engine, district, random.Random(6), 150)
    office = district.actor("county_office")
    for region in ("county", "town_a", "town_b"):
        for year in (None, 2024, 2025):
            found = funding_rollup.rollup(engine, office, district.regions[region], year)
            with orm.db_session:
                sql = Sql(engine.db)
                path = sql.scalar("SELECT path FROM region WHERE id = ?", (district.regions[region],))
                scope = funding_rollup.rollup_scope(engine, office, path, year)
                count, budget = sql.one(f"SELECT COUNT(*), COALESCE(SUM(p.budget), 0) FROM project p"
                                        f" WHERE {scope.condition}", scope.params)
                assert found.figures == figures(sql, scope.condition, scope.params), (region, year)
            assert (found.project_count, found.budget) == (count, Decimal(str(budget)).quantize(Decimal("0.01")))


def test_a_rebuild_while_clerks_write_leaves_the_figures_in_step(engine: Engine, district: District) -> None:
    ids = [district.project(region=("town_b" if i % 2 else "county"), workflow="simple") for i in range(12)]
    errors: list[BaseException] = []

    def clerk(pid: int) -> None:
        try:
            fire(engine, district, "committee", pid, "approve", decision_no="县人大〔2024〕3号")
            set_plan(engine, district.actor("county_finance"), pid, "county", "1000")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def rebuilder() -> None:
        try:
            for _ in range(2):
                aggregates.rebuild(engine)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(pid,)) for pid in ids] + [threading.Thread(target=rebuilder)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert aggregates.differences(engine) == []
    county = f"/{district.regions['county']}/"
    wid = engine.workflows.named("simple").id
    assert tally_rows(engine, "project_tally")[(county, 0, -1, 2024, wid, "approved", "draft")][0] == 12


def test_rebuild_aggregates_on_a_database_it_cannot_open_is_one_error_line(capsys) -> None:
    assert main(["db", "rebuild-aggregates", "--db", "sqlite:////nonexistent/folder/minsheng.db"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot use the database") and "Traceback" not in err and err.count("\n") == 1
