"""Importing the annual list from the command line (``minsheng import projects``), as an office's file really is."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from engine import chain
from engine.cli import main
from engine.projects import NewProject, create_project
from engine.storage.sql import Sql, to_decimal
from tests.conftest import DEFAULT_WORKFLOW, SIMPLE_WORKFLOW
from tests.sheets_support import csv_bytes, office_workbook, snapshot, table

UNITS = ("县教育局", "县住建局")


@pytest.fixture
def cli(db_url, district, monkeypatch, tmp_path):
    """``cli(*args)`` runs ``minsheng`` on the test database with the test engine's workflow files."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    for path in (DEFAULT_WORKFLOW, SIMPLE_WORKFLOW):
        shutil.copy(path, folder / path.name)
    monkeypatch.setenv("MINSHENG_WORKFLOWS", str(folder))
    monkeypatch.setenv("MINSHENG_DISABLE_PLUGINS", "yizhenghui")

    def run(*args: str) -> int:
        return main([*args, "--db", db_url])

    return run


def good_row(i: int) -> list:
    """Row ``i`` of a valid list of 东城镇, written the many ways offices write things."""
    starts = ["2025-03", "2025年4月", dt.datetime(2025, 5, 6), "2025/6/1", 2025.7]
    ends = ["2025-12", "2025年11月", dt.datetime(2025, 12, 20), "2025/12/31", "2025年底"]
    budget = [f"{1000 + i:,}.5", 120 + i, "3,000 万元", Decimal("0.25"), 88.5][i % 5]
    place = [(118.78 + i / 1000, 32.04), (None, None)][i % 2]
    return [i, f"DC-{i:03d}", f"东城镇实事项目{i}", ["教育", "交通", "养老"][i % 3], f"第{i}项建设内容\n规模若干",
            UNITS[i % 2], UNITS[(i + 1) % 2] if i % 4 == 0 else None, budget, starts[i % 5], ends[i % 5],
            f"目标{i}", "东村" if i % 3 == 0 else None, *place, "GCJ-02" if i % 2 == 0 else None, "备注"]


def write(tmp_path: Path, data: bytes, name: str = "list.xlsx") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_a_200_row_list_with_5_planted_errors_reports_exactly_those_and_writes_nothing(cli, engine, district,
                                                                                        tmp_path, capsys):
    create_project(engine, district.actor("county_office"), NewProject(
        district.regions["town_a"], {"title": "已有项目", "year": 2025, "category": "教育", "budget": Decimal(1)},
        code="DC-150"))
    rows = [good_row(i) for i in range(1, 201)]
    rows[9][5] = "县卫健局"  # sheet row 13: an unknown unit
    rows[49][7] = "12万a"  # row 53: not an amount
    rows[99][8], rows[99][9] = "2025-10", "2025-03-31"  # row 103: ends before it starts
    rows[149][1] = "DC-150"  # row 153: the code is taken in the database
    rows[179][11] = "西河镇"  # row 183: a region outside 东城镇
    path = write(tmp_path, office_workbook(rows))
    before = snapshot(engine)
    capsys.readouterr()
    assert cli("import", "projects", path, "--region", "town_a", "--year", "2025") == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"warning: {path}: column '备注' is not in the column table: ignored"
    assert err[1:] == [
        f"{path}:13:责任单位: unknown unit '县卫健局'",
        f"{path}:53:总投资（万元）: '12万a' is not an amount in 万元",
        f"{path}:103:计划完工: must not be before 计划开工 (2025-10-01), got 2025-03-31",
        f"{path}:153:项目编号: a project with code 'DC-150' already exists",
        f"{path}:183:所属区域: unknown region '西河镇' at or under 东城镇",
        f"error: 5 problem(s) in {path}; nothing was imported"]
    assert snapshot(engine) == before


