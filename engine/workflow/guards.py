"""Named guards and actions: what a workflow file can refer to. Plugins register them through hooks.

A guard answers whether a transition may happen and, when it may not, why, in words a clerk understands
("funds in place 20% < 30% required"). An action does something inside the transition's database transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterable, Mapping, Sequence

PARAM_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "number": (int, float),
    "string": (str,),
    "bool": (bool,),
    "list": (list, tuple),
    "mapping": (dict,),
}


@dataclass(frozen=True)
class Param:
    """A parameter a guard or action accepts in a workflow file."""

    type: str  # a key of PARAM_TYPES
    required: bool = False
    default: Any = None
    min: float | None = None
    max: float | None = None
    description: str = ""
    check: Callable[[Any], "str | None"] | None = None  # what else is wrong with a value of the right type


@dataclass
class ProjectView:
    """The project as guards, actions and hooks see it (a plain snapshot, never an ORM object)."""

    id: int
    code: str
    title: str
    year: int
    category: str
    region_id: int
    lead_unit_id: int | None
    budget: Any  # decimal.Decimal
    state: str
    version: int
    workflow_name: str
    workflow_version: int
    created_by: int | None = None  # the actor who created the project (its first audit record)


@dataclass
class GuardContext:
    """What a guard or an action is given: the project, the actor, the transition and its submitted fields.

    ``db`` is the pony ``Database`` and ``sql`` an ``engine.storage.sql.Sql`` on the same connection: the guard or action
    runs inside the transition's ``db_session`` and may query (an action may also write). ``preview`` is True when
    the engine is only explaining availability (no fields submitted, nothing will be written). A guard that reads a
    figure of the project reads it through ``load``, so that explaining a whole page costs one query per figure.
    """

    project: ProjectView
    actor: Any  # engine.directory.actors.ActorView
    event: str
    source: str
    dest: str
    fields: Mapping[str, Any]
    db: Any
    now: dt.datetime
    comment: str = ""
    sql: Any = None
    preview: bool = False
    actions: Mapping[str, "ActionSpec"] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    reach: Any = None  # engine.directory.access.Reach of the actor (None when a caller built the context by hand)
    batch: Any = None  # engine.storage.batch.ProjectBatch: the projects explained together (None: this one)

    def load(self, key: Hashable, loader: Callable[[Sequence[int]], Mapping[int, Any]], default: Any = None) -> Any:
        """This project's value from ``loader(ids) -> {project id: value}``, which runs once for every project
        being explained together (a page's ``availableTransitions``), or for this project alone."""
        if self.batch is None:
            return loader([self.project.id]).get(self.project.id, default)
        return self.batch.load(key, loader, self.project.id, default)

    def run_action(self, name: str, **params: Any) -> None:
        """Run another named action (any plugin's) in the same transaction, e.g. a reward after a top grade."""
        spec = self.actions[name]
        problems = check_params(params, spec.params)
        if problems:
            raise ValueError(f"action '{name}': " + "; ".join(problems))
        spec.run(self, **with_defaults(params, spec.params))


GuardCheck = Callable[..., "str | Iterable[str] | None"]
ActionRun = Callable[..., None]


@dataclass(frozen=True)
class GuardSpec:
    """A named guard. ``check(ctx, **params)`` returns ``None`` (or an empty list) when the transition may go
    ahead, otherwise one reason or a list of reasons, each a full sentence for a clerk."""

    name: str
    check: GuardCheck
    params: Mapping[str, Param] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class ActionSpec:
    """A named action. ``run(ctx, **params)`` runs inside the transition's transaction, after the state
    change; raising an exception rolls the whole transition back."""

    name: str
    run: ActionRun
    params: Mapping[str, Param] = field(default_factory=dict)
    description: str = ""


def check_params(params: Mapping[str, Any], spec: Mapping[str, Param]) -> list[str]:
    """Problems with ``params`` for a guard/action whose parameters are ``spec`` (empty list if none)."""
    problems = [f"unknown parameter '{k}'" for k in params if k not in spec]
    for name, p in spec.items():
        if name not in params:
            if p.required:
                problems.append(f"missing required parameter '{name}'")
            continue
        value = params[name]
        if not isinstance(value, PARAM_TYPES[p.type]) or (p.type != "bool" and isinstance(value, bool)):
            problems.append(f"parameter '{name}' must be {p.type}, got {value!r}")
        elif p.min is not None and value < p.min:
            problems.append(f"parameter '{name}' must be at least {p.min}, got {value!r}")
        elif p.max is not None and value > p.max:
            problems.append(f"parameter '{name}' must be at most {p.max}, got {value!r}")
        elif p.check is not None and (problem := p.check(value)):
            problems.append(f"parameter '{name}' {problem}")
    return problems


def with_defaults(params: Mapping[str, Any], spec: Mapping[str, Param]) -> dict[str, Any]:
    merged = {k: p.default for k, p in spec.items() if p.default is not None}
    merged.update(params)
    return merged


def reasons_of(result: str | Iterable[str] | None) -> list[str]:
    """Normalise what a guard returned to a list of reasons."""
    if not result:
        return []
    if isinstance(result, str):
        return [result]
    return [r for r in result if r]
