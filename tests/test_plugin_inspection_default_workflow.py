"""The rectification loop on the default workflow (workflows/minsheng.yaml), with the funding plugin's records
getting the project to 实施. Skipped while the funding or satisfaction plugin does not register its guards yet."""
from __future__ import annotations

import pytest

from engine.errors import GuardFailed

from plugins.inspection.rectifications import mark_done, verify
from tests.test_plugin_inspection_support import (default_workflow_loads, engine, fire, inspect,  # noqa: F401
                                                  rectifications, state_of)

pytestmark = pytest.mark.skipif(not default_workflow_loads(),
                                reason="REVISIT: workflows/minsheng.yaml needs the funding and satisfaction guards")


def in_progress_on_default_workflow(engine, district) -> int:
    from plugins.funding.ledger import record_receipt
    from plugins.funding.plan import set_plan

    pid = district.project(workflow="minsheng")
    fire(engine, district, "county_finance", pid, "assess", opinion="必要且可行", score=90)
    set_plan(engine, district.actor("county_finance"), pid, "county", "3000000.00")
    fire(engine, district, "committee", pid, "approve", decision_body="县人大常委会", vote_date="2024-02-28")
    record_receipt(engine, district.actor("county_finance"), pid, "1000000.00", "county")
    fire(engine, district, "edu_clerk", pid, "start", start_date="2024-03-01")
    return pid


def test_rectification_loop_on_the_default_workflow(engine, district, clock):
    pid = in_progress_on_default_workflow(engine, district)
    assert state_of(engine, pid) == "in_progress"
    fire(engine, district, "county_office", pid, "fail_acceptance", findings="塑胶跑道空鼓", deadline="2024-06-30")
    [opened] = rectifications(engine, pid)
    assert (opened.description, str(opened.deadline), opened.unit_id) == ("塑胶跑道空鼓", "2024-06-30",
                                                                          district.units["edu"])
    with pytest.raises(GuardFailed) as caught:
        fire(engine, district, "edu_clerk", pid, "rectified", report="已返工")
    assert caught.value.reasons == ["1 rectification (整改) is still open (earliest deadline 2024-06-30)"]
    clock.advance(days=20)
    mark_done(engine, district.actor("edu_clerk"), opened.id, "已返工")
    verify(engine, district.actor("supervisor"), opened.id)
    fire(engine, district, "edu_clerk", pid, "rectified", report="已返工")
    assert state_of(engine, pid) == "in_progress"
    with pytest.raises(GuardFailed) as caught:
        fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-21")
    assert caught.value.reasons == ["no acceptance inspection (验收) has been recorded"]
    inspect(engine, district, pid, "county_office", "acceptance", "2024-03-21", "pass")
    fire(engine, district, "county_office", pid, "complete", completion_date="2024-03-21")
    assert state_of(engine, pid) == "completed"
