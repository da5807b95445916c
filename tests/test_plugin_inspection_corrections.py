"""Inspection corrections 冲正, idempotent retries, final states and inspection records in the hash chains."""
from __future__ import annotations

import json

import pytest
from pony import orm

from engine import chain
from engine.api.ids import to_global_id
from engine.errors import GuardFailed
from engine.storage.sql import Sql
from tests.test_plugin_inspection_support import engine, fire, started  # noqa: F401

RECORD = """mutation($input: RecordInspectionInput!) { recordInspection(input: $input) {
  inspection { id result reversedReason } rectifications { id } userErrors { code message path } } }"""
REVERSE = """mutation($input: ReverseInspectionInput!) { reverseInspection(input: $input) {
  correction { id reverses reason recordedBy } userErrors { code message path } } }"""
MARK_DONE = """mutation($input: MarkRectificationDoneInput!) { markRectificationDone(input: $input) {
  rectification { id status } userErrors { code message path } } }"""
HISTORY = """query($id: ID!, $kinds: [String!]) { project(id: $id) { history(first: 50, kinds: $kinds) {
  kind event fields } inspections { id reversedReason } } }"""


def record(gql, username, project_id, **overrides):
    data = {"projectId": to_global_id("Project", project_id), "kind": "ACCEPTANCE", "date": "2024-03-01",
            "result": "PASS", "inspectors": ["张三"], "notes": "内部记录", **overrides}
    return gql(username, RECORD, {"input": data})["data"]["recordInspection"]


def reverse(gql, username, project_id, inspection_id, reason="录错项目", **more):
    data = {"projectId": to_global_id("Project", project_id), "inspectionId": inspection_id, "reason": reason,
            **more}
    return gql(username, REVERSE, {"input": data})["data"]["reverseInspection"]


def count(engine, table, project_id):
    with orm.db_session:
        return Sql(engine.db).scalar(f"SELECT COUNT(*) FROM {table} WHERE project_id = ?", (project_id,))


def test_a_reversed_acceptance_no_longer_counts(gql, engine, district):
    pid = started(engine, district)
    recorded = record(gql, "supervisor", pid)
    done = reverse(gql, "county_office", pid, recorded["inspection"]["id"], "验收记录录入错误")
    assert done["userErrors"] == []
    assert (done["correction"]["reverses"], done["correction"]["reason"], done["correction"]["recordedBy"]) == (
        recorded["inspection"]["id"], "验收记录录入错误", "county_office")
    with pytest.raises(GuardFailed) as blocked:
        fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-02")
    assert "no acceptance inspection (验收) has been recorded" in blocked.value.reasons
    seen = gql("county_office", HISTORY, {"id": to_global_id("Project", pid), "kinds": ["correction", "inspection"]})
    project = seen["data"]["project"]
    assert project["inspections"] == [{"id": recorded["inspection"]["id"], "reversedReason": "验收记录录入错误"}]
    assert [(e["kind"], e["event"]) for e in project["history"]] == [("correction", "reverse_inspection"),
                                                                    ("inspection", "record_inspection")]
    assert "张三" not in json.dumps(project["history"], ensure_ascii=False)  # inspectors' names only as a digest
    assert gql(None, HISTORY, {"id": to_global_id("Project", pid)})["data"]["project"]["inspections"] == []
    assert record(gql, "supervisor", pid)["userErrors"] == []
    fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-02")


