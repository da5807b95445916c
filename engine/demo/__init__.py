"""The demo district of ``minsheng serve --demo``: 平安区 with its towns, villages, units, one actor per role and
35 projects with real histories in every state of the workflow. See ``DemoDistrict`` for what plugins receive."""
from __future__ import annotations

from engine.demo.build import DemoError, build_demo
from engine.demo.district import DemoDistrict, DemoProject

__all__ = ["DemoDistrict", "DemoError", "DemoProject", "build_demo"]