def test_a_valid_list_is_created_in_one_go_with_audit_records_and_cooperating_units(cli, engine, district, tmp_path,
                                                                                    capsys):
    rows = [good_row(i) for i in range(1, 201)]
    path = write(tmp_path, office_workbook(rows))
    assert cli("import", "projects", path, "--region", "town_a", "--year", "2025", "--dry-run") == 0
    assert "200 project(s) checked, all valid; nothing written (--dry-run)" in capsys.readouterr().out
    assert table(engine, "SELECT COUNT(*) FROM project") == [(0,)]
    assert cli("import", "projects", path, "--region", "town_a", "--year", "2025") == 0
    assert "imported 200 project(s)" in capsys.readouterr().out
    found = {r[0]: r[1:] for r in table(engine, "SELECT code, title, budget, planned_start, planned_end, region_id, "
                                                "lead_unit_id, year, state, description FROM project")}
    assert len(found) == 200
    assert found["DC-001"][0] == "东城镇实事项目1"
    assert [to_decimal(found[f"DC-00{i}"][1]) for i in range(1, 6)] == [
        Decimal("1210000.00"), Decimal("30000000.00"), Decimal("2500.00"), Decimal("885000.00"), Decimal("10055000.00")]
    dates = {code: (str(v[2])[:10], str(v[3])[:10]) for code, v in found.items()}
    assert [dates[f"DC-00{i}"] for i in range(1, 6)] == [
        ("2025-04-01", "2025-11-30"), ("2025-05-06", "2025-12-20"), ("2025-06-01", "2025-12-31"),
        ("2025-07-01", "2025-12-31"), ("2025-03-01", "2025-12-31")]
    assert found["DC-003"][4] == district.regions["village_a1"] and found["DC-001"][4] == district.regions["town_a"]
    assert {v[6:8] for v in found.values()} == {(2025, "proposed")} and found["DC-001"][8] == "第1项建设内容\n规模若干"
    assert table(engine, "SELECT COUNT(*) FROM project_unit") == [(50,)]
    records = table(engine, "SELECT kind, actor_name, actor_id FROM audit_record")
    assert len(records) == 200 and set(records) == {("create", "命令行导入 (minsheng import)", None)}
    with __import__("pony").orm.db_session:
        assert chain.verify(Sql(engine.db), engine.catalog.tables) == []


def test_gb18030_csv_with_headings_and_totals(cli, engine, district, tmp_path, capsys):
    header = ["序号", "项目名称", "类别", "牵头单位", "总投资(万元)", "计划开工", "计划完工"]
    rows = [["一、教育类", "", "", "", "", "", ""], [1, "学校运动场改造", "教育", "edu", "300", "2025.3", "2025.10"],
            ["（二）住房", "", "", "", "", "", ""], [2, "老旧小区改造", "住房", "县住建局", "1,360", "3月", "12月"],
            ["合计", "", "", "", "1660", "", ""], ["", "", "", "", "", "", ""]]
    path = write(tmp_path, csv_bytes(rows, header, "gb18030"), "list.csv")
    assert cli("import", "projects", path, "--region", "county", "--year", "2025") == 0, capsys.readouterr().err
    found = table(engine, "SELECT code, title, budget FROM project ORDER BY id")
    assert [(c, t, to_decimal(b)) for c, t, b in found] == [
        ("2025-00001", "学校运动场改造", Decimal("3000000.00")), ("2025-00002", "老旧小区改造", Decimal("13600000.00"))]
    assert [str(r[0])[:10] for r in table(engine, "SELECT planned_end FROM project ORDER BY id")] == \
        ["2025-10-31", "2025-12-31"]


def test_every_kind_of_row_problem_is_named(cli, engine, district, tmp_path, capsys):
    header = ["项目编号", "项目名称", "类别", "责任单位", "配合单位", "总投资(万元)", "计划开工", "经度", "纬度", "线路坐标",
              "坐标系", "流程"]
    rows = [["A", "", "教育", "县教育局", "", "1", "", "", "", "", "", ""],
            ["A", "路", "交通", "县教育局", "县教育局", "-5", "2025-13", "", "", "", "", ""],
            ["B", "路", "交通", "", "县住建局、县住建局", "1", "", "200", "30", "", "", "nope"],
            ["C", "路", "交通", "", "", "1", "", "", "", "118.1,32; 118.2", "火星", ""],
            ["D", "路", "交通", "", "", "1", "", "118", "", "", "", ""]]
    path = write(tmp_path, csv_bytes(rows, header), "bad.csv")
    assert cli("import", "projects", path, "--region", "county", "--year", "2025") == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:2:项目名称: is required",
        f"{path}:3:项目编号: code 'A' is also given in row 2",
        f"{path}:3:配合单位: unit 1 is the lead unit (牵头单位), not a cooperating one",
        f"{path}:3:总投资(万元): must be at least 0",
        f"{path}:3:计划开工: '2025-13' is not a date: month must be 1 to 12 (write 2025-03-15, 2025-03 or 2025年3月)",
        f"{path}:4:配合单位: unit 2 is listed twice",
        f"{path}:4:经度: longitude must be between -180 and 180, got 200",
        f"{path}:4:流程: no workflow named 'nope'",
        f"{path}:5:坐标系: unknown coordinate system '火星': one of WGS-84, CGCS2000, GCJ-02, BD-09",
        f"{path}:6:纬度: a point needs both 经度 and 纬度",
        f"error: 10 problem(s) in {path}; nothing was imported"]
    assert table(engine, "SELECT COUNT(*) FROM project") == [(0,)]


