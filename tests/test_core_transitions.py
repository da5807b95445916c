"""The transition function on the small `simple` workflow: every refusal and what it leaves behind."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pony import orm

from engine.availability import available_transitions
from engine.errors import Conflict, Forbidden, GuardFailed, InvalidEvent, InvalidInput, NotFound
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition


def snapshot(engine, project_id):
    """Everything a failed transition must leave unchanged."""
    with orm.db_session:
        sql = Sql(engine.db)
        project = sql.one("SELECT state, previous_state, version, audit_seq, audit_head FROM project WHERE id = ?",
                          (project_id,))
        history = sql.all("SELECT seq, event, hash FROM audit_record WHERE project_id = ? ORDER BY seq", (project_id,))
        keys = sql.all("SELECT key FROM idempotency_key")
    return project, history, keys


def fire(engine, district, username, project_id, event, fields=None, **kw):
    return fire_transition(engine, district.actor(username), TransitionRequest(project_id, event, fields or {}, **kw))


def test_transition_changes_state_version_and_appends_audit(engine, district):
    pid = district.project()
    record = fire(engine, district, "committee", pid, "approve", {"decision_no": "平人常〔2024〕3号", "votes_for": "28"})
    assert (record.source, record.dest, record.seq, record.project.version) == ("draft", "approved", 2, 2)
    assert record.fields == {"decision_no": "平人常〔2024〕3号", "votes_for": 28}
    (state, previous, version, seq, head), history, _ = snapshot(engine, pid)
    assert (state, previous, version, seq, head) == ("approved", "draft", 2, 2, record.hash)
    assert [h[1] for h in history] == ["create", "approve"]


def test_blocked_transition_lists_every_reason(engine, district):
    pid = district.project(budget=Decimal("500.00"), lead_unit_id=None)
    before = snapshot(engine, pid)
    with pytest.raises(GuardFailed) as failed:
        fire(engine, district, "committee", pid, "approve", {"decision_no": "X"})
    assert failed.value.reasons == ["no lead unit (牵头单位) has been assigned to the project",
                                    "the budget 500.00 yuan is below the required 1000 yuan"]
    assert snapshot(engine, pid) == before
    options = {o.event: o for o in available_transitions(engine, district.actor("committee"), pid)}
    assert options["approve"].allowed is False
    assert list(options["approve"].reasons) == failed.value.reasons
    assert options["drop"].allowed is True


def test_wrong_role_is_forbidden_and_explained(engine, district):
    pid = district.project()
    before = snapshot(engine, pid)
    with pytest.raises(Forbidden, match="only 人大常委会 may 批准"):
        fire(engine, district, "county_office", pid, "approve", {"decision_no": "X"})
    assert snapshot(engine, pid) == before
    options = {o.event: o for o in available_transitions(engine, district.actor("county_office"), pid)}
    assert options["approve"].reasons == ("only 人大常委会 may 批准",)


def test_actor_outside_region_sees_no_project(engine, district):
    pid = district.project(region="town_a")
    before = snapshot(engine, pid)
    for username in ("town_b_office",):
        with pytest.raises(NotFound, match=f"project {pid} does not exist"):
            fire(engine, district, username, pid, "pause")
        with pytest.raises(NotFound):
            available_transitions(engine, district.actor(username), pid)
    with pytest.raises(NotFound, match="project 999 does not exist"):
        fire(engine, district, "town_b_office", 999, "pause")
    assert snapshot(engine, pid) == before
    fire(engine, district, "committee", pid, "approve", {"decision_no": "X"})  # the county covers town A


def test_unknown_event_and_event_not_available_here(engine, district):
    pid = district.project()
    with pytest.raises(InvalidEvent, match="workflow 'simple' has no event 'launch'"):
        fire(engine, district, "committee", pid, "launch")
    with pytest.raises(InvalidEvent, match=r"'finish' is not available while the project is 草稿 \(draft\)"):
        fire(engine, district, "county_office", pid, "finish")


def test_missing_and_invalid_fields_are_all_reported(engine, district):
    pid = district.project()
    before = snapshot(engine, pid)
    with pytest.raises(InvalidInput) as bad:
        fire(engine, district, "committee", pid, "approve", {"votes_for": -3, "colour": "red"})
    paths = sorted(tuple(p.path) for p in bad.value.problems())
    assert paths == [("fields", "colour"), ("fields", "decision_no"), ("fields", "votes_for")]
    assert snapshot(engine, pid) == before


def test_stale_version_is_a_conflict(engine, district):
    pid = district.project()
    fire(engine, district, "committee", pid, "approve", {"decision_no": "X"}, expected_version=1)
    before = snapshot(engine, pid)
    with pytest.raises(Conflict, match="at version 2, you saw version 1"):
        fire(engine, district, "county_office", pid, "pause", expected_version=1)
    assert snapshot(engine, pid) == before


def test_idempotency_key_replays_first_result_and_changes_nothing(engine, district):
    pid = district.project()
    first = fire(engine, district, "committee", pid, "approve", {"decision_no": "X"}, idempotency_key="k-1")
    after_first = snapshot(engine, pid)
    again = fire(engine, district, "committee", pid, "approve", {"decision_no": "X"}, idempotency_key="k-1")
    assert again.replayed and not first.replayed
    assert (again.seq, again.dest, again.hash, again.project.version) == (first.seq, first.dest, first.hash, 2)
    assert snapshot(engine, pid) == after_first
    with pytest.raises(InvalidInput, match="already used for 'approve'"):
        fire(engine, district, "committee", pid, "drop", {"reason": "x"}, idempotency_key="k-1")


def test_suspend_and_resume_to_where_it_was(engine, district):
    pid = district.project()
    fire(engine, district, "committee", pid, "approve", {"decision_no": "X"})
    fire(engine, district, "county_office", pid, "pause")
    record = fire(engine, district, "county_office", pid, "resume")
    assert (record.source, record.dest) == ("paused", "approved")


def test_unit_clerk_acts_only_on_its_own_units_projects(engine, district):
    edu = district.project()
    housing = district.project(lead_unit_id=district.units["housing"])
    for pid in (edu, housing):
        fire(engine, district, "committee", pid, "approve", {"decision_no": "X"})
    with pytest.raises(NotFound, match=f"project {housing} does not exist"):
        fire(engine, district, "edu_clerk", housing, "finish")
    assert fire(engine, district, "edu_clerk", edu, "finish").dest == "done"
