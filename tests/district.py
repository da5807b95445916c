"""A small district for tests: a county with two towns, villages, units and one actor per role."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pony import orm

from engine.directory import actors
from engine.directory.actors import ActorView
from engine.directory.admin import add_actor, add_region_by_code, add_unit
from engine.core import Engine
from engine.projects import NewProject, create_project
from engine.storage.sql import Sql

ACTORS = {
    # username: (roles, region, unit)
    "county_office": ("office", "county", None),
    "county_finance": ("finance", "county", None),
    "committee": ("committee", "county", None),
    "town_a_office": ("office", "town_a", None),
    "town_b_office": ("office", "town_b", None),
    "edu_clerk": ("unit", "county", "edu"),
    "housing_clerk": ("unit", "county", "housing"),
    "supervisor": ("supervisor", "county", None),
    "deputy": ("deputy", "county", None),
}


@dataclass
class District:
    engine: Engine
    regions: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def actor(self, username: str) -> ActorView:
        with orm.db_session:
            return actors.by_username(Sql(self.engine.db), username)

    def project(self, region: str = "county", workflow: str = "simple", **details: Any) -> int:
        values = {"title": "城区学校运动场改造", "year": 2024, "category": "教育", "budget": Decimal("3000000.00"),
                  "lead_unit_id": self.units["edu"], **details}
        return create_project(self.engine, self.actor("county_office" if region != "town_b" else "town_b_office"),
                              NewProject(self.regions[region], values, workflow=workflow))


def build_district(engine: Engine) -> District:
    d = District(engine)
    for code, name, level, parent in [("county", "平安县", "county", None), ("town_a", "东城镇", "town", "county"),
                                      ("town_b", "西河镇", "town", "county"), ("village_a1", "东村", "village", "town_a"),
                                      ("village_b1", "西村", "village", "town_b")]:
        d.regions[code] = add_region_by_code(engine, code, name, level, parent).id
    for code, name in [("edu", "县教育局"), ("housing", "县住建局")]:
        d.units[code] = add_unit(engine, code, name, "county")
    for username, (roles, region, unit) in ACTORS.items():
        d.tokens[username] = add_actor(engine, username, username, roles.split(","), region, unit)
    return d
