"""The monthly bulletin: the workbook written by ``minsheng report monthly`` and served at
``/reports/monthly.xlsx``, opened with openpyxl; its figures are the API's. Scoping of the download, empty
bulletins, bad input."""
from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from engine.api.ids import to_global_id
from engine.cli import main
from engine.directory.admin import add_actor
from tests.dashboard_support import add_projects

DASHBOARD = """query($region: ID, $month: Int!) { dashboard(region: $region, year: 2024, month: $month) {
  asOf projects planned started completed completionRate startRate
  byLeadUnit { name planned completed completionRate } figures { plugin figures { label value } } }
  redBlackList(region: $region, year: 2024, month: $month) { asOf lists { label entries { name reason } }
  units { rank name } } }"""


@pytest.fixture
def listed(engine, district, clock):
    """Projects of two units in both towns; the clock in July, so June is over for the API and the CLI alike."""
    units, regions = district.units, district.regions
    add_projects(engine, regions["town_a"], [("completed", "in_progress", 2), ("in_progress", "approved", 3)],
                 unit_id=units["edu"])
    add_projects(engine, regions["town_b"], [("in_progress", "approved", 2), ("approved", "assessed", 1),
                                            ("proposed", None, 2)], unit_id=units["housing"])
    clock.set("2024-07-05T10:00:00")
    return district


