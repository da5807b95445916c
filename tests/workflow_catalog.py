"""A fake catalogue of the guards and actions ``workflows/minsheng.yaml`` names, for tests that only load files.

The checks never block and the action does nothing: what matters to the loader are names and parameter specs.
"""
from __future__ import annotations

from typing import Any

from engine.workflow.guards import ActionSpec, GuardSpec, Param


def _passes(ctx: Any, **params: Any) -> None:
    """A guard that always lets the transition happen."""
    return None


def _does_nothing(ctx: Any, **params: Any) -> None:
    """An action without effect."""


GUARD_PARAMS: dict[str, dict[str, Param]] = {
    "funding.plan_covers_budget": {},
    "funding.funds_in_place": {"min_ratio": Param("number", required=True, min=0, max=10)},
    "inspection.acceptance_passed": {},
    "inspection.no_open_rectifications": {},
    "satisfaction.rated": {"min_responses": Param("int", min=1, default=30)},
    "satisfaction.above_bottom_grade": {"bands": Param("list")},
    "custody.checklist_passed": {},
}

GUARDS: dict[str, GuardSpec] = {name: GuardSpec(name, _passes, params) for name, params in GUARD_PARAMS.items()}

ACTIONS: dict[str, ActionSpec] = {
    "inspection.open_rectification": ActionSpec("inspection.open_rectification", _does_nothing,
                                                {"days": Param("int", default=30, min=1)}),
    "satisfaction.grade": ActionSpec("satisfaction.grade", _does_nothing,
                                     {"reward_amount": Param("number", min=0), "bands": Param("list"),
                                      "rectification_days": Param("int", min=1)}),
    "custody.open_custody": ActionSpec("custody.open_custody", _does_nothing, {"years": Param("int", min=1)}),
    "custody.record_review": ActionSpec("custody.record_review", _does_nothing,
                                        {"days": Param("int", min=1), "always_rectify": Param("bool")}),
}
