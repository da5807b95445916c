"""Maintained aggregates (engine.storage.tally): after any sequence of writes — creations one by one and in bulk,
transitions (整改/暂缓-style returns included), edits moving a project to another region, year or lead unit,
funding plans, receipts and payments, satisfaction ratings, their corrections and grades, plain SQL (data fixes
updating or deleting them included) — the maintained figures equal a recomputation from scratch;
``minsheng db rebuild-aggregates`` recomputes them (twice: the same); two concurrent writers both count."""
from __future__ import annotations

import dataclasses
import datetime as dt
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
from plugins.satisfaction.corrections import reverse_rating
from tests.district import District

EVENTS = {"draft": ["approve", "drop"], "approved": ["finish", "pause", "drop"], "paused": ["resume", "drop"]}
SOURCES = ["central", "provincial", "county", "town", "maintenance"]
ANSWERS = [(100, "satisfied"), (80, "satisfied"), (60, "basically_satisfied"), (40, "dissatisfied"),
           (20, "dissatisfied"), (None, "satisfied"), (None, "basically_satisfied"), (None, "dissatisfied")]
GRADES = ["top", "middle", "bottom"]


def tally_rows(engine: Engine, table: str) -> dict[tuple, tuple]:
    from engine.storage import tally

    with orm.db_session:
        found = {t.table: t for t in aggregates.tallies(engine)}
        return tally.stored(Sql(engine.db), found[table])


def per_project(engine: Engine) -> dict[tuple, tuple]:
    """The satisfaction plugin's per-project rows (answers in force, latest grade) the satisfaction tally reads."""
    from engine.storage import tally
    from plugins.satisfaction.maintained import PROJECTS

    with orm.db_session:
        return tally.stored_derived(Sql(engine.db), PROJECTS)


def run_all(threads: list[threading.Thread], errors: list[BaseException]) -> None:
    """Start every thread, wait for all, and check that none failed and the figures are still in step."""
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def fire(engine: Engine, district: District, username: str, project_id: int, event: str, **fields) -> None:
    fire_transition(engine, district.actor(username), TransitionRequest(project_id, event, fields))


def random_writes(engine: Engine, district: District, rnd: random.Random, steps: int,
                  categories: tuple[str, ...] = ("交通",)) -> list[int]:
    units = list(district.units.values())
    regions = ["county", "town_a", "town_b", "village_a1", "village_b1"]
    ids: list[int] = []
    for step in range(steps):
        kind = rnd.choice(["create", "bulk", "fire", "fire", "fire", "edit", "plan", "receipt", "payment", "rate",
                           "rate", "reverse", "grade", "fix"])
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
            elif kind == "payment":
                record_payment(engine, district.actor("county_finance"), rnd.choice(ids), str(rnd.randint(1, 500)),
                               "施工单位")
            else:
                satisfaction_write(engine, district, rnd, kind, ids)
        except DomainError:
            pass  # refused writes (a guard, an edit outside an editable state) change nothing, figures included
    return ids


