"""Fixtures and helpers shared by the inspection plugin's tests (no tests here).

``engine`` is overridden so that the plugin's own loop workflow (tests/workflows/inspection_loop.yaml) is loaded,
with a stand-in for the satisfaction plugin whose bottom grade runs ``inspection.open_rectification`` through
``ctx.run_action``. The default workflow is loaded too when every guard it names is registered.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from pony import orm

from engine.workflow.catalog import gather
from engine.clock import Clock
from engine.core import Engine
from engine.errors import InvalidDefinition
from engine.workflow.guards import ActionSpec, GuardContext
from engine.hookspecs import hookimpl
from engine.plugins import make_plugin_manager
from engine.storage.sql import Sql
from engine.transition import TransitionRecord, TransitionRequest, fire_transition
from engine.workflow.loader import load_definition
from plugins.inspection import records
from plugins.inspection.inspections import Finding, NewInspection, RecordedInspection, record_inspection
from tests.district import District

TESTS = Path(__file__).parent
LOOP_WORKFLOW = TESTS / "workflows" / "inspection_loop.yaml"
SIMPLE_WORKFLOW = TESTS / "workflows" / "simple.yaml"
DEFAULT_WORKFLOW = TESTS.parent / "workflows" / "minsheng.yaml"
BOTTOM_GRADE_TEXT = "满意度评价为一般，限期整改"


class BottomGradePlugin:
    """Stands in for the satisfaction plugin: a bottom grade (一般) sends the project back for rectification."""

    @hookimpl
    def minsheng_actions(self) -> list[ActionSpec]:
        def bottom_grade(ctx: GuardContext) -> None:
            ctx.run_action("inspection.open_rectification", days=15, description=BOTTOM_GRADE_TEXT)

        return [ActionSpec("test.bottom_grade", bottom_grade)]


def default_workflow_loads() -> bool:
    """Whether every guard/action workflows/minsheng.yaml names is registered (funding, satisfaction exist)."""
    catalog = gather(make_plugin_manager([], [BottomGradePlugin()], entry_points=False))
    try:
        load_definition(DEFAULT_WORKFLOW, catalog.guards, catalog.actions)
    except InvalidDefinition:
        return False
    return True


@pytest.fixture
def engine(db_url: str, clock: Clock) -> Iterator[Engine]:
    files = [SIMPLE_WORKFLOW, LOOP_WORKFLOW] + ([DEFAULT_WORKFLOW] if default_workflow_loads() else [])
    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False, workflow_files=files,
                         extra_plugins=[BottomGradePlugin()])
    yield engine
    engine.close()


def fire(engine: Engine, district: District, username: str, project_id: int, event: str,
         **fields: Any) -> TransitionRecord:
    return fire_transition(engine, district.actor(username), TransitionRequest(project_id, event, fields))


def state_of(engine: Engine, project_id: int) -> str:
    with orm.db_session:
        return Sql(engine.db).scalar("SELECT state FROM project WHERE id = ?", (project_id,))


def reading(engine: Engine, read: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a read function taking ``sql`` first (records.*) inside a session."""
    with orm.db_session:
        return read(Sql(engine.db), *args, **kwargs)


def rectifications(engine: Engine, project_id: int) -> list[records.Rectification]:
    return reading(engine, records.rectifications_of_project, project_id)


def started(engine: Engine, district: District, region: str = "county", **details: Any) -> int:
    """A project on the loop workflow, in progress (实施)."""
    project_id = district.project(region=region, workflow="inspection_loop", **details)
    fire(engine, district, "county_office", project_id, "start", start_date="2024-03-01")
    return project_id


def inspect(engine: Engine, district: District, project_id: int, username: str = "supervisor",
            kind: str = "supervision", held_on: str = "2024-03-01", result: str = "findings_only",
            findings: tuple[Finding, ...] = (), **more: Any) -> RecordedInspection:
    new = NewInspection(kind, held_on, result, more.pop("inspectors", ["张三", "李四"]), more.pop("notes", None),
                        findings)
    return record_inspection(engine, district.actor(username), project_id, new)


def finding(description: str = "围栏破损", deadline: str | dt.date = "2024-03-31",
            unit_id: int | None = None) -> Finding:
    return Finding(description, deadline, unit_id)
