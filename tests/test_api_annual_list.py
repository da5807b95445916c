"""``importProjects`` over HTTP as a GraphQL multipart upload: who may import where, the row errors as userErrors,
and the body limits."""
from __future__ import annotations

import json

from engine.api.ids import to_global_id
from tests.sheets_support import csv_bytes, office_workbook, snapshot, table
from tests.test_sheets_import import good_row

MUTATION = """mutation($file: Upload!, $region: ID!, $year: Int!, $dryRun: Boolean!) {
  importProjects(file: $file, region: $region, year: $year, dryRun: $dryRun) {
    dryRun rows created ignoredColumns userErrors { code message path } } }"""


def upload(http, district, who, data, region="town_a", year=2025, dry_run=False, name="list.xlsx", query=MUTATION):
    region_id = district.regions[region] if isinstance(region, str) else region
    variables = {"file": None, "region": to_global_id("Region", region_id), "year": year, "dryRun": dry_run}
    headers = {"Authorization": f"Bearer {district.tokens[who]}"} if who else {}
    return http.post("/graphql", headers=headers, files={"0": (name, data, "application/octet-stream")},
                     data={"operations": json.dumps({"query": query, "variables": variables}),
                           "map": json.dumps({"0": ["variables.file"]})})


def answer(response):
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["importProjects"]


def test_an_office_imports_its_list(http, engine, district):
    data = office_workbook([good_row(i) for i in range(1, 21)])
    checked = answer(upload(http, district, "town_a_office", data, dry_run=True))
    assert checked == {"dryRun": True, "rows": 20, "created": 0, "ignoredColumns": ["备注"], "userErrors": []}
    assert table(engine, "SELECT COUNT(*) FROM project") == [(0,)]
    done = answer(upload(http, district, "town_a_office", data))
    assert done == {"dryRun": False, "rows": 20, "created": 20, "ignoredColumns": ["备注"], "userErrors": []}
    actor = district.actor("town_a_office")
    assert table(engine, "SELECT DISTINCT created_by FROM project") == [(actor.id,)]
    again = answer(upload(http, district, "town_a_office", data))  # the same codes again: every one refused
    assert again["created"] == 0 and len(again["userErrors"]) == 20
    assert again["userErrors"][0] == {"code": "INVALID_INPUT", "path": ["rows", "4", "code"],
                                      "message": "row 4, 项目编号: a project with code 'DC-001' already exists"}


def test_row_problems_come_back_with_row_and_column_paths(http, engine, district):
    rows = [good_row(i) for i in range(1, 21)]
    rows[8][7] = "十二万"  # sheet row 12
    rows[10][9] = "2024-01"  # row 14: ends before it starts
    before = snapshot(engine)
    result = answer(upload(http, district, "town_a_office", office_workbook(rows)))
    assert result["created"] == 0 and result["rows"] == 20
    assert result["userErrors"] == [
        {"code": "INVALID_INPUT", "path": ["rows", "12", "budget"],
         "message": "row 12, 总投资（万元）: '十二万' is not an amount in 万元"},
        {"code": "INVALID_INPUT", "path": ["rows", "14", "planned_end"],
         "message": "row 14, 计划完工: must not be before 计划开工 (2025-04-01), got 2024-01-31"}]
    assert snapshot(engine) == before
    broken = answer(upload(http, district, "town_a_office", b"\xd0\xcf\x11\xe0old", name="list.xls"))
    assert broken["userErrors"] == [{"code": "INVALID_INPUT", "path": ["file"], "message":
                                     "this is an old Excel .xls file: save it as .xlsx (Excel 2007 or later) or as CSV"}]


def test_only_offices_import_and_only_where_they_reach(http, engine, district):
    data = csv_bytes([good_row(1)])
    for who in ("edu_clerk", "deputy", None):
        [error] = answer(upload(http, district, who, data))["userErrors"]
        assert error["code"] == "FORBIDDEN", who
    outside = answer(upload(http, district, "town_b_office", data, region="town_a"))["userErrors"]
    missing = answer(upload(http, district, "town_b_office", data, region=999))["userErrors"]
    assert outside == [{"code": "NOT_FOUND", "path": ["region"], "message":
                        f"region {district.regions['town_a']} does not exist"}]
    assert missing == [{"code": "NOT_FOUND", "path": ["region"], "message": "region 999 does not exist"}]
    assert table(engine, "SELECT COUNT(*) FROM project") == [(0,)]


def test_uploads_follow_the_multipart_spec_and_its_limits(engine, district):
    from starlette.testclient import TestClient

    from engine.api.app import ApiSettings, create_app

    app = create_app(engine, ApiSettings(max_upload_bytes=4000))
    auth = {"Authorization": f"Bearer {district.tokens['town_a_office']}"}
    with TestClient(app) as http:
        small = csv_bytes([good_row(1)])
        assert answer(upload(http, district, "town_a_office", small))["created"] == 1
        large = upload(http, district, "town_a_office", csv_bytes([good_row(i) for i in range(2, 60)]))
        assert large.status_code == 413 and large.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        as_json = http.post("/graphql", headers=auth, json={"query": MUTATION, "variables": {
            "file": "a,b", "region": to_global_id("Region", district.regions["town_a"]), "year": 2025,
            "dryRun": False}})
        assert as_json.json()["data"]["importProjects"]["userErrors"][0]["path"] == ["file"]
        json_body = http.post("/graphql", headers={**auth, "Content-Type": "application/json"},
                              content=json.dumps({"query": "{ me { name } }", "pad": "x" * 70_000}))
        assert json_body.status_code == 413  # JSON bodies keep their own limit (64 KiB)
        query = http.post("/graphql", headers=auth, files={"0": ("l.csv", small, "text/csv")},
                          data={"operations": json.dumps({"query": "{ me { name } }", "variables": {"f": None}}),
                                "map": json.dumps({"0": ["variables.f"]})})
        assert query.status_code == 400 and "mutation" in query.json()["errors"][0]["message"]
        for operations, files_map in [("not json", "{}"), (json.dumps({"query": MUTATION}), json.dumps({"0": ["x"]})),
                                      (json.dumps([{"query": MUTATION}]), "{}"),
                                      (json.dumps({"query": MUTATION, "variables": {}}), json.dumps({"1": ["variables.f"]}))]:
            bad = http.post("/graphql", headers=auth, files={"0": ("l.csv", small, "text/csv")},
                            data={"operations": operations, "map": files_map})
            assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST", bad.text
