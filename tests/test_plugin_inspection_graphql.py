"""The inspection plugin through GraphQL over HTTP: what each reader sees and the userErrors each gets."""
from __future__ import annotations

from engine.api.ids import to_global_id
from tests.test_plugin_inspection_support import engine, fire, started  # noqa: F401

RECORD = """mutation($input: RecordInspectionInput!) { recordInspection(input: $input) {
  inspection { id kind kindLabel date result resultLabel inspectors notes }
  rectifications { id description deadline status statusLabel origin unit { name } overdue daysOverdue }
  userErrors { code message path } } }"""

MARK_DONE = """mutation($id: ID!, $note: String) { markRectificationDone(input: {rectificationId: $id, note: $note}) {
  rectification { id status doneNote doneByName doneAt } userErrors { code message path } } }"""

VERIFY = """mutation($id: ID!) { verifyRectification(input: {rectificationId: $id}) {
  rectification { id status verifiedByName verifiedAt } userErrors { code message path } } }"""

PROJECT = """query($id: ID!) { project(id: $id) {
  inspections { kind date result inspectors notes }
  rectifications { description deadline status unit { name } doneByName doneByActorId doneNote verifiedByName } } }"""

OVERDUE = """query($region: ID, $unit: ID, $first: Int) { overdueRectifications(region: $region, unit: $unit,
  first: $first) { projectTitle description deadline daysOverdue status unit { name } } }"""


def record(gql, username, project_id, **overrides):
    data = {"projectId": to_global_id("Project", project_id), "kind": "SUPERVISION", "date": "2024-03-01",
            "result": "FINDINGS_ONLY", "inspectors": ["张三"], "notes": "内部记录",
            "findings": [{"description": "围栏破损", "deadline": "2024-03-31"}], **overrides}
    return gql(username, RECORD, {"input": data})["data"]["recordInspection"]


def errors_of(result):
    return [(e["code"], e["message"], e["path"]) for e in result["userErrors"]]


def test_record_inspection_with_findings(gql, engine, district):
    pid = started(engine, district)
    result = record(gql, "supervisor", pid, findings=[
        {"description": "围栏破损", "deadline": "2024-03-31"},
        {"description": "标识牌缺失", "deadline": "2024-04-30", "unitId": to_global_id("Unit", district.units["housing"])}])
    assert result["userErrors"] == []
    assert {k: result["inspection"][k] for k in ("kind", "kindLabel", "date", "result", "inspectors", "notes")} == {
        "kind": "SUPERVISION", "kindLabel": "督查", "date": "2024-03-01", "result": "FINDINGS_ONLY",
        "inspectors": ["张三"], "notes": "内部记录"}
    assert [(r["description"], r["deadline"], r["status"], r["origin"], r["unit"]["name"])
            for r in result["rectifications"]] == [("围栏破损", "2024-03-31", "OPEN", "inspection", "县教育局"),
                                                   ("标识牌缺失", "2024-04-30", "OPEN", "inspection", "县住建局")]


def test_record_inspection_user_errors(gql, engine, district):
    pid = started(engine, district, region="town_a")
    assert errors_of(record(gql, "edu_clerk", pid)) == [
        ("FORBIDDEN", "only the government office (政府办/督查室), supervisors (监督员), deputies (人大代表), the "
                      "standing committee (人大常委会) or a third party (第三方) may record inspections",
         ["input", "projectId"])]
    assert errors_of(record(gql, "town_b_office", pid)) == [
        ("NOT_FOUND", f"project {pid} does not exist", ["input", "projectId"])]
    assert errors_of(record(gql, "town_a_office", pid, date="2024-03-05",
                            findings=[{"description": " ", "deadline": "2024-03-31", "unitId": "bad"}])) == [
        ("INVALID_INPUT", "'bad' is not a valid id", ["input", "findings", "0", "unitId"])]
    assert errors_of(record(gql, "town_a_office", pid, date="2024-03-05",
                            findings=[{"description": " ", "deadline": "2024-03-31"}])) == [
        ("INVALID_INPUT", "the inspection date 2024-03-05 is after today (2024-03-01)", ["input", "date"]),
        ("INVALID_INPUT", "describe what must be rectified (整改内容)", ["input", "findings", "0", "description"])]


