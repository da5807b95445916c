"""The inspection plugin: its hooks, the rectification loop through a workflow, guards and the action."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.errors import NotFound, GuardFailed
from engine.workflow.guards import ActionSpec, GuardSpec
from plugins import inspection
from plugins.inspection import graphql as inspection_graphql
from plugins.inspection.rectifications import mark_done, verify
from tests.test_plugin_inspection_support import (BOTTOM_GRADE_TEXT, engine, finding, fire, inspect,  # noqa: F401
                                                  rectifications, started, state_of)


def blocked(engine, district, username, project_id, event, **fields) -> list[str]:
    with pytest.raises(GuardFailed) as caught:
        fire(engine, district, username, project_id, event, **fields)
    return caught.value.reasons


# --- hooks ---------------------------------------------------------------------------------------------------

def test_entities_hook_declares_both_tables(engine):
    tables = {entity._table_ for entity in engine.db.entities.values()}
    assert {"inspection_record", "inspection_rectification"} <= tables


def test_migrations_hook_creates_the_tables_once(engine):
    from pony import orm
    with orm.db_session:
        applied = engine.db.select("SELECT component, number FROM schema_migrations WHERE component = 'inspection'"
                                   " ORDER BY number")
        numbers = [m.number for m in inspection.minsheng_migrations()]
        assert [tuple(row) for row in applied] == [("inspection", n) for n in numbers]
        assert engine.db.select("SELECT COUNT(*) FROM inspection_rectification") == [0]
    assert {m.component for m in inspection.minsheng_migrations()} == {"inspection"}
    assert numbers == list(range(1, len(numbers) + 1))


def test_guards_and_actions_hooks_register_what_the_default_workflow_names(engine):
    assert all(isinstance(g, GuardSpec) for g in inspection.minsheng_guards())
    assert all(isinstance(a, ActionSpec) for a in inspection.minsheng_actions())
    assert {"inspection.acceptance_passed", "inspection.no_open_rectifications"} <= set(engine.catalog.guards)
    action = engine.catalog.actions["inspection.open_rectification"]
    assert set(action.params) == {"days", "description"} and action.params["days"].default == 30


def test_graphql_hook_adds_project_fields_root_query_and_mutations():
    ext = inspection.minsheng_graphql()
    names = {kind: {f.name for f in getattr(ext, kind).__strawberry_definition__.fields}
             for kind in ("query", "mutation", "project")}
    assert names == {"query": {"overdue_rectifications"},
                     "mutation": {"record_inspection", "mark_rectification_done", "verify_rectification",
                                  "reverse_inspection"},
                     "project": {"inspections", "rectifications"}}
    assert ext.query is inspection_graphql.InspectionQuery


# --- the rectification loop ----------------------------------------------------------------------------------

def test_full_rectification_loop_through_acceptance(engine, district, clock):
    pid = started(engine, district)
    fire(engine, district, "supervisor", pid, "fail_acceptance", findings="操场排水不畅", deadline="2024-06-30")
    assert state_of(engine, pid) == "rectifying"
    [opened] = rectifications(engine, pid)
    assert (opened.description, opened.deadline, opened.status) == ("操场排水不畅", dt.date(2024, 6, 30), "open")
    assert (opened.unit_id, opened.origin, opened.unit_name) == (district.units["edu"], "fail_acceptance", "县教育局")
    reason = "1 rectification (整改) is still open (earliest deadline 2024-06-30)"
    assert blocked(engine, district, "edu_clerk", pid, "rectified", report="已整改") == [reason]

    clock.advance(days=10)
    mark_done(engine, district.actor("edu_clerk"), opened.id, "已疏通排水沟")
    assert blocked(engine, district, "edu_clerk", pid, "rectified", report="已整改") == [reason]
    verify(engine, district.actor("supervisor"), opened.id, "现场核验")
    [closed] = rectifications(engine, pid)
    assert (closed.status, closed.done_by, closed.verified_by) == (
        "verified", district.actor("edu_clerk").id, district.actor("supervisor").id)
    assert closed.done_at == closed.verified_at == dt.datetime(2024, 3, 11, 9)

    fire(engine, district, "edu_clerk", pid, "rectified", report="已整改")
    assert state_of(engine, pid) == "in_progress"
    assert blocked(engine, district, "county_office", pid, "complete", completion_date="2024-03-11") == [
        "no acceptance inspection (验收) has been recorded"]
    inspect(engine, district, pid, "county_office", "acceptance", "2024-03-11", "pass")
    fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-11")
    assert state_of(engine, pid) == "completed"


def test_complete_reports_both_guards_reasons(engine, district):
    pid = started(engine, district)
    inspect(engine, district, pid, kind="supervision", held_on="2024-02-20", findings=(
        finding("安全围挡缺失", "2024-04-15"), finding("资料不全", "2024-03-20")))
    assert blocked(engine, district, "county_office", pid, "complete", completion_date="2024-03-01") == [
        "no acceptance inspection (验收) has been recorded",
        "2 rectifications (整改) are still open (earliest deadline 2024-03-20)"]


def test_acceptance_passed_looks_at_the_latest_acceptance_by_date(engine, district):
    pid = started(engine, district)
    inspect(engine, district, pid, "county_office", "acceptance", "2024-02-10", "pass")
    inspect(engine, district, pid, "county_office", "acceptance", "2024-02-20", "fail")
    inspect(engine, district, pid, "county_office", "acceptance", "2024-02-15", "pass")  # entered late, older
    inspect(engine, district, pid, "county_office", "supervision", "2024-02-25", "pass")  # not an acceptance
    assert blocked(engine, district, "county_office", pid, "complete", completion_date="2024-03-01") == [
        "the latest acceptance inspection on 2024-02-20 failed"]
    inspect(engine, district, pid, "county_office", "acceptance", "2024-02-28", "findings_only")
    assert blocked(engine, district, "county_office", pid, "complete", completion_date="2024-03-01") == [
        "the latest acceptance inspection on 2024-02-28 did not pass (result: 发现问题（不作结论）)"]
    inspect(engine, district, pid, "county_office", "acceptance", "2024-03-01", "pass")
    fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-01")
    assert state_of(engine, pid) == "completed"


def test_fail_review_opens_a_rectification_and_rectified_returns_to_handed_over(engine, district):
    pid = started(engine, district)
    inspect(engine, district, pid, "county_office", "acceptance", "2024-03-01", "pass")
    fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-01")
    fire(engine, district, "county_office", pid, "hand_over", custodian="城区小学")
    fire(engine, district, "committee", pid, "fail_review", findings="塑胶跑道起皮", deadline="2024-05-01")
    [opened] = rectifications(engine, pid)
    assert (opened.description, opened.deadline, opened.origin) == ("塑胶跑道起皮", dt.date(2024, 5, 1),
                                                                    "fail_review")
    mark_done(engine, district.actor("county_office"), opened.id)
    verify(engine, district.actor("committee"), opened.id)
    fire(engine, district, "county_office", pid, "rectified", report="已修复")
    assert state_of(engine, pid) == "handed_over"
    fire(engine, district, "committee", pid, "review")
    assert state_of(engine, pid) == "reviewed"


def test_action_without_fields_uses_its_description_and_days(engine, district, clock):
    pid = started(engine, district)
    fire(engine, district, "county_office", pid, "order_rectification")
    [opened] = rectifications(engine, pid)
    assert (opened.description, opened.deadline) == ("督查发现问题，限期整改", dt.date(2024, 3, 11))


def test_action_run_by_another_plugin_for_a_bottom_grade(engine, district, clock):
    pid = started(engine, district)
    inspect(engine, district, pid, "county_office", "acceptance", "2024-03-01", "pass")
    fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-01")
    fire(engine, district, "county_office", pid, "hand_over", custodian="城区小学")
    clock.set("2024-09-01T10:00:00")
    fire(engine, district, "committee", pid, "grade_bottom", findings="设施运行良好，但群众满意度不高")
    [opened] = rectifications(engine, pid)
    assert (opened.description, opened.deadline, opened.unit_id, opened.origin) == (
        BOTTOM_GRADE_TEXT, dt.date(2024, 9, 16), district.units["edu"], "grade_bottom")
    assert opened.opened_by == district.actor("committee").id


def test_rectification_without_a_lead_unit_is_the_office_s_to_close(engine, district):
    pid = district.project(workflow="inspection_loop", lead_unit_id=None)
    fire(engine, district, "county_office", pid, "start", start_date="2024-03-01")
    fire(engine, district, "county_office", pid, "fail_acceptance", findings="无牵头单位", deadline="2024-04-01")
    [opened] = rectifications(engine, pid)
    assert opened.unit_id is None and opened.unit_name is None
    with pytest.raises(NotFound, match=f"rectification {opened.id} does not exist"):
        mark_done(engine, district.actor("edu_clerk"), opened.id)  # a unit clerk reaches only its unit's work
    assert mark_done(engine, district.actor("county_office"), opened.id).status == "done"