def number(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def summary(book) -> dict[str, object]:
    return {row[0]: row[1] for row in book["汇总"].iter_rows(min_row=5, values_only=True) if row[0]}


def test_the_bulletin_says_what_the_api_says(gql, listed, tmp_path, engine):
    region = to_global_id("Region", listed.regions["county"])
    api = gql("county_office", DASHBOARD, {"region": region, "month": 6})["data"]
    output = tmp_path / "june.xlsx"
    assert main(["report", "monthly", "--region", "county", "--month", "2024-06", "--output", str(output),
                 "--db", _url(engine)]) == 0
    book = openpyxl.load_workbook(output)
    assert book.sheetnames == ["汇总", "项目进度", "滞后项目", "资金来源", "逾期整改", "未办结督办单", "红黑榜"]
    figures = summary(book)
    board = api["dashboard"]
    assert [figures[k] for k in ("项目数", "计划项目", "已开工", "已完成")] == [
        board[k] for k in ("projects", "planned", "started", "completed")]
    assert number(figures["完成率"]) == Decimal(board["completionRate"])
    assert number(figures["开工率"]) == Decimal(board["startRate"])
    for group in board["figures"]:
        for figure in group["figures"]:
            shown = figures.get(figure["label"])
            if figure["value"] is None:
                assert shown is None
            elif isinstance(shown, (int, float)):
                assert number(shown) == Decimal(figure["value"]).quantize(Decimal("0.01")), figure
    projects = list(book["项目进度"].iter_rows(min_row=2, values_only=True))
    assert len(projects) == board["planned"] and [p[0] for p in projects] == list(range(1, board["planned"] + 1))
    assert list(book["项目进度"].iter_rows(max_row=1, values_only=True))[0] == (
        "序号", "项目名称", "责任单位", "目标", "序时进度(%)", "实际进度(%)", "状态", "颜色")
    red_rows = [r for r in book["项目进度"].iter_rows(min_row=2) if r[7].value == "红"]
    assert red_rows and all(c.fill.start_color.rgb.endswith("FFC7CE") for c in red_rows[0])
    assert {r[1] for r in book["滞后项目"].iter_rows(min_row=2, values_only=True)} <= {p[1] for p in projects}
    lists = api["redBlackList"]["lists"]
    sheet = [r for r in book["红黑榜"].iter_rows(values_only=True)]
    for listed_ in lists:
        assert (f"{listed_['label']}（{len(listed_['entries'])}）",) == sheet[[r[0] for r in sheet].index(
            f"{listed_['label']}（{len(listed_['entries'])}）")][:1]
        for entry in listed_["entries"]:
            assert any(r[2] == entry["name"] and r[4] == entry["reason"] for r in sheet)
    units = {r[0]: r for r in book["汇总"].iter_rows(values_only=True) if r[0] in {u["name"] for u in board["byLeadUnit"]}}
    for unit in board["byLeadUnit"]:
        assert (units[unit["name"]][1], units[unit["name"]][3]) == (unit["planned"], unit["completed"])
    assert book["汇总"]._charts, "the summary has a bar chart of progress by unit"


def _url(engine) -> str:
    target = engine.target
    if target.is_sqlite:
        return "sqlite:///" + target.options["filename"]
    from tests.conftest import TEST_DB
    return TEST_DB if "search_path" not in str(target.options) else _pg_url(target.options)


def _pg_url(options: dict) -> str:
    from urllib.parse import quote

    return (f"postgresql://{options['user']}@{options['host']}:{options['port']}/{options['database']}"
            f"?options={quote(options['options'])}")


def download(http, token: str | None, region: str, month: str):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return http.get("/reports/monthly.xlsx", params={"region": region, "month": month}, headers=headers)


def test_the_download_is_the_same_workbook_for_the_caller(http, gql, listed):
    response = download(http, listed.tokens["county_office"], "county", "2024-06")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    board = gql("county_office", DASHBOARD, {"month": 6})["data"]["dashboard"]
    assert summary(book)["计划项目"] == board["planned"]
    by_id = download(http, listed.tokens["county_office"], to_global_id("Region", listed.regions["county"]), "2024-06")
    assert summary(openpyxl.load_workbook(io.BytesIO(by_id.content)))["计划项目"] == board["planned"]


def test_download_scoping(http, gql, listed, engine):
    tokens = listed.tokens
    tokens["edu_deputy"] = add_actor(engine, "edu_deputy", "代表", ["unit", "deputy"], "county", "edu")
    outside = download(http, tokens["town_a_office"], "county", "2024-06")
    missing = download(http, tokens["town_a_office"], "atlantis", "2024-06")
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["errors"][0]["extensions"] == missing.json()["errors"][0]["extensions"] == {
        "code": "NOT_FOUND"}
    town = openpyxl.load_workbook(io.BytesIO(download(http, tokens["town_a_office"], "town_a", "2024-06").content))
    assert summary(town)["项目数"] == 5
    for clerk in ("edu_clerk", "edu_deputy"):
        book = openpyxl.load_workbook(io.BytesIO(download(http, tokens[clerk], "county", "2024-06").content))
        assert summary(book)["项目数"] == 5
        assert {r[2] for r in book["项目进度"].iter_rows(min_row=2, values_only=True)} == {"县教育局"}
    assert download(http, None, "county", "2024-06").status_code == 401
    assert download(http, "msk_not-a-token", "county", "2024-06").status_code == 401


def test_a_region_or_month_without_data_is_an_empty_workbook(http, listed, engine):
    from engine.directory.admin import add_region_by_code

    add_region_by_code(engine, "town_c", "新设镇", "town", "county")
    for region, month in (("town_c", "2024-06"), ("county", "2031-01")):
        response = download(http, listed.tokens["county_office"], region, month)
        assert response.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        assert summary(book)["项目数"] == 0
        assert list(book["项目进度"].iter_rows(min_row=2, values_only=True)) == []


def test_bad_months_are_named(http, listed, tmp_path, capsys, engine):
    response = download(http, listed.tokens["county_office"], "county", "2024-6")
    assert response.status_code == 400 and "YEAR-MM" in response.json()["errors"][0]["message"]
    assert main(["report", "monthly", "--region", "county", "--month", "June", "--db", _url(engine)]) == 2
    assert main(["report", "monthly", "--region", "atlantis", "--month", "2024-06", "--db", _url(engine)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["error: month must be written YEAR-MM between 2000-01 and 2100-12, e.g. 2026-10, got 'June'",
                   "error: region 'atlantis' does not exist"]


def test_a_ranking_rules_file_is_checked_with_file_and_line(tmp_path: Path, capsys):
    bad = tmp_path / "rules.yaml"
    bad.write_text("lists:\n  - name: red\n    label: 红榜\n    match: most\n    conditions:\n"
                   "      - {figure: schedule.lag, above: thirty}\n      - {figure: lag, below: 3}\n",
                   encoding="utf-8")
    assert main(["report", "rules", str(bad)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{bad}:4: match must be 'all' or 'any'",
        f"{bad}:6: expected a number or a figure (plugin.figure), got 'thirty'",
        f"{bad}:7: figure: expected plugin.figure, got 'lag'"]
    shipped = Path(__file__).parent.parent / "engine" / "dashboard" / "rankings.yaml"
    assert main(["report", "rules", str(shipped)]) == 0
