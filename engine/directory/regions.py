"""The region tree: province 省, city 市, county/district 县区, town/street 乡镇街道, village/community 村社区.

Each region stores its path of ids (``/1/4/9/``) so "this region and everything below it" is one indexed prefix
match, for regions and for projects (which copy their region's path).
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.storage.entities import REGION_LEVELS
from engine.errors import FieldProblem, InvalidInput, NotFound
from engine.storage.sql import Sql


@dataclass(frozen=True)
class RegionView:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str


SELECT = "SELECT id, code, name, level, parent_id, path FROM region"


def add_region(sql: Sql, code: str, name: str, level: str, parent_id: int | None = None) -> RegionView:
    """Create a region under ``parent_id`` (None for a root). Levels must go downwards."""
    if level not in REGION_LEVELS:
        raise InvalidInput([FieldProblem(["level"], f"unknown level '{level}'; one of {', '.join(REGION_LEVELS)}")])
    parent_path = "/"
    if parent_id is not None:
        parent = get_region(sql, parent_id)
        if REGION_LEVELS.index(level) <= REGION_LEVELS.index(parent.level):
            raise InvalidInput([FieldProblem(["level"], f"a {level} cannot lie under a {parent.level}")])
        parent_path = parent.path
    if sql.scalar("SELECT id FROM region WHERE code = ?", (code,)) is not None:
        raise InvalidInput([FieldProblem(["code"], f"a region with code '{code}' already exists")])
    region_id = sql.insert("INSERT INTO region (code, name, level, parent_id, path) VALUES (?, ?, ?, ?, ?)",
                           (code, name, level, parent_id, "pending"))
    path = f"{parent_path}{region_id}/"
    sql.execute("UPDATE region SET path = ? WHERE id = ?", (path, region_id))
    return RegionView(region_id, code, name, level, parent_id, path)


def get_region(sql: Sql, region_id: int) -> RegionView:
    row = sql.one(SELECT + " WHERE id = ?", (region_id,))
    if row is None:
        raise NotFound(f"region {region_id} does not exist", path=["regionId"])
    return RegionView(*row)


def subtree_bounds(path: str) -> tuple[str, str]:
    """The half-open range ``[low, high)`` of the paths starting with ``path`` (which ends with ``/``; ``0``
    follows ``/``): ``x >= low AND x < high`` is served by an index on ``x`` whatever pony's ``PRAGMA
    case_sensitive_like`` says, where ``x LIKE 'path%'`` makes SQLite's plan depend on that pragma."""
    return path, path[:-1] + "0"


def subtree(sql: Sql, path: str) -> list[RegionView]:
    """The region with this path and every region below it, parents before children."""
    rows = sql.all(SELECT + " WHERE path >= ? AND path < ? ORDER BY length(path), id", subtree_bounds(path))
    return [RegionView(*row) for row in rows]


def by_code(sql: Sql, code: str) -> RegionView:
    row = sql.one(SELECT + " WHERE code = ?", (code,))
    if row is None:
        raise NotFound(f"region '{code}' does not exist", path=["region"])
    return RegionView(*row)