def satisfaction_write(engine: Engine, district: District, rnd: random.Random, kind: str, ids: list[int]) -> None:
    """Ratings (one, or several in one statement, as a bulk import), a correction 冲正 through the plugin, grades
    (several of a project in one statement, out of order and tied in time), and data fixes in plain SQL: a verdict
    or score changed, a rating moved to another project, a grade re-dated, moved or deleted, a rating deleted."""
    now = engine.clock.now()
    if kind == "reverse":
        with orm.db_session:
            found = Sql(engine.db).all("SELECT id, project_id FROM satisfaction_rating ORDER BY id")
        if found:
            rating_id, pid = rnd.choice(found)
            reverse_rating(engine, district.actor("county_office"), pid, rating_id, "误评")
        return
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        if kind == "rate":
            rows = [(rnd.choice(ids), *rnd.choice(ANSWERS)) for _ in range(rnd.choice([1, 1, 3]))]
            sql.execute("INSERT INTO satisfaction_rating (project_id, rater_kind, score, verdict, device_hash,"
                        " rated_at) VALUES " + ", ".join(["(?, 'resident', ?, ?, ?, ?)"] * len(rows)),
                        [v for row in rows for v in (*row, f"{rnd.getrandbits(64):016x}", now)])
        elif kind == "grade":
            pid = rnd.choice(ids)
            rows = [(rnd.choice([pid, pid, rnd.choice(ids)]), rnd.choice(GRADES),
                     now + dt.timedelta(days=rnd.choice([-3, 0, 0, 2]))) for _ in range(rnd.choice([1, 1, 3]))]
            sql.execute("INSERT INTO satisfaction_grade (project_id, grade, rate, responses, favourable, band_top,"
                        " band_middle, graded_at) VALUES " + ", ".join(["(?, ?, 90, 10, 9, 90, 75, ?)"] * len(rows)),
                        [v for row in rows for v in row])
        else:
            ratings = [r[0] for r in sql.all("SELECT id FROM satisfaction_rating r WHERE NOT EXISTS (SELECT 1 FROM"
                                             " satisfaction_rating_correction c WHERE c.rating_id = r.id)")]
            grades = [r[0] for r in sql.all("SELECT id FROM satisfaction_grade")]
            fix = rnd.choice(["verdict", "move_rating", "delete_rating", "redate", "move_grade", "delete_grade"])
            if fix in ("verdict", "move_rating", "delete_rating") and ratings:
                statement, params = {
                    "verdict": ("UPDATE satisfaction_rating SET score = ?, verdict = ? WHERE id = ?",
                                rnd.choice(ANSWERS)),
                    "move_rating": ("UPDATE satisfaction_rating SET project_id = ? WHERE id = ?", (rnd.choice(ids),)),
                    "delete_rating": ("DELETE FROM satisfaction_rating WHERE id = ?", ())}[fix]
                sql.execute(statement, (*params, rnd.choice(ratings)))
            elif grades:
                statement, params = {
                    "redate": ("UPDATE satisfaction_grade SET graded_at = ? WHERE id = ?",
                               (now + dt.timedelta(days=rnd.choice([-5, 5])),)),
                    "move_grade": ("UPDATE satisfaction_grade SET project_id = ? WHERE id = ?", (rnd.choice(ids),)),
                    "delete_grade": ("DELETE FROM satisfaction_grade WHERE id = ?", ())}.get(fix, (
                        "UPDATE satisfaction_grade SET grade = ? WHERE id = ?", (rnd.choice(GRADES),)))
                sql.execute(statement, (*params, rnd.choice(grades)))


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
    with orm.db_session:
        graded = Sql(engine.db).scalar("SELECT COUNT(DISTINCT project_id) FROM satisfaction_grade")
    marks = tally_rows(engine, "satisfaction_tally")
    assert sum(v[0] for k, v in marks.items() if k[0] == county_path and k[1] == 0 and k[3] != "") == graded > 0


@pytest.mark.parametrize("seed", [7, 8])
def test_the_satisfaction_figures_from_maintained_aggregates_equal_the_computed_ones(engine: Engine,
                                                                                    district: District,
                                                                                    seed: int) -> None:
    """Ratings, corrections, grades and plain-SQL fixes in any order: for every region and year, the figures read
    from ``satisfaction_tally`` equal those the per-call queries compute (the same scope, not maintained)."""
    from engine.dashboard.scope import figure_scope
    from engine.directory.access import reach
    from engine.directory.regions import get_region
    from plugins.satisfaction.dashboard import figures

    random_writes(engine, district, random.Random(seed), 200)
    assert aggregates.differences(engine) == []
    reader = reach(engine, district.actor("county_office"))
    seen = {"responses": 0, "graded": 0}
    with orm.db_session:
        sql = Sql(engine.db)
        for table in ("satisfaction_rating", "satisfaction_rating_correction", "satisfaction_grade"):
            assert sql.scalar(f"SELECT COUNT(*) FROM {table}") > 0, table
        for region in ("county", "town_a", "town_b", "village_b1"):
            for year in (2024, 2025, 2026):
                scope = figure_scope(engine, reader, get_region(sql, district.regions[region]), engine.clock.today(),
                                     year)
                assert scope.maintained
                (tallied,) = figures(sql, scope)
                assert [tallied] == figures(sql, dataclasses.replace(scope, tally_path=None)), (region, year)
                for figure in tallied.figures:
                    if figure.name in seen:
                        seen[figure.name] += figure.value
    assert seen["responses"] > 0 and seen["graded"] > 0


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
    tables = ("project_tally", "funding_tally", "satisfaction_tally")
    before = [tally_rows(engine, t) for t in tables], per_project(engine)
    assert before[0][2] and before[1]
    with orm.db_session(immediate=True):  # the figures go wrong behind the engine's back
        Sql(engine.db).execute("UPDATE project_tally SET n = n + 7")
        Sql(engine.db).execute("DELETE FROM funding_tally")
        Sql(engine.db).execute("UPDATE satisfaction_project SET answers = answers + 1, grade = 'top'")
    assert main(["db", "rebuild-aggregates", "--check", "--db", db_url]) == 1
    out = capsys.readouterr().out
    assert "aggregate row(s) differ" in out and "DIFFERS satisfaction_project" in out
    for _ in range(2):
        assert main(["db", "rebuild-aggregates", "--db", db_url]) == 0
        out = capsys.readouterr().out
        assert all(f"rebuilt {t}:" in out for t in (*tables, "satisfaction_project")), out
        assert ([tally_rows(engine, t) for t in tables], per_project(engine)) == before
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

    run_all([threading.Thread(target=work, args=(pid,)) for pid in ids], errors)
    county = f"/{district.regions['county']}/"
    projects = tally_rows(engine, "project_tally")
    wid = engine.workflows.named("simple").id
    assert projects[(county, 0, -1, 2024, wid, "approved", "draft")] == (16, 16 * 300_000_000)  # budgets in fen
    assert (county, 0, -1, 2024, wid, "draft", "") not in projects
    assert tally_rows(engine, "funding_tally")[(county, 0, 2024, "received", "county")] == (16, 160_000)  # 100 元 = 10,000 分 each
    assert aggregates.differences(engine) == []


