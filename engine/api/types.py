"""GraphQL object types of the core that carry no resolvers of their own: regions, units, workflows, states."""
from __future__ import annotations

import datetime as dt
from typing import Optional

import strawberry

from engine.api.ids import to_global_id
from engine.api.shape import cost_hint
from engine.directory.regions import RegionView
from engine.workflow.diagram import mermaid
from engine.workflow.model import FieldSpec, WorkflowDefinition


@strawberry.interface(description="An object with a global id, fetchable with node(id).")
class Node:
    id: strawberry.ID


@strawberry.type(description="A region: province 省, city 市, county 县区, town 乡镇街道, village 村社区.")
class Region(Node):
    database_id: int
    code: str
    name: str
    level: str
    parent_id: Optional[strawberry.ID]
    children: list["Region"] = strawberry.field(default_factory=list, description="Regions directly below.",
                                                metadata=cost_hint(2))

    @classmethod
    def of(cls, view: RegionView) -> "Region":
        parent = strawberry.ID(to_global_id("Region", view.parent_id)) if view.parent_id else None
        return cls(id=strawberry.ID(to_global_id("Region", view.id)), database_id=view.id, code=view.code,
                   name=view.name, level=view.level, parent_id=parent)


@strawberry.type(description="A unit (department) 单位, e.g. the county education bureau.")
class Unit(Node):
    database_id: int
    code: str
    name: str
    region_id: strawberry.ID

    @classmethod
    def of(cls, unit_id: int, code: str, name: str, region_id: int) -> "Unit":
        return cls(id=strawberry.ID(to_global_id("Unit", unit_id)), database_id=unit_id, code=code, name=name,
                   region_id=strawberry.ID(to_global_id("Region", region_id)))


@strawberry.type(description="A workflow state with its label from the workflow file.")
class State:
    name: str
    label: str
    final: bool = False
    editable: bool = False
    public: bool = False


@strawberry.type(description="A form field a transition asks for.")
class FormField:
    name: str
    type: str = strawberry.field(description="text, string, int, decimal, date, enum or bool")
    label: str
    required: bool
    choices: list[str]
    min: Optional[float] = None
    max: Optional[float] = None

    @classmethod
    def of(cls, spec: FieldSpec) -> "FormField":
        return cls(name=spec.name, type=spec.type, label=spec.label or spec.name, required=spec.required,
                   choices=list(spec.choices), min=spec.min, max=spec.max)


@strawberry.type(description="A named guard or action with its parameters, as the workflow file gives them.")
class NamedStep:
    name: str
    params: strawberry.scalars.JSON


@strawberry.type(description="A transition of a workflow definition.")
class WorkflowTransition:
    event: str
    label: str
    sources: list[str]
    to: str = strawberry.field(description="A state name; @return: back to where the project was; @stay: where it "
                                           "is (the transition changes content, not the stage).")
    roles: list[str]
    fields: list[FormField]
    guards: list[NamedStep]
    actions: list[NamedStep]


@strawberry.type(description="A workflow definition version.")
class Workflow:
    name: str
    version: int
    label: str
    initial: str
    states: list[State]
    transitions: list[WorkflowTransition]
    roles: strawberry.scalars.JSON = strawberry.field(description="Role name → label.")
    mermaid: str = strawberry.field(description="A Mermaid stateDiagram-v2 of the workflow.")
    status: str = strawberry.field(default="active", description="active: new projects of this name get this "
                                   "version 现行; superseded: an older version, kept for the projects on it.")
    project_count: int = strawberry.field(default=0, description="Projects on this version that you can read.")

    @classmethod
    def of(cls, d: WorkflowDefinition, status: str = "active", project_count: int = 0) -> "Workflow":
        states = [State(name=s.name, label=s.label, final=s.final, editable=s.editable, public=s.public)
                  for s in d.states.values()]
        transitions = [WorkflowTransition(
            event=t.event, label=t.label, sources=list(t.sources), to=t.dest, roles=list(t.roles),
            fields=[FormField.of(f) for f in t.fields],
            guards=[NamedStep(name=g.name, params=dict(g.params)) for g in t.guards],
            actions=[NamedStep(name=a.name, params=dict(a.params)) for a in t.actions]) for t in d.transitions]
        return cls(name=d.name, version=d.version, label=d.label, initial=d.initial, states=states,
                   transitions=transitions, roles=dict(d.roles), mermaid=mermaid(d), status=status,
                   project_count=project_count)


@strawberry.type(description="One record of a project's audit log 审计记录.")
class HistoryEntry:
    seq: int
    kind: str = strawberry.field(description="create, transition, edit, progress (a progress report 进度报告), "
                                             "notice (a supervision notice 督办单), migrate (moved to another "
                                             "workflow version), a plugin's record kind (funding 资金, inspection "
                                             "视察/整改, rating 满意度测评) or correction (冲正: the reversal of a "
                                             "plugin record)")
    event: str
    from_state: Optional[str]
    to_state: str
    actor_name: Optional[str] = strawberry.field(description="Who did it; null for the public.")
    at: dt.datetime
    fields: Optional[strawberry.scalars.JSON] = strawberry.field(
        description="The submitted form fields (an edit: {detail: [old, new]}); null for the public.")
    comment: Optional[str] = strawberry.field(description="null for the public.")
    hash: str


@strawberry.type(description="A transition the current actor might fire now, and if not, every reason why.")
class TransitionOption:
    event: str
    label: str
    to: str
    allowed: bool
    reasons: list[str]
    fields: list[FormField]


@strawberry.type(description="Who is calling.")
class Me:
    username: str
    name: str
    roles: list[str]
    region: Optional[Region]
    unit_id: Optional[strawberry.ID]
    is_public: bool
