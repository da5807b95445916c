"""Building the demo district through the engine's own functions, so histories and audit chains are real.

Regions, units and actors go through ``engine.directory.admin``; each project is created with
``engine.projects.create_project`` and driven to its stage with ``engine.transition.fire_transition``, one event
at a time, on the day ``engine.demo.script`` gives it. Before each event the plugins' ``minsheng_demo_prepare``
hook (when some plugin declares it) adds what their guards ask for — a funding plan before the vote, funds in
place before work starts, a passed acceptance before completion, ratings before the review. At the end the
plugins' ``minsheng_demo_data`` hook adds their own records inside one ``db_session``.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pony import orm

from engine.directory import actors
from engine.directory.admin import add_actor, add_region_by_code, add_unit, known_roles
from engine.demo import data, script
from engine.demo.district import DemoDistrict, DemoProject
from engine.errors import DomainError
from engine.projects import NewProject, create_project
from engine.storage.sql import Sql
from engine.transition import TransitionRequest, fire_transition

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.workflow.model import WorkflowDefinition

REGION_LEVEL = {code: level for code, _, level, _ in data.REGIONS}
REGION_NAME = {code: name for code, name, _, _ in data.REGIONS}
UNIT_NAME = {code: name for code, name, _ in data.UNITS}


class DemoError(RuntimeError):
    """The demo could not be built; the message names the project and event."""


def build_demo(engine: Engine, workflow: str | None = None) -> DemoDistrict:
    """Create the demo district in an empty database and return it (see ``DemoDistrict``).

    ``workflow`` defaults to ``minsheng`` when it is loaded, else ``simple``. Leaves ``engine.clock`` frozen at the
    demo's date, the end of the demo year (``script.DEMO_END``), after running the engine's tick on every day of
    the year (``_tick_through_the_year``).
    """
    name = workflow or ("minsheng" if engine.workflows.named("minsheng") else "simple")
    if name not in script.ROUTES or engine.workflows.named(name) is None:
        raise DemoError(f"the demo has no script for workflow '{name}' or it is not loaded "
                        f"(scripts: {', '.join(script.ROUTES)})")
    demo = DemoDistrict(engine, name, engine.clock, data.YEAR)
    engine.clock.set(script.EVENT_DAYS["create"])
    _add_places(engine, demo)
    _add_actors(engine, demo)
    seen: dict[str, int] = {}
    for k, seed in enumerate(data.PROJECTS):
        variant = seen[seed.stage] = seen.get(seed.stage, -1) + 1
        add_project(demo, seed, k, variant)
    engine.clock.set(script.DEMO_END)
    with orm.db_session:
        engine.plugins.hook.minsheng_demo_data(db=engine.db, demo=demo)
    _tick_through_the_year(engine)
    return demo


def _tick_through_the_year(engine: Engine) -> None:
    """Run the engine's tick on every day from ``script.TICKS_FROM`` to the demo's date, at the tick hour of each
    day, so that the supervision notices (督办单) of each escalation step are issued on their own day, as the
    server's background tick would have. Leaves the clock at ``script.DEMO_END``."""
    day = script.TICKS_FROM
    while day <= script.DEMO_END.date():
        engine.clock.set(dt.datetime.combine(day, script.TICK_TIME))
        engine.tick(day)
        day += dt.timedelta(days=1)
    engine.clock.set(script.DEMO_END)


def _add_places(engine: Engine, demo: DemoDistrict) -> None:
    for code, name, level, parent in data.REGIONS:
        region = add_region_by_code(engine, code, name, level, parent)
        demo.regions[code], demo.region_paths[code] = region.id, region.path
    for code, name, region_code in data.UNITS:
        demo.units[code] = add_unit(engine, code, name, region_code)


def _add_actors(engine: Engine, demo: DemoDistrict) -> None:
    roles = known_roles(engine)
    for username, (role, name, region, unit) in data.ACTORS.items():
        if role in roles:
            demo.tokens[username] = add_actor(engine, username, name, [role], region, unit)
    for role in sorted(roles - {spec[0] for spec in data.ACTORS.values()}):  # roles only another workflow knows
        demo.tokens[role] = add_actor(engine, role, role, [role], "pingan")
    with orm.db_session:
        sql = Sql(engine.db)
        demo.actors = {username: actors.by_username(sql, username) for username in demo.tokens}


def _definition(demo: DemoDistrict) -> WorkflowDefinition:
    loaded = demo.engine.workflows.named(demo.workflow)
    assert loaded is not None
    return loaded.definition


def add_project(demo: DemoDistrict, seed: data.ProjectSeed, k: int, variant: int = 0) -> DemoProject:
    """Create one project from ``seed`` and drive it to its stage (variant ``variant`` of the route); ``k`` varies
    its dates and figures. The benchmark uses it to add projects to a built demo."""
    events = script.route(demo.workflow, seed.stage, variant)
    moments = script.timeline(("create", *events), k)
    demo.clock.set(moments[0])
    project = _create(demo, seed)
    for event, moment in zip(events, moments[1:]):
        demo.clock.set(moment)
        _fire(demo, project, seed, event, k)
    return project


def _create(demo: DemoDistrict, seed: data.ProjectSeed) -> DemoProject:
    definition = _definition(demo)
    unit_id = demo.units[seed.unit]
    end = data.PLANNED_ENDS.get(seed.code, f"{demo.year}-11-30")
    details = {"title": seed.title, "year": demo.year, "category": seed.category, "budget": seed.budget,
               "target": seed.target, "description": f"{REGION_NAME[seed.region]}{seed.title}：{seed.target}",
               "planned_start": f"{demo.year}-03-01", "planned_end": end, "lead_unit_id": unit_id}
    project = DemoProject(0, seed.code, seed.title, seed.region, demo.region_paths[seed.region], seed.unit, unit_id,
                          seed.budget, seed.stage, definition.initial)
    creator = demo.acting(definition.creators(), project)
    new = NewProject(demo.regions[seed.region], details, code=seed.code, workflow=demo.workflow)
    project.id = create_project(demo.engine, creator, new)
    demo.projects[seed.code] = project
    return project


def _fire(demo: DemoDistrict, project: DemoProject, seed: data.ProjectSeed, event: str, k: int) -> None:
    transition = _definition(demo).find(project.state, event)
    if transition is None:
        raise DemoError(f"demo project {project.code}: workflow '{demo.workflow}' has no event '{event}' "
                        f"from state '{project.state}'")
    prepare = getattr(demo.engine.plugins.hook, "minsheng_demo_prepare", None)
    if prepare is not None:
        prepare(engine=demo.engine, demo=demo, project=project, event=event)
    step = script.Step(seed, REGION_NAME[seed.region], REGION_LEVEL[seed.region], UNIT_NAME[seed.unit],
                       demo.clock.today(), k)
    values = script.field_values(event, step)
    fields = {f.name: values[f.name] for f in transition.fields if f.name in values}
    request = TransitionRequest(project.id, event, fields, script.COMMENTS.get(event, ""))
    try:
        record = fire_transition(demo.engine, demo.acting(transition.roles, project), request)
    except DomainError as exc:
        raise DemoError(f"demo project {project.code} ({project.title}): '{event}' failed: {exc.message}") from exc
    project.state = record.dest
    project.events.append(event)