def test_reversals_refused_with_the_reason(gql, engine, district):
    pid, other = started(engine, district), started(engine, district)
    inspection = record(gql, "supervisor", pid)["inspection"]["id"]
    correction = reverse(gql, "county_office", pid, inspection)["correction"]["id"]
    db_id = int(inspection and __import__("base64").b64decode(inspection).decode().split(":")[1])
    cases = [(pid, inspection, f"inspection {db_id} was already reversed (correction "
                               f"{int(__import__('base64').b64decode(correction).decode().split(':')[1])})"),
             (other, inspection, f"inspection {db_id} is not a record of project {other}: a correction reverses a "
                                 "record of its own project")]
    for project, entry, message in cases:
        assert reverse(gql, "county_office", project, entry)["userErrors"] == [
            {"code": "INVALID_INPUT", "path": ["input", "inspectionId"], "message": message}]
    itself = reverse(gql, "county_office", pid, correction)["userErrors"][0]
    assert "is itself a correction; a correction is never reversed" in itself["message"]
    assert reverse(gql, "edu_clerk", pid, inspection)["userErrors"][0]["code"] == "FORBIDDEN"
    assert reverse(gql, "town_b_office", pid, inspection)["userErrors"] == [
        {"code": "NOT_FOUND", "path": ["input", "projectId"], "message": f"project {pid} does not exist"}]
    assert count(engine, "inspection_correction", pid) == 1 and count(engine, "inspection_correction", other) == 0


def test_retries_with_an_idempotency_key_write_once(gql, engine, district):
    pid = started(engine, district)
    findings = [{"description": "围栏破损", "deadline": "2024-03-31"}]
    first = record(gql, "supervisor", pid, kind="SUPERVISION", result="FINDINGS_ONLY", findings=findings,
                   idempotencyKey="insp-1")
    again = record(gql, "supervisor", pid, kind="SUPERVISION", result="FINDINGS_ONLY", findings=findings,
                   idempotencyKey="insp-1")
    assert again == first and count(engine, "inspection_record", pid) == 1
    assert count(engine, "inspection_rectification", pid) == 1
    rectification = first["rectifications"][0]["id"]
    move = {"rectificationId": rectification, "note": "已修复", "idempotencyKey": "done-1"}
    marked = gql("edu_clerk", MARK_DONE, {"input": move})["data"]["markRectificationDone"]
    retried = gql("edu_clerk", MARK_DONE, {"input": move})["data"]["markRectificationDone"]
    assert marked == retried and marked["rectification"]["status"] == "DONE" and marked["userErrors"] == []
    with orm.db_session:
        events = [r[0] for r in Sql(engine.db).all(
            "SELECT event FROM audit_record WHERE project_id = ? AND kind = 'inspection' ORDER BY seq", (pid,))]
    assert events == ["record_inspection", "open_rectification", "rectification_done"]


def test_a_final_state_takes_no_inspection_records(gql, engine, district):
    pid = started(engine, district)
    record(gql, "supervisor", pid)
    fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-02")
    fire(engine, district, "county_office", pid, "hand_over", custodian="村委会")
    fire(engine, district, "county_office", pid, "review", **_review_fields(engine, pid))
    refused = record(gql, "supervisor", pid)
    assert refused["userErrors"] == [{"code": "FORBIDDEN", "path": [], "message": (
        "the project is 回头看 (reviewed), a final state: it takes no more inspection records (视察/整改) (the "
        "workflow's state 'reviewed' does not list 'inspection' in its records)")}]
    assert count(engine, "inspection_record", pid) == 1


def _review_fields(engine, pid):
    definition = engine.workflows.named("inspection_loop").definition
    transition = definition.find("handed_over", "review")
    return {f.name: "2024-03-03" if f.type == "date" else "好" for f in transition.fields if f.required}


def test_verify_catches_an_inspection_result_changed_in_sql(gql, engine, district):
    pid = started(engine, district)
    inspection = record(gql, "supervisor", pid, result="FAIL")["inspection"]["id"]
    db_id = int(__import__("base64").b64decode(inspection).decode().split(":")[1])
    with orm.db_session:
        sql = Sql(engine.db)
        assert chain.verify(sql, engine.catalog.tables) == []
        sql.execute("UPDATE inspection_record SET result = 'pass' WHERE id = ?", (db_id,))
        (broken,) = chain.verify(sql, engine.catalog.tables)
    assert broken.project_id == pid
    assert broken.reason == (f"inspection 视察 {db_id} (inspection_record) does not match its history record "
                             "(altered): result is 'pass' in the table but 'fail' in the history")
