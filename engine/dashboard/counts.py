"""Counts by state and the official rates: 完成率 = completed / planned, 开工率 = started / planned.

What counts comes from the workflow files, never from state names: a state marked ``done`` is completed, one
marked ``started`` (or ``done``) has started, one marked ``planned`` (or either of the others) is planned — on the
year's list. A state the workflow leaves by ``to: "@return"`` (整改, 暂缓) counts as the state the project came
from (its ``previous_state``): a project sent back to 整改 after 回头看 is still completed, one suspended before
work began is still only planned. Other states count in no rate: candidates (征集, 评估), 未通过, and 终止 — a
project taken off the list by the committee (动态调整) leaves the denominator, which is why 1,528 of the 1,530
projects after adjustment is 99.87%.

Every count of a scope comes from ONE aggregate query (grouped by state, and by the scope's group when set), or
from the maintained aggregates when the scope is a whole region and year (``engine.dashboard.tallied``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.dashboard.figures import Figure, FigureSet, percent
from engine.dashboard.scope import FigureScope
from engine.workflow.model import RETURN, State, WorkflowDefinition

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.sql import Sql

NONE, PLANNED, STARTED, COMPLETED = 0, 1, 2, 3  # each stage counts in those below it too
QUERY = ("SELECT {key}, p.workflow_id, p.state, p.previous_state, COUNT(*) FROM project p WHERE {where} "
         "GROUP BY {key}, p.workflow_id, p.state, p.previous_state")


def stage_of(state: State) -> int:
    if state.done:
        return COMPLETED
    if state.started:
        return STARTED
    return PLANNED if state.planned else NONE


_RETURNING: dict[tuple[str, int, str], frozenset[str]] = {}


def _returning(definition: WorkflowDefinition) -> frozenset[str]:
    """States left by a ``@return`` transition (kept per workflow version: definitions are immutable)."""
    key = (definition.name, definition.version, definition.checksum)
    if key not in _RETURNING:
        _RETURNING[key] = frozenset(s for t in definition.transitions if t.dest == RETURN for s in t.sources)
    return _RETURNING[key]


def stage(definition: WorkflowDefinition, state: str, previous: str | None) -> int:
    """How far a project in ``state`` (having come from ``previous``) counts: NONE … COMPLETED."""
    if state in _returning(definition) and previous in definition.states and previous != state:
        return stage_of(definition.states[previous])
    known = definition.states.get(state)
    return NONE if known is None else stage_of(known)


@dataclass(frozen=True)
class StateCount:
    workflow: str
    state: str
    label: str
    count: int


@dataclass
class Counts:
    """Projects of a scope (or of one group of it) by state, and the planned / started / completed counts."""

    total: int = 0
    planned: int = 0
    started: int = 0
    completed: int = 0
    states: dict[tuple[str, str], int] = field(default_factory=dict)  # (workflow name, state) → projects

    @property
    def completion_rate(self) -> Any:
        """完成率, percent with two places; None without planned projects."""
        return percent(self.completed, self.planned)

    @property
    def start_rate(self) -> Any:
        """开工率, percent with two places; None without planned projects."""
        return percent(self.started, self.planned)

    def add(self, workflow: str, state: str, level: int, count: int) -> None:
        self.total += count
        self.states[(workflow, state)] = self.states.get((workflow, state), 0) + count
        self.planned += count if level >= PLANNED else 0
        self.started += count if level >= STARTED else 0
        self.completed += count if level >= COMPLETED else 0

    def figure_set(self, key: Any = None) -> FigureSet:
        """The counts as the ``core`` figure set (what the ranking rules name ``core.completion_rate`` …)."""
        return FigureSet("core", "项目", (
            Figure("projects", "项目数", self.total, "项"), Figure("planned", "计划项目", self.planned, "项"),
            Figure("started", "已开工", self.started, "项"), Figure("completed", "已完成", self.completed, "项"),
            Figure("completion_rate", "完成率", self.completion_rate, "%"),
            Figure("start_rate", "开工率", self.start_rate, "%")), key=key)


def count(engine: Engine, sql: Sql, scope: FigureScope) -> dict[Any, Counts]:
    """The scope's counts, one ``Counts`` per value of ``scope.group`` (key ``0`` when not grouped); from the
    maintained aggregates when the scope allows."""
    if scope.maintained:
        from engine.dashboard import tallied

        return {0: tallied.counts(engine, sql, scope.tally_path, scope.year)}
    found: dict[Any, Counts] = {}
    for key, workflow_id, state, previous, n in sql.all(QUERY.format(key=scope.key, where=scope.where),
                                                        scope.params):
        definition = engine.workflows.get(workflow_id).definition
        found.setdefault(key, Counts()).add(definition.name, state, stage(definition, state, previous), int(n))
    return found


def state_counts(engine: Engine, counts: Counts) -> list[StateCount]:
    """``counts.states`` with their labels (from the newest loaded version of the workflow that has the state),
    in the order of the workflow file's states."""
    versions = sorted((w.definition for w in engine.workflows.by_id.values()), key=lambda d: -d.version)

    def newest(workflow: str, state: str) -> tuple[int, str]:
        for d in versions:
            if d.name == workflow and state in d.states:
                return list(d.states).index(state), d.states[state].label
        return len(versions), state

    ordered = sorted(counts.states.items(), key=lambda item: (item[0][0], newest(*item[0])[0], item[0][1]))
    return [StateCount(workflow, state, newest(workflow, state)[1], n) for (workflow, state), n in ordered]
