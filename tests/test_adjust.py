"""动态调整 (the default workflow's ``adjust``) really adjusts: the standing committee's decision writes the new
scope, budget, target and planned end onto the project, inside the transition, with old and new values in the
audit chain; the project stays at its stage, so ``start``'s funding check is never skipped."""
from __future__ import annotations

from pony import orm

from engine import chain
from engine.storage.sql import Sql
from tests.test_lifecycle import Clerks, approve, clerks  # noqa: F401  (the fixture)

PROJECT = """query($id: ID!) { project(id: $id) { state { name } version budget description target plannedEnd
  history(first: 5) { kind event fromState toState fields } } }"""
ADJUST = {"decision_no": "平人常〔2024〕5号", "scope": "增加夜间照明和看台", "new_budget": "3600000",
          "new_target": "改造运动场1个、看台1座", "new_planned_end": "2024-12-20"}


def _approved(clerks: Clerks) -> str:
    p = clerks.create()
    clerks.call("county_office", """mutation($id: ID!) { updateProject(input: {projectId: $id,
        plannedStart: "2024-03-01", plannedEnd: "2024-10-31", target: "改造运动场1个"}) { userErrors { message } } }""",
                {"id": p})
    clerks.ok("county_finance", p, "assess", opinion="可行")
    approve(clerks, p)
    return p


def test_adjust_writes_the_decision_onto_the_project_and_records_old_and_new(clerks: Clerks, engine):
    p = _approved(clerks)
    before = clerks.call("committee", PROJECT, {"id": p})["project"]
    assert clerks.ok("committee", p, "adjust", **ADJUST) == "approved"  # content changes, not the stage
    after = clerks.call("committee", PROJECT, {"id": p})["project"]
    assert (after["budget"], after["description"], after["target"], after["plannedEnd"]) == (
        "3600000.00", "增加夜间照明和看台", "改造运动场1个、看台1座", "2024-12-20")
    assert after["version"] == before["version"] + 1
    edit, transition = after["history"][0], after["history"][1]
    assert (transition["kind"], transition["event"], transition["fromState"], transition["toState"]) == (
        "transition", "adjust", "approved", "approved")
    assert transition["fields"]["new_budget"] == "3600000.00"
    assert (edit["kind"], edit["event"]) == ("edit", "adjust")
    assert edit["fields"] == {"budget": ["3000000.00", "3600000.00"], "description": [None, "增加夜间照明和看台"],
                              "target": ["改造运动场1个", "改造运动场1个、看台1座"],
                              "planned_end": ["2024-10-31", "2024-12-20"]}
    with orm.db_session:
        assert chain.verify(Sql(engine.db), engine.catalog.tables) == []  # the chain holds with the edit in it


def test_adjust_keeps_the_funding_check_of_start(clerks: Clerks):
    """Before, ``adjust`` moved an approved project into 实施 and skipped the 30% funds-in-place guard of ``start``."""
    p = _approved(clerks)
    assert clerks.ok("committee", p, "adjust", decision_no="平人常〔2024〕6号", scope="缩减规模") == "approved"
    reasons = clerks.reasons("county_office", p)
    assert reasons["start"] and any("30" in reason for reason in reasons["start"]), reasons["start"]


def test_adjust_with_only_the_required_fields_changes_only_the_scope(clerks: Clerks):
    p = _approved(clerks)
    clerks.ok("committee", p, "adjust", decision_no="平人常〔2024〕7号", scope="只调整建设内容")
    project = clerks.call("committee", PROJECT, {"id": p})["project"]
    assert (project["budget"], project["plannedEnd"]) == ("3000000.00", "2024-10-31")
    assert project["history"][0]["fields"] == {"description": [None, "只调整建设内容"]}


def test_an_adjusted_end_before_the_start_is_refused_and_changes_nothing(clerks: Clerks):
    p = _approved(clerks)
    before = clerks.call("committee", PROJECT, {"id": p})["project"]
    result = clerks.fire("committee", p, "adjust", decision_no="平人常〔2024〕8号", scope="x",
                         new_budget="1", new_planned_end="2024-01-31")
    assert [(e["path"], e["message"]) for e in result["userErrors"]] == [
        (["input", "fields", "new_planned_end"],
         "调整后的计划完成 may not be before the planned start (2024-03-01 – 2024-01-31)")]
    assert clerks.call("committee", PROJECT, {"id": p})["project"] == before
