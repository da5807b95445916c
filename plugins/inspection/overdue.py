"""Overdue rectifications (逾期未整改): not verified and past their deadline by the engine's clock.

Listed per project, per responsible unit and per region (the region and everything below it), each with ONE
query, always inside the reader's area (``engine.directory.access.reach``). The public, and a public-scope role such as
resident, has no area: it sees overdue rectifications only through a published project.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.directory.access import reach
from engine.directory.actors import ActorView
from engine.directory.regions import subtree_bounds
from engine.api.access import readable_project
from engine.errors import FieldProblem, InvalidInput, NotFound
from engine.storage.sql import Sql

from plugins.inspection import records
from plugins.inspection.records import Rectification

if TYPE_CHECKING:
    from engine.core import Engine

DEFAULT_FIRST = 50
MAX_FIRST = 500


def of_project(engine: Engine, sql: Sql, actor: ActorView, project_id: int,
               first: int = DEFAULT_FIRST) -> list[Rectification]:
    """A project's overdue rectifications, most overdue first."""
    _check_first(first)
    readable_project(engine, sql, actor, project_id, path=["project"])
    return records.overdue(sql, engine.clock.today(), "r.project_id = ?", [project_id], first)


def of_unit(engine: Engine, sql: Sql, actor: ActorView, unit_id: int,
            first: int = DEFAULT_FIRST) -> list[Rectification]:
    """A responsible unit's overdue rectifications on projects in the actor's area."""
    _check_first(first)
    _check_unit(sql, unit_id)
    area = _area(engine, actor)
    if area is None:
        return []
    return records.overdue(sql, engine.clock.today(), "r.unit_id = ? AND p.region_path >= ? AND p.region_path < ?",
                           [unit_id, *subtree_bounds(area)], first)


def in_region(engine: Engine, sql: Sql, actor: ActorView, region_id: int, unit_id: int | None = None,
              first: int = DEFAULT_FIRST) -> list[Rectification]:
    """Overdue rectifications of projects in a region and every region below it (optionally of one unit)."""
    _check_first(first)
    path = _region_path(engine, sql, actor, region_id)
    if unit_id is None:
        return records.overdue(sql, engine.clock.today(), "p.region_path >= ? AND p.region_path < ?",
                                 list(subtree_bounds(path)), first)
    _check_unit(sql, unit_id)
    return records.overdue(sql, engine.clock.today(), "r.unit_id = ? AND p.region_path >= ? AND p.region_path < ?",
                           [unit_id, *subtree_bounds(path)], first)


def in_area(engine: Engine, sql: Sql, actor: ActorView, region_id: int | None = None, unit_id: int | None = None,
            first: int = DEFAULT_FIRST) -> list[Rectification]:
    """What the ``overdueRectifications`` query answers: a region, a unit, both, or the actor's whole area. A unit
    clerk (牵头/责任单位) sees only the rectifications its own unit is responsible for, whatever its other roles."""
    scope = reach(engine, actor)
    if scope.unit_bound:
        unit_id = scope.unit_id or 0
    if region_id is not None:
        return in_region(engine, sql, actor, region_id, unit_id, first)
    if unit_id is not None:
        return of_unit(engine, sql, actor, unit_id, first)
    _check_first(first)
    area = _area(engine, actor)
    if area is None:
        return []
    return records.overdue(sql, engine.clock.today(), "p.region_path >= ? AND p.region_path < ?",
                           list(subtree_bounds(area)), first)


def _area(engine: Engine, actor: ActorView) -> str | None:
    """The region path the reader may list rectifications under; None for a public-scope reader."""
    scope = reach(engine, actor)
    return None if scope.published_only else scope.region_path


def _region_path(engine: Engine, sql: Sql, actor: ActorView, region_id: int) -> str:
    path = sql.scalar("SELECT path FROM region WHERE id = ?", (region_id,))
    area = _area(engine, actor)
    if path is None or area is None or not path.startswith(area):
        raise NotFound(f"region {region_id} does not exist", path=["region"])
    return path


def _check_unit(sql: Sql, unit_id: int) -> None:
    if sql.scalar("SELECT id FROM unit WHERE id = ?", (unit_id,)) is None:
        raise NotFound(f"unit {unit_id} does not exist", path=["unit"])


def _check_first(first: int) -> None:
    if not 1 <= first <= MAX_FIRST:
        raise InvalidInput([FieldProblem(["first"], f"must be between 1 and {MAX_FIRST}, got {first}")])