def test_file_problems_and_bad_arguments_are_one_error_line(cli, engine, district, tmp_path, capsys):
    no_header = write(tmp_path, csv_bytes([["x", "y"]], ["甲", "乙"]), "none.csv")
    assert cli("import", "projects", no_header, "--region", "county", "--year", "2025") == 2
    assert capsys.readouterr().err.splitlines()[-2].endswith(
        "none.csv: no header row: none of the first 30 rows names 项目名称 and the other columns "
        "(see the column table in the README)")
    missing = write(tmp_path, csv_bytes([["路", "交通"]], ["项目名称", "类别"]), "missing.csv")
    assert cli("import", "projects", missing, "--region", "county", "--year", "2025") == 2
    assert "missing.csv:1: the header row has no 总投资(万元) column (required)" in capsys.readouterr().err
    xls = write(tmp_path, b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    assert cli("import", "projects", xls, "--region", "county", "--year", "2025") == 2
    assert "save it as .xlsx" in capsys.readouterr().err
    for args, message in [(["--region", "nowhere", "--year", "2025"], "error: region 'nowhere' does not exist"),
                          (["--region", "county", "--year", "1900"], "error: year: must be between 2000 and 2100"),
                          (["--region", "county", "--year", "2025", "--datum", "mars"], "error: unknown coordinate")]:
        assert cli("import", "projects", missing, *args) == 2
        err = capsys.readouterr().err
        assert err.startswith(message) and "Traceback" not in err
    assert cli("import", "projects", str(tmp_path / "absent.xlsx"), "--region", "county", "--year", "2025") == 2
    assert "no such file" in capsys.readouterr().err


def test_acting_as_an_actor_applies_its_roles_and_area(cli, engine, district, tmp_path, capsys):
    path = write(tmp_path, office_workbook([good_row(1)]))
    assert cli("import", "projects", path, "--region", "county", "--year", "2025", "--actor", "town_a_office") == 2
    assert capsys.readouterr().err.strip() == "error: region 'county' does not exist"  # as if missing
    assert cli("import", "projects", path, "--region", "town_a", "--year", "2025", "--actor", "edu_clerk") == 2
    assert "only a government office" in capsys.readouterr().err
    assert cli("import", "projects", path, "--region", "town_a", "--year", "2025", "--actor", "town_a_office") == 0
    actor = district.actor("town_a_office")
    assert table(engine, "SELECT created_by, actor_name FROM project JOIN audit_record ON project_id = project.id") \
        == [(actor.id, actor.name)]


def test_a_failure_while_writing_leaves_the_database_as_it_was(engine, district, monkeypatch):
    """A database error in the middle of the write (here: the audit records) rolls every project back."""
    from pony import orm

    from engine.sheets.importing import import_projects

    data = office_workbook([good_row(i) for i in range(1, 31)])
    before = snapshot(engine)
    original = Sql.execute_many

    def failing(self, statement, rows):
        if "audit_record" in statement:
            raise orm.OperationalError(RuntimeError("disk I/O error"))
        return original(self, statement, rows)

    monkeypatch.setattr(Sql, "execute_many", failing)
    with pytest.raises(orm.OperationalError):
        import_projects(engine, district.actor("town_a_office"), data, "list.xlsx", district.regions["town_a"], 2025)
    monkeypatch.undo()
    assert snapshot(engine) == before
    result = import_projects(engine, district.actor("town_a_office"), data, "list.xlsx", district.regions["town_a"],
                             2025)
    assert len(result.created) == 30 and result.problems == []
