"""The funding plugin's demo hooks: ``minsheng_demo_prepare`` funds each project so the default workflow's guards
pass while the demo drives it, and ``minsheng_demo_data`` completes the year's receipts and payments."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

import pytest

from engine.clock import Clock
from engine.core import Engine
from engine.demo import DemoDistrict, build_demo
from plugins.funding import rollup
from plugins.funding.demo import DONE_STATES
from tests.test_plugin_funding import needs_minsheng


@pytest.fixture
def demo(db_url: str) -> Iterator[DemoDistrict]:
    engine = Engine.open(db_url, disabled=[], clock=Clock(), entry_points=False)
    try:
        yield build_demo(engine)
    finally:
        engine.close()


@needs_minsheng
def test_demo_projects_are_funded_as_their_stage_requires(demo: DemoDistrict) -> None:
    finance, engine = demo.actor("finance"), demo.engine
    voted = [p for p in demo.projects.values() if "approve" in p.events]
    started = [p for p in voted if "start" in p.events]
    assert voted and started
    for project in voted:
        figures = rollup.project_funding(engine, finance, project.id)
        assert figures.planned == project.budget, project.code
    for project in started:
        figures = rollup.project_funding(engine, finance, project.id)
        assert figures.in_place_rate >= Decimal("60.00") and figures.disbursement_rate > 0, project.code
        if project.state in DONE_STATES:
            assert (figures.in_place_rate, figures.disbursement_rate) == (Decimal("100.00"), Decimal("99.51"))
    for project in demo.projects.values():
        if "approve" not in project.events:
            assert rollup.project_funding(engine, finance, project.id).planned == 0, project.code


@needs_minsheng
def test_demo_rollups_differ_between_the_district_and_a_town(demo: DemoDistrict) -> None:
    district = rollup.rollup(demo.engine, demo.actor("finance"), year=demo.year)
    town = rollup.rollup(demo.engine, demo.actor("qingshi_office"), year=demo.year)
    assert town.region_name == "青石镇" and 0 < town.project_count < district.project_count
    assert Decimal(0) < town.figures.planned < district.figures.planned
    central = next(s for s in district.figures.by_source if s.source.value == "central")
    assert central.planned > 0 and central.received > 0
    # the reviews' top grades granted their rewards through funding.grant_reward (satisfaction.grade)
    assert district.figures.rewarded > 0 and district.figures.rewarded % 100000 == 0
