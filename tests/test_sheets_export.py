"""Exporting the annual list: the round trip export → import into an empty database loses nothing, and the
download answers each reader with what it may read."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest

from engine.cli import main
from engine.clock import Clock
from engine.core import Engine
from engine.geo import location as geo
from engine.geo.datum import GCJ02
from engine.projects import NewProject, create_project
from engine.sheets.columns import COLUMNS
from engine.transition import TransitionRequest, fire_transition
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW, database_url
from tests.district import build_district
from tests.sheets_support import read_xlsx, table

READ_ONLY = {i for i, c in enumerate(COLUMNS) if c.read_only}
PROJECT = ("SELECT p.code, p.title, p.year, p.category, p.budget, p.description, p.target, p.planned_start, "
           "p.planned_end, r.code, u.code, p.location, p.location_datum, p.workflow_id FROM project p JOIN region r "
           "ON r.id = p.region_id LEFT JOIN unit u ON u.id = p.lead_unit_id ORDER BY p.code")


@pytest.fixture
def second_db_url(tmp_path):
    yield from database_url(tmp_path, "second.db")


def fill(engine: Engine, district) -> None:
    """Projects using every column: codes given and generated, cents, text that looks like a formula, several
    lines, regions below the county, cooperating units, a point and a line given in GCJ-02, a transition."""
    office = district.actor("county_office")
    units = district.units

    def add(region: str, code: str | None, workflow: str = "minsheng", **extra) -> int:
        details = {"title": f"项目{code or '无编号'}", "year": 2025, "category": "教育", "budget": Decimal("1234.56"),
                   **extra.pop("details", {})}
        return create_project(engine, office, NewProject(district.regions[region], details, code, workflow, **extra))

    add("county", "PA-01", details={"description": "运动场3个\n跑道400米", "target": "改造运动场3个",
                                    "planned_start": "2025-03-01", "planned_end": "2025-10-31",
                                    "lead_unit_id": units["edu"]},
        location=geo.point(118.7809, 32.0453, GCJ02), cooperating_unit_ids=(units["housing"],))
    add("town_a", "PA-02", details={"title": "=SUM(A1:A3)", "budget": Decimal("0.01"), "lead_unit_id": units["housing"]},
        location=geo.line([(118.7, 32.0), (118.71, 32.01), (118.72, 32.0)], GCJ02))
    add("village_b1", None, details={"title": "+村道", "budget": Decimal("99999999.99")})
    approved = add("county", "PA-04", workflow="simple", details={"lead_unit_id": units["edu"]})
    fire_transition(engine, district.actor("committee"), TransitionRequest(approved, "approve",
                                                                            {"decision_no": "平人常〔2025〕1号"}))


def export(db_url: str, tmp_path, name: str) -> str:
    path = tmp_path / name
    assert main(["export", "projects", "--region", "county", "--year", "2025", "--output", str(path),
                 "--db", db_url]) == 0
    return str(path)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_into_an_empty_database_loses_nothing(engine, district, db_url, second_db_url, tmp_path,
                                                                 monkeypatch, capsys, fmt):
    folder = tmp_path / "workflows"
    folder.mkdir()
    for path in (DEFAULT_WORKFLOW, SIMPLE_WORKFLOW):
        (folder / path.name).write_bytes(path.read_bytes())
    monkeypatch.setenv("MINSHENG_WORKFLOWS", str(folder))
    fill(engine, district)
    first = export(db_url, tmp_path, f"first.{fmt}")
    assert f"first.{fmt} (4 project(s))" in capsys.readouterr().out
    clock = Clock()
    clock.set("2025-01-10T09:00:00")
    second = Engine.open(second_db_url, disabled=[], clock=clock, entry_points=False,
                         workflow_files=[DEFAULT_WORKFLOW, SIMPLE_WORKFLOW])
    build_district(second)
    assert table(second, "SELECT COUNT(*) FROM project") == [(0,)]
    assert main(["import", "projects", first, "--region", "county", "--year", "2025", "--db", second_db_url]) == 0, \
        capsys.readouterr().err
    again = export(second_db_url, tmp_path, f"again.{fmt}")
    rows, rows_again = _rows(first, fmt), _rows(again, fmt)
    assert [_writable(r) for r in rows] == [_writable(r) for r in rows_again]
    assert [r[17] for r in rows] == ["征集/提出", "征集/提出", "征集/提出", "已批准"]  # 状态 as it stood
    assert table(engine, PROJECT) == table(second, PROJECT)
    assert table(engine, "SELECT p.code, u.code FROM project_unit pu JOIN project p ON p.id = pu.project_id JOIN unit "
                         "u ON u.id = pu.unit_id") == [("PA-01", "housing")]
    assert table(second, "SELECT p.code, u.code FROM project_unit pu JOIN project p ON p.id = pu.project_id JOIN unit "
                         "u ON u.id = pu.unit_id") == [("PA-01", "housing")]
    second.close()


def _rows(path: str, fmt: str) -> list[list]:
    if fmt == "xlsx":
        with open(path, "rb") as f:
            rows = read_xlsx(f.read())
    else:
        import csv

        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    assert rows[0] == [c.header for c in COLUMNS]
    return rows[1:]


def _writable(row: list) -> list:
    return [v for i, v in enumerate(row) if i not in READ_ONLY]


def test_the_workbook_holds_numbers_dates_and_text_as_offices_expect(engine, district, db_url, tmp_path):
    fill(engine, district)
    [first, second, third, fourth] = _rows(export(db_url, tmp_path, "list.xlsx"), "xlsx")
    assert first[:9] == [1, "PA-01", "项目PA-01", "教育", "运动场3个\n跑道400米", "改造运动场3个", "平安县", "县教育局",
                         "县住建局"]
    assert first[9] == 0.123456 and str(first[10])[:10] == "2025-03-01" and str(first[11])[:10] == "2025-10-31"
    assert first[12:17] == [118.775688, 32.047347, None, "WGS-84", "minsheng"]  # GCJ-02 → WGS-84
    assert second[2] == "=SUM(A1:A3)" and second[9] == 0.000001 and second[14].count(";") == 2
    assert third[1] == "2025-00003" and third[6] == "西村" and third[9] == 9999.999999
    assert fourth[16:18] == ["simple", "已批准"]


def download(http, district, who, query):
    headers = {"Authorization": f"Bearer {district.tokens[who]}"} if who else {}
    return http.get(f"/exports/projects.{query}", headers=headers)


def test_the_download_lists_what_each_reader_may_read(engine, district, http):
    fill(engine, district)

    def codes(who, query):
        response = download(http, district, who, query)
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"].startswith("attachment; filename*=UTF-8''projects-")
        return [r[1] for r in read_xlsx(response.content)[1:]]

    assert codes("county_office", "xlsx?region=county&year=2025") == ["PA-01", "PA-02", "2025-00003", "PA-04"]
    assert codes("town_a_office", "xlsx?region=town_a&year=2025") == ["PA-02"]
    assert codes("edu_clerk", "xlsx?region=county&year=2025") == ["PA-01", "PA-04"]
    assert codes("housing_clerk", "xlsx?region=county&year=2025") == ["PA-01", "PA-02"]  # leads one, cooperates on one
    assert codes(None, "xlsx?region=county&year=2025") == ["PA-04"]  # the public: published states only
    assert codes("county_office", "xlsx?region=county&year=2024") == []  # a year without projects: an empty list
    region_id = __import__("engine.api.ids", fromlist=["to_global_id"]).to_global_id("Region", district.regions["town_a"])
    assert codes("county_office", f"xlsx?region={region_id}&year=2025") == ["PA-02"]
    text = download(http, district, "county_office", "csv?region=county&year=2025").content.decode("utf-8-sig")
    import csv

    assert list(csv.reader(io.StringIO(text)))[2][2] == "'=SUM(A1:A3)"  # kept from running as a formula
    for who in ("county_office", "committee", "deputy"):  # no person's name in any export
        assert who not in text and district.actor(who).name not in text


def test_out_of_scope_answers_like_missing(engine, district, http):
    fill(engine, district)
    outside = download(http, district, "town_a_office", "xlsx?region=county&year=2025")
    missing = download(http, district, "town_a_office", "xlsx?region=nowhere&year=2025")
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert outside.json()["errors"][0]["message"] == "region 'county' does not exist"
    assert download(http, district, "town_b_office", "xlsx?region=town_a&year=2025").status_code == 404
    bad = http.get("/exports/projects.xlsx?region=county&year=2025", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert download(http, district, "county_office", "xlsx?region=county&year=twenty").status_code == 400
    assert download(http, district, "county_office", "pdf?region=county&year=2025").status_code == 404


def test_the_download_is_charged_to_the_callers_budget(engine, district):
    from starlette.testclient import TestClient

    from engine.api.app import ApiSettings, create_app
    from engine.api.throttle import CostLimits

    fill(engine, district)
    app = create_app(engine, ApiSettings(cost_limits=CostLimits(public_rate=1, burst_seconds=30)))
    with TestClient(app) as client:
        first = client.get("/exports/projects.csv?region=county&year=2025")
        assert first.status_code == 200 and len(io.StringIO(first.text).readlines()) == 2
        refused = client.get("/exports/projects.csv?region=county&year=2025")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