def test_concurrent_ratings_corrections_and_grades_all_count(engine: Engine, district: District) -> None:
    """Writers rating, reversing and grading one project at once: every answer counts once, and the latest grade
    wins whatever order the writers commit in."""
    pid, other = (district.project(region=region, workflow="simple") for region in ("county", "town_b"))
    start = engine.clock.now()
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        seeded = [sql.insert("INSERT INTO satisfaction_rating (project_id, rater_kind, verdict, device_hash, rated_at)"
                             " VALUES (?, 'resident', 'dissatisfied', ?, ?)", (pid, f"seed{i}", start))
                  for i in range(8)]
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            with orm.db_session:
                Sql(engine.db).execute(
                    "INSERT INTO satisfaction_rating (project_id, rater_kind, score, verdict, device_hash, rated_at)"
                    " VALUES (?, 'resident', 80, 'satisfied', ?, ?)", (pid if i % 2 else other, f"w{i}", start))
            reverse_rating(engine, district.actor("county_office"), pid, seeded[i], "误评")
            with orm.db_session:
                Sql(engine.db).execute(
                    "INSERT INTO satisfaction_grade (project_id, grade, rate, responses, favourable, band_top,"
                    " band_middle, graded_at) VALUES (?, ?, 90, 10, 9, 90, 75, ?)",
                    (pid, "top" if i == 3 else "bottom", start + dt.timedelta(minutes=(i * 5) % 8)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    run_all(threads, errors)
    assert aggregates.differences(engine) == []
    county = f"/{district.regions['county']}/"
    marks = tally_rows(engine, "satisfaction_tally")
    # pid: 4 answers in force (80 each), graded top (thread 3 graded last: 15 % 8 = 7 minutes); other: 4, not graded
    assert marks[(county, 0, 2024, "top")] == (1, 1, 4, 0, 0, 320, 4)
    assert marks[(county, 0, 2024, "")] == (1, 1, 4, 0, 0, 320, 4)


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
    run_all(threads, errors)
    assert aggregates.differences(engine) == []
    county = f"/{district.regions['county']}/"
    wid = engine.workflows.named("simple").id
    assert tally_rows(engine, "project_tally")[(county, 0, -1, 2024, wid, "approved", "draft")][0] == 12


def test_rebuild_aggregates_on_a_database_it_cannot_open_is_one_error_line(capsys) -> None:
    assert main(["db", "rebuild-aggregates", "--db", "sqlite:////nonexistent/folder/minsheng.db"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot use the database") and "Traceback" not in err and err.count("\n") == 1


PAGE = """query($filter: ProjectFilter, $after: String) { projects(first: 100, filter: $filter, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { code } } } }"""


def test_total_count_from_maintained_figures_equals_the_projects_listed(engine: Engine, district: District,
                                                                        gql) -> None:
    """``totalCount`` of an office's list is read from the maintained aggregates when its filters are ones they
    keep; whatever the filters and the reader, it equals the projects the pages list."""
    from engine.api.ids import to_global_id

    random_writes(engine, district, random.Random(7), 150, categories=("教育", "交通"))
    unit = to_global_id("Unit", district.units["edu"])
    town_a, town_b = (to_global_id("Region", district.regions[r]) for r in ("town_a", "town_b"))
    filters = [None, {"year": 2024}, {"state": "approved"}, {"leadUnit": unit}, {"workflow": "simple"},
               {"region": town_a}, {"region": town_b, "year": 2025, "state": "draft"},
               {"year": 2024, "leadUnit": unit, "state": "approved"}, {"category": "教育"}, {"text": "批量"}]
    from engine.directory.admin import add_actor  # two roles combine by the narrowest: the unit's projects

    district.tokens["housing_deputy"] = add_actor(engine, "housing_deputy", "住建局代表", ["unit", "deputy"],
                                                  "county", "housing")
    counted = 0
    for username in ("county_office", "town_b_office", "edu_clerk", "housing_deputy", None):  # None: the public
        for f in filters:
            codes, after, total = [], None, None
            while True:
                body = gql(username, PAGE, {"filter": f, "after": after})
                assert "errors" not in body, body
                found = body["data"]["projects"]
                total = found["totalCount"]
                codes += [e["node"]["code"] for e in found["edges"]]
                if not found["pageInfo"]["hasNextPage"]:
                    break
                after = found["pageInfo"]["endCursor"]
            assert total == len(codes), (username, f)
            counted += total
    assert counted > 100
