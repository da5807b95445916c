"""What ``build_demo`` returns: the demo district as the server, tests and plugins' demo hooks see it."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Iterable

from engine.directory.actors import ActorView

if TYPE_CHECKING:
    from engine.clock import Clock
    from engine.core import Engine

# Which actor acts when several may: the most local one, then by this order of roles.
ROLE_PREFERENCE = ("unit", "office", "committee", "finance", "supervisor", "deputy", "third_party", "admin",
                   "resident")


@dataclass
class DemoProject:
    """One demo project. ``stage`` is the stage of the default lifecycle the table gives it; ``state`` is where
    it is now in ``DemoDistrict.workflow`` (equal to ``stage`` on the default workflow); ``events`` are the events
    fired on it, in order."""

    id: int
    code: str  # e.g. "PA-01" (district), "QS-02" (a village of 青石镇)
    title: str
    region: str  # region code
    region_path: str
    unit: str  # lead unit code
    lead_unit_id: int
    budget: Decimal  # yuan
    stage: str
    state: str
    events: list[str] = field(default_factory=list)


@dataclass
class DemoDistrict:
    """The demo district: 平安区 (county level) under 临江市 under 东海省, with 4 towns/streets, 7 villages/
    communities, 15 units, one actor per workflow role and 35 projects in every state of the workflow.

    Attributes (plugin authors: this is what your ``minsheng_demo_data(db, demo)`` hook receives):

    - ``engine``: the ``engine.core.Engine`` (``engine.db``, ``engine.plugins``, ``engine.workflows``).
    - ``workflow``: the workflow the projects run on: ``"minsheng"`` (default) or ``"simple"`` (core tests).
    - ``clock``: the engine's clock. ``build_demo`` moves it through the demo year so that histories carry
      realistic dates, and leaves it frozen at the end of the year (2024-12-31 17:00) while plugin hooks run:
      date your records with ``demo.clock.now()`` / ``demo.clock.today()`` (a hook may move it to date a record
      and must put it back). Then the engine's tick runs on every day of the year; the demo server's clock starts
      at that instant, the demo's "today", and runs on with real time.
    - ``year``: the projects' year (2024).
    - ``regions``: region code → id, e.g. ``regions["pingan"]`` (the district), ``"qingshi"`` (a town),
      ``"liuwan"`` (a village of 青石镇); ``region_paths``: region code → path (``"/1/2/3/"``).
    - ``units``: unit code → id, e.g. ``units["edu"]`` (平安区教育局), ``"qingshi_gov"`` (青石镇人民政府).
    - ``actors``: username → ``engine.directory.actors.ActorView``. The username of each role's actor is the role name
      (``"office"``, ``"committee"``, ``"finance"``, ``"unit"`` of 教育局, ``"supervisor"``, ``"deputy"``, …);
      ``"qingshi_office"`` is a town office clerk who sees only 青石镇 and its villages.
    - ``tokens``: username → bearer token for the API.
    - ``projects``: project code → ``DemoProject`` (``id``, ``code``, ``title``, ``region``, ``unit``,
      ``lead_unit_id``, ``budget``, ``stage``, ``state``, ``events``).

    Methods: ``actor(username)``, ``acting(roles, project)`` (who would act with one of ``roles`` on a project:
    the lead unit's clerk, else the most local actor) and ``in_state(state)``.
    """

    engine: Engine
    workflow: str
    clock: Clock
    year: int
    regions: dict[str, int] = field(default_factory=dict)
    region_paths: dict[str, str] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    actors: dict[str, ActorView] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    projects: dict[str, DemoProject] = field(default_factory=dict)

    def actor(self, username: str) -> ActorView:
        return self.actors[username]

    def in_state(self, state: str) -> list[DemoProject]:
        return [p for p in self.projects.values() if p.state == state]

    def acting(self, roles: Iterable[str], project: DemoProject | None = None) -> ActorView:
        """The demo actor who acts with one of ``roles`` (on ``project``, when given); ``LookupError`` if none."""
        wanted = set(roles)
        candidates = [a for a in self.actors.values() if a.roles & wanted and _may_act(a, wanted, project)]
        if not candidates:
            raise LookupError(f"no demo actor has one of the roles {sorted(wanted)}")
        return min(candidates, key=lambda a: _preference(a, wanted, project))


def _may_act(actor: ActorView, wanted: set[str], project: DemoProject | None) -> bool:
    if project is None:
        return True
    if not actor.covers(project.region_path):
        return False
    unit_only = actor.roles & wanted == {"unit"}
    return not unit_only or actor.unit_id == project.lead_unit_id


def _preference(actor: ActorView, wanted: set[str], project: DemoProject | None) -> tuple[int, int, int]:
    own_unit = project is not None and "unit" in actor.roles & wanted and actor.unit_id == project.lead_unit_id
    role = min(ROLE_PREFERENCE.index(r) if r in ROLE_PREFERENCE else len(ROLE_PREFERENCE) for r in actor.roles & wanted)
    return (0 if own_unit else 1, -len(actor.region_path or ""), role)
