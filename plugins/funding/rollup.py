"""Funding roll-ups 资金汇总 over a region (and every region below it) and a year, and one project's funding as
a reader may see it. A roll-up counts only projects its reader may read: the public, published projects; a lead
unit's clerk, its unit's projects. Nobody sees payees or document numbers here.
Where the reader counts every project of the region (an office, finance), the roll-up reads the maintained
aggregates (``project_tally`` and ``funding_tally``): a handful of rows however many projects there are."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from pony import orm

from engine.directory.actors import ActorView
from engine.dashboard.tallied import project_count_and_budget
from engine.directory.access import reach, read_scope_sql
from engine.api.access import readable_project, readable_region
from engine.errors import FieldProblem, InvalidInput
from engine.storage.sql import Sql, to_decimal
from plugins.funding.figures import FundingFigures, figures, project_figures, tallied_figures
from plugins.funding.money import yuan

if TYPE_CHECKING:
    from engine.core import Engine


@dataclass(frozen=True)
class Rollup:
    """The funding figures of every project of a region's area (in a year, if given) the reader may count."""

    region_id: int
    region_name: str
    year: int | None
    project_count: int
    budget: Decimal  # 预算 of the counted projects, yuan
    figures: FundingFigures


@dataclass(frozen=True)
class Scope:
    """Which projects a roll-up counts: a SQL condition on ``project p`` and its parameters."""

    condition: str
    params: list[object]


def rollup(engine: Engine, actor: ActorView, region_id: int | None = None, year: int | None = None) -> Rollup:
    """Roll the funding figures up over ``region_id`` (default: the actor's home region) and ``year``."""
    with orm.db_session:
        sql = Sql(engine.db)
        region_id, name, path = _region(engine, sql, actor, region_id)
        if _whole_region(engine, actor):
            count, budget_fen = project_count_and_budget(sql, path, year)
            return Rollup(region_id, name, year, count, yuan(budget_fen), tallied_figures(sql, path, year))
        scope = rollup_scope(engine, actor, path, year)
        count, budget = sql.one(f"SELECT COUNT(*), COALESCE(SUM(p.budget), 0) FROM project p"
                                f" WHERE {scope.condition}", scope.params)
        return Rollup(region_id, name, year, int(count), to_decimal(budget),
                      figures(sql, scope.condition, scope.params))


def _whole_region(engine: Engine, actor: ActorView) -> bool:
    """Whether the actor counts every project of a region it may name (then the maintained aggregates answer):
    not a unit's clerk (its unit's projects only), not the public (published projects only)."""
    found = reach(engine, actor)
    return not found.unit_bound and not found.published_only


def rollup_scope(engine: Engine, actor: ActorView, region_path: str, year: int | None) -> Scope:
    """The projects under ``region_path`` (in ``year``) that ``actor`` may read: for the public only those in
    published states, for a lead unit's clerk only its unit's projects."""
    conditions, params = read_scope_sql(engine, actor, "p")
    conditions, params = [*conditions, "p.region_path LIKE ?"], [*params, region_path + "%"]
    if year is not None:
        conditions, params = [*conditions, "p.year = ?"], [*params, year]
    return Scope(" AND ".join(conditions), params)


def _region(engine: Engine, sql: Sql, actor: ActorView, region_id: int | None) -> tuple[int, str, str]:
    if region_id is None:
        if actor.is_public or actor.region_id is None:
            raise InvalidInput([FieldProblem(["region"], "name the region to roll up (the public has no home "
                                                         "region)")])
        region_id = actor.region_id
    region = readable_region(engine, sql, actor, region_id)
    return region.id, region.name, region.path


def project_funding(engine: Engine, actor: ActorView, project_id: int) -> FundingFigures:
    """One project's figures, if ``actor`` may read the project (``NotFound`` otherwise)."""
    with orm.db_session:
        sql = Sql(engine.db)
        readable_project(engine, sql, actor, project_id)
        return project_figures(sql, project_id)
