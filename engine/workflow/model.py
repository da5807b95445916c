"""What a workflow file becomes once loaded and validated. Plain frozen data; no behaviour."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIELD_TYPES = ("text", "string", "int", "decimal", "date", "enum", "bool")

# How far a role reaches over projects (see ``engine.directory.access``): ``area`` its region and below, ``unit`` the
# projects its unit leads within that area, ``public`` published states only plus what the actor created.
SCOPES = ("area", "unit", "public")
DEFAULT_SCOPES = {"unit": "unit", "resident": "public"}  # every other role: area


def default_scope(role: str) -> str:
    return DEFAULT_SCOPES.get(role, "area")

# A transition whose ``to`` is RETURN goes back to the state the project was in before it entered the
# current one (e.g. 暂缓 suspended → resumed to where it was; 整改 rectification → back to acceptance).
RETURN = "@return"
# A transition whose ``to`` is STAY keeps the project where it is (动态调整 changes content, not stage): it is
# audited and its ``sets`` applied, and the state the project came from is kept for a later ``@return``.
STAY = "@stay"
# The project attributes a transition may write from its fields (``sets: {budget: new_budget}``), with the field
# types that may feed each one.
SETTABLE = {"title": ("string", "enum"), "category": ("string", "enum"), "budget": ("decimal", "int"),
            "description": ("text", "string"), "target": ("string", "enum"), "planned_start": ("date",),
            "planned_end": ("date",)}


@dataclass(frozen=True)
class FieldSpec:
    """A form field a transition captures."""

    name: str
    type: str  # one of FIELD_TYPES
    label: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()  # for enum
    min: float | None = None  # for int / decimal
    max: float | None = None
    max_length: int | None = None  # for string / text


@dataclass(frozen=True)
class NamedRef:
    """A guard or action by the name a plugin registered, with the parameters the file gives it."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class RoleScope:
    """A role's scope as a workflow file gives it (or the default), and the roles whose narrower scope it lifts
    for an actor holding both (``overrides``: the workflow's explicit grant)."""

    scope: str
    overrides: tuple[str, ...] = ()
    line: int = 0


# The project date fields a state's deadline may name (``deadline: planned_end``).
DEADLINE_FIELDS = ("planned_start", "planned_end")
# What a project's current progress is (``progress:`` at the top of a workflow file): the latest progress report's
# percent (the default), or the weighted share of its measures done (措施/节点完成占比).
PROGRESS_SOURCES = ("reports", "measures")
# Whom a supervision step addresses besides a role of the project's region: its responsible (lead) unit.
LEAD_UNIT = "lead_unit"


@dataclass(frozen=True)
class Deadline:
    """When a project must leave a state: a project date ``field``, or ``duration`` text after entering it
    (``"30 days"``, ``"10 working days"``, parsed by ``engine.workflow.durations``)."""

    field: str | None = None
    duration: str | None = None
    line: int = 0


@dataclass(frozen=True)
class LadderStep:
    """One rung of an escalation ladder (督办): ``when`` is before/at/after the deadline by ``offset`` (duration
    text, ``""`` for ``at``); ``to`` is ``lead_unit`` or a role name (that role in the project's region)."""

    step: str
    when: str  # before | at | after
    offset: str
    to: str = LEAD_UNIT
    label: str = ""
    line: int = 0


@dataclass(frozen=True)
class Supervision:
    """The workflow's escalation policy: the default ladder, and the ladder for rectification (整改) deadlines
    (empty: rectifications are not supervised)."""

    ladder: tuple[LadderStep, ...] = ()
    rectifications: tuple[LadderStep, ...] = ()
    measures: tuple[LadderStep, ...] = ()  # measures' and milestones' (措施/节点) due dates; empty: not supervised


@dataclass(frozen=True)
class State:
    name: str
    label: str
    final: bool = False
    editable: bool = False  # project details may be edited in this state
    public: bool = False  # projects in this state are published: the public (no token) may read them
    description: str = ""
    stops_clock: bool = False  # the schedule's clock stops here (暂缓): 序时进度 leaves these days out
    done: bool = False  # the work is done (完工): 序时进度 shows the scheme's completed colour; counts as started
    planned: bool = False  # on the year's list (列入计划): the denominator of 完成率 and 开工率
    started: bool = False  # work has started (开工): counts as planned; the numerator of 开工率
    deadline: Deadline | None = None  # supervised by ``ladder`` (or the workflow's default ladder)
    ladder: tuple[LadderStep, ...] = ()
    records: tuple[str, ...] = ()  # a final state: the plugin record kinds it still takes (engine.chain)


@dataclass(frozen=True)
class Transition:
    event: str
    label: str
    sources: tuple[str, ...]
    dest: str  # a state name, RETURN or STAY
    roles: tuple[str, ...]
    fields: tuple[FieldSpec, ...] = ()
    guards: tuple[NamedRef, ...] = ()
    actions: tuple[NamedRef, ...] = ()
    line: int = 0
    sets: tuple[tuple[str, str], ...] = ()  # (project attribute, field) pairs written by the transition

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    version: int
    label: str
    initial: str
    states: dict[str, State]
    transitions: tuple[Transition, ...]
    roles: dict[str, str]  # role name -> label
    create_roles: tuple[str, ...] = ()  # who may create projects on this workflow (default: who acts on initial)
    source: str = ""  # the file's text, as loaded
    path: str = ""
    checksum: str = ""  # sha256 of ``source``
    role_scopes: dict[str, RoleScope] = field(default_factory=dict)  # every declared role, defaults filled in
    supervision: Supervision = Supervision()
    public_attachments: tuple[str, ...] = ()  # record kinds whose evidence files the public sees (published projects)
    progress: str = "reports"  # what Project.progress reports: the latest progress report, or the measures done

    def ladder_of(self, state: str) -> tuple[LadderStep, ...]:
        """The escalation ladder supervising ``state``'s deadline: the state's own, else the workflow's."""
        return self.states[state].ladder or self.supervision.ladder

    def transitions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def find(self, state: str, event: str) -> Transition | None:
        return next((t for t in self.transitions if t.event == event and state in t.sources), None)

    def has_event(self, event: str) -> bool:
        return any(t.event == event for t in self.transitions)

    def editable_states(self) -> list[str]:
        return [s.name for s in self.states.values() if s.editable]

    def public_states(self) -> list[str]:
        return [s.name for s in self.states.values() if s.public]

    def roles_acting_in(self, state: str) -> set[str]:
        """Roles that may fire some transition from ``state``: they may also edit the project there."""
        return {role for t in self.transitions_from(state) for role in t.roles}

    def creators(self) -> set[str]:
        return set(self.create_roles) or self.roles_acting_in(self.initial)
