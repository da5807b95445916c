"""The dashboard's counts read from the maintained aggregates (``engine.storage.tally.PROJECTS``) instead of
every project row: a province's figures are a few hundred rows whatever the number of projects. Used when the
scope allows (``FigureScope.maintained``); the figures are exactly those of ``counts.count`` (a test compares
them), including 整改 and 暂缓 counted by the previous state."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

from engine.dashboard.counts import Counts, stage
from engine.storage.tally import NO_UNIT, PROJECTS, read

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.sql import Sql


def _fold(engine: Engine, rows: Iterable[Sequence[Any]]) -> dict[Any, Counts]:
    """``(group, workflow_id, state, previous_state, n, budget_fen)`` rows as ``Counts`` per group."""
    found: dict[Any, Counts] = {}
    for group, workflow_id, state, previous, n, _budget in rows:
        definition = engine.workflows.get(workflow_id).definition
        found.setdefault(group, Counts()).add(definition.name, state, stage(definition, state, previous or None),
                                              int(n))
    return found


def counts(engine: Engine, sql: Sql, path: str, year: int | None) -> Counts:
    """The counts of the region ``path``'s whole subtree in ``year``."""
    return _fold(engine, read(sql, PROJECTS, [path], year)).get(path) or Counts()


def region_counts(engine: Engine, sql: Sql, path: str, children: Sequence[str], year: int | None) -> dict[str, Counts]:
    """Each child region's counts (its whole subtree) by the child's path, and the region's own projects' (本级)
    under ``path``."""
    found = _fold(engine, read(sql, PROJECTS, children, year))
    own = _fold(engine, read(sql, PROJECTS, [path], year, own=True))
    if path in own:
        found[path] = own[path]
    return found


def unit_counts(engine: Engine, sql: Sql, path: str, year: int | None) -> dict[int | None, Counts]:
    """The counts of the region's subtree per lead unit (``None``: projects without one)."""
    rows = read(sql, PROJECTS, [path], year, by_unit=True)
    return _fold(engine, ((None if unit == NO_UNIT else unit, *rest) for _path, unit, *rest in rows))


def project_count_and_budget(sql: Sql, path: str, year: int | None) -> tuple[int, int]:
    """How many projects the region's subtree holds in ``year`` (every year when None) and their budgets in fen."""
    rows = read(sql, PROJECTS, [path], year)
    return sum(int(r[4]) for r in rows), sum(int(r[5]) for r in rows)