def test_mark_done_and_verify(gql, engine, district, clock):
    pid = started(engine, district, region="town_a")
    [rid] = [r["id"] for r in record(gql, "supervisor", pid)["rectifications"]]
    result = gql("town_b_office", MARK_DONE, {"id": rid})["data"]["markRectificationDone"]
    assert result["rectification"] is None and [e["code"] for e in result["userErrors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in gql("housing_clerk", MARK_DONE, {"id": rid})["data"]["markRectificationDone"][
        "userErrors"]] == ["NOT_FOUND"]  # a clerk of another unit does not reach the project
    assert errors_of(gql("supervisor", VERIFY, {"id": rid})["data"]["verifyRectification"]) == [
        ("INVALID_INPUT", f"rectification {rid_number(rid)} is still open: the responsible unit must mark it done "
                          "before it can be verified", ["input", "rectificationId"])]
    clock.advance(days=2)
    done = gql("edu_clerk", MARK_DONE, {"id": rid, "note": "已修复"})["data"]["markRectificationDone"]
    assert done == {"rectification": {"id": rid, "status": "DONE", "doneNote": "已修复", "doneByName": "edu_clerk",
                                      "doneAt": "2024-03-03T09:00:00"}, "userErrors": []}
    verified = gql("town_a_office", VERIFY, {"id": rid})["data"]["verifyRectification"]
    assert verified["rectification"]["status"] == "VERIFIED" and verified["userErrors"] == []
    assert verified["rectification"]["verifiedByName"] == "town_a_office"
    bad = gql("county_office", VERIFY, {"id": to_global_id("Project", pid)})["data"]["verifyRectification"]
    assert errors_of(bad) == [("INVALID_INPUT", f"'{to_global_id('Project', pid)}' is not a Rectification id",
                               ["input", "rectificationId"])]


def rid_number(global_id: str) -> int:
    import base64
    return int(base64.b64decode(global_id).decode().split(":")[1])


def test_project_fields_for_officials_and_the_public(gql, engine, district):
    pid = started(engine, district)
    rid = record(gql, "supervisor", pid)["rectifications"][0]["id"]
    gql("edu_clerk", MARK_DONE, {"id": rid, "note": "单位内部说明"})
    variables = {"id": to_global_id("Project", pid)}
    official = gql("county_office", PROJECT, variables)["data"]["project"]
    assert official["inspections"] == [{"kind": "SUPERVISION", "date": "2024-03-01", "result": "FINDINGS_ONLY",
                                        "inspectors": ["张三"], "notes": "内部记录"}]
    assert official["rectifications"] == [{
        "description": "围栏破损", "deadline": "2024-03-31", "status": "DONE", "unit": {"name": "县教育局"},
        "doneByName": "edu_clerk", "doneByActorId": district.actor("edu_clerk").id, "doneNote": "单位内部说明",
        "verifiedByName": None}]
    public = gql(None, PROJECT, variables)["data"]["project"]  # in_progress is published in the loop workflow
    assert public["inspections"] == [{"kind": "SUPERVISION", "date": "2024-03-01", "result": "FINDINGS_ONLY",
                                      "inspectors": None, "notes": None}]
    assert public["rectifications"] == [{
        "description": "围栏破损", "deadline": "2024-03-31", "status": "DONE", "unit": {"name": "县教育局"},
        "doneByName": None, "doneByActorId": None, "doneNote": None, "verifiedByName": None}]


def test_overdue_rectifications_query_scoped_to_the_area(gql, engine, district, clock):
    county, town_a, town_b = (started(engine, district, region=r) for r in ("county", "town_a", "town_b"))
    record(gql, "county_office", county, findings=[{"description": "县级问题", "deadline": "2024-03-10"}])
    record(gql, "county_office", town_a, findings=[{"description": "东城问题", "deadline": "2024-03-20"}])
    record(gql, "county_office", town_b, findings=[{
        "description": "西河问题", "deadline": "2024-03-15", "unitId": to_global_id("Unit", district.units["housing"])}])
    assert gql("county_office", OVERDUE)["data"]["overdueRectifications"] == []
    clock.set("2024-03-25")
    rows = gql("county_office", OVERDUE)["data"]["overdueRectifications"]
    assert [(r["description"], r["daysOverdue"], r["status"]) for r in rows] == [
        ("县级问题", 15, "OPEN"), ("西河问题", 10, "OPEN"), ("东城问题", 5, "OPEN")]
    town_a_id = to_global_id("Region", district.regions["town_a"])
    housing = to_global_id("Unit", district.units["housing"])
    assert [r["description"] for r in gql("county_office", OVERDUE, {"region": town_a_id})["data"][
        "overdueRectifications"]] == ["东城问题"]
    assert [r["description"] for r in gql("county_office", OVERDUE, {"unit": housing})["data"][
        "overdueRectifications"]] == ["西河问题"]
    assert [r["description"] for r in gql("town_b_office", OVERDUE)["data"]["overdueRectifications"]] == ["西河问题"]
    assert gql(None, OVERDUE)["data"]["overdueRectifications"] == []
    outside = gql("town_b_office", OVERDUE, {"region": town_a_id})
    assert outside["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in outside["errors"]] == [
        (f"region {district.regions['town_a']} does not exist", "NOT_FOUND")]
