"""Fixtures and helpers shared by the supervision plugin's tests (no tests here).

``engine`` is overridden to load tests/workflows/supervised.yaml beside the default and simple workflows: its
``in_progress`` state is due by the planned end and ``checking`` 10 working days after entering it, under the
same ladder as the default workflow (warn 5 working days before, overdue on the day, escalate 10 and summon 20
working days after).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pytest
from pony import orm

from engine.clock import Clock
from engine.core import Engine
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition
from tests.district import District

TESTS = Path(__file__).parent
SUPERVISED_WORKFLOW = TESTS / "workflows" / "supervised.yaml"
WORKFLOWS = [TESTS.parent / "workflows" / "minsheng.yaml", TESTS / "workflows" / "simple.yaml", SUPERVISED_WORKFLOW]


@pytest.fixture
def engine(db_url: str, clock: Clock) -> Iterator[Engine]:
    engine = Engine.open(db_url, disabled=[], clock=clock, entry_points=False, workflow_files=WORKFLOWS)
    yield engine
    engine.close()


def started(engine: Engine, district: District, planned_end: str | dt.date = "2024-06-28", region: str = "county",
            **details: Any) -> int:
    """A supervised project in progress (实施), due by ``planned_end``."""
    end = dt.date.fromisoformat(planned_end) if isinstance(planned_end, str) else planned_end
    project_id = district.project(region=region, workflow="supervised", planned_end=end, **details)
    fire(engine, district, "county_office" if region != "town_b" else "town_b_office", project_id, "start")
    return project_id


def fire(engine: Engine, district: District, username: str, project_id: int, event: str) -> None:
    fire_transition(engine, district.actor(username), TransitionRequest(project_id, event, {}))


def stored(engine: Engine, project_id: int | None = None) -> list[tuple]:
    """(project id, deadline key, due on, step, issued on, reason, status) of every notice, in id order."""
    where, params = ("WHERE project_id = ?", (project_id,)) if project_id is not None else ("", ())
    with orm.db_session:
        rows = Sql(engine.db).all("SELECT project_id, deadline_key, due_on, step, issued_on, reason, status"
                                  f" FROM supervision_notice {where} ORDER BY id", params)
    return [(r[0], r[1], str(r[2])[:10], r[3], str(r[4])[:10], r[5], r[6]) for r in rows]


def notice_records(engine: Engine, project_id: int) -> list[tuple]:
    """(kind, event, actor name) of the project's audit records of kind ``notice``."""
    with orm.db_session:
        return [tuple(r) for r in Sql(engine.db).all(
            "SELECT kind, event, actor_name FROM audit_record WHERE project_id = ? AND kind = 'notice' ORDER BY seq",
            (project_id,))]


def days(first: str, last: str) -> Iterator[dt.date]:
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    while day <= end:
        yield day
        day += dt.timedelta(days=1)
