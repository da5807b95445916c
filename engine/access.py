"""The one read/write rule: which projects an actor reaches, for every check that needs it.

Each role has a scope, set in the workflow files (``roles: {unit: {label: 牵头单位, scope: unit}}``; the plain
``unit: 牵头单位`` form gives the default: ``unit`` → unit, ``resident`` → public, every other role → area):

- ``area``: projects in the actor's region and every region below it;
- ``unit``: within that area, only the projects the actor's unit leads (牵头单位);
- ``public``: projects in states the workflow marks ``public``, in any region, plus those the actor created; the
  history is shown as the public sees it (no names, comments or form fields).

Roles combine by the narrowest: an actor reaches only what *every* one of its roles reaches, so a role never widens
what another role of the same actor is limited to. The one exception is the workflow's explicit grant: a role may
list ``overrides: [other]``, and then ``other``'s limit does not apply to an actor holding both. The anonymous
public and an actor without roles have the public scope. Reads, list pages and roll-ups (``read_scope_sql``),
transitions, edits, plugin writes and subscription filters all ask ``reach``; what an actor may *do* within its
reach is then decided by roles (a transition's ``roles``, a plugin's write rule).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping

from engine.actors import ActorView
from engine.errors import DefinitionProblem, InvalidDefinition
from engine.workflow.model import RoleScope, WorkflowDefinition, default_scope

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.project_rows import ProjectRow

AREA, UNIT, PUBLIC_SCOPE = "area", "unit", "public"


@dataclass(frozen=True)
class Reach:
    """The projects one actor reaches: every condition set here must hold (see the module doc)."""

    region_path: str | None  # only projects under this region path; None: any region
    unit_bound: bool = False  # only projects led by ``unit_id`` (none when it is None)
    unit_id: int | None = None
    published_only: bool = False  # only projects in a public state, or created by ``creator_id``
    creator_id: int | None = None
    limiting_roles: frozenset[str] = frozenset()  # the roles whose scope applies (not lifted by an override)

    @property
    def redacted(self) -> bool:
        """Whether history and events are shown as the public sees them (no names, comments or fields)."""
        return self.published_only

    def covers(self, region_path: str) -> bool:
        """Whether a region (by its path) may be named by this reader: the public scope names any region."""
        return self.region_path is None or region_path.startswith(self.region_path)

    def allows(self, region_path: str, lead_unit_id: int | None, public: bool, created_by: int | None) -> bool:
        """Whether a project with these facts (``public``: its state is published) is within reach."""
        if not self.covers(region_path):
            return False
        if self.unit_bound and (self.unit_id is None or lead_unit_id != self.unit_id):
            return False
        return not self.published_only or public or (self.creator_id is not None and created_by == self.creator_id)


class AccessPolicy:
    """Every role's scope, merged over the workflow files (they must agree)."""

    def __init__(self, roles: Mapping[str, RoleScope] | None = None) -> None:
        self.roles: dict[str, RoleScope] = dict(roles or {})

    @classmethod
    def of(cls, definitions: Iterable[WorkflowDefinition]) -> AccessPolicy:
        """The policy of these files; ``InvalidDefinition`` naming both files when two disagree on a role."""
        seen: dict[str, tuple[RoleScope, WorkflowDefinition]] = {}
        problems: list[DefinitionProblem] = []
        for definition in definitions:
            for role, scope in definition.role_scopes.items():
                if role not in seen:
                    seen[role] = (scope, definition)
                    continue
                first, where = seen[role]
                problems.extend(_disagreement(role, first, where, scope, definition))
        if problems:
            raise InvalidDefinition(problems)
        return cls({role: scope for role, (scope, _) in seen.items()})

    def scope(self, role: str) -> str:
        known = self.roles.get(role)
        return known.scope if known else default_scope(role)

    def reach(self, actor: ActorView) -> Reach:
        """What ``actor`` reaches: the intersection of its roles' scopes, minus those the workflow lifts."""
        lifted = {other for role in actor.roles for other in self._overrides(role) if other in actor.roles}
        limiting = frozenset(actor.roles - lifted) or frozenset(actor.roles)  # a cycle of overrides lifts nothing
        scopes = {self.scope(role) for role in limiting} or {PUBLIC_SCOPE}
        in_area = bool(scopes & {AREA, UNIT}) and actor.region_path is not None
        return Reach(region_path=actor.region_path if in_area else None, unit_bound=UNIT in scopes,
                     unit_id=actor.unit_id, published_only=PUBLIC_SCOPE in scopes, creator_id=actor.id,
                     limiting_roles=limiting)

    def _overrides(self, role: str) -> tuple[str, ...]:
        known = self.roles.get(role)
        return known.overrides if known else ()


def _disagreement(role: str, first: RoleScope, where: WorkflowDefinition, other: RoleScope,
                  definition: WorkflowDefinition) -> list[DefinitionProblem]:
    found = []
    if first.scope != other.scope:
        found.append(f"role '{role}' has scope '{other.scope}' here but scope '{first.scope}' in {where.path} "
                     f"(line {first.line}); a role must have one scope in every workflow file")
    if set(first.overrides) != set(other.overrides):
        found.append(f"role '{role}' overrides [{', '.join(other.overrides)}] here but "
                     f"[{', '.join(first.overrides)}] in {where.path} (line {first.line}); a role must grant the "
                     "same overrides in every workflow file")
    return [DefinitionProblem(definition.path, other.line, message) for message in found]


def reach(engine: Engine, actor: ActorView) -> Reach:
    """What ``actor`` reaches under the engine's loaded workflows."""
    return engine.workflows.access.reach(actor)


def is_public_state(engine: Engine, workflow_id: int, state: str) -> bool:
    return engine.workflows.get(workflow_id).definition.states[state].public


def can_read_fields(engine: Engine, actor: ActorView, workflow_id: int, state: str, region_path: str,
                    lead_unit_id: int | None, created_by: int | None) -> bool:
    """The rule on a project's plain columns (for callers that selected them themselves)."""
    return reach(engine, actor).allows(region_path, lead_unit_id, is_public_state(engine, workflow_id, state),
                                       created_by)


def can_read(engine: Engine, actor: ActorView, row: ProjectRow) -> bool:
    """Whether ``actor`` reaches the project row (to read it, and to act on it as its roles allow)."""
    return can_read_fields(engine, actor, row.workflow_id, row.view.state, row.region_path, row.view.lead_unit_id,
                           row.view.created_by)


def public_states_sql(engine: Engine, alias: str = "") -> tuple[str, list[object]]:
    """A SQL condition (and its parameters) matching projects in published states, for list queries.
    ``alias`` qualifies the columns (``"p"`` gives ``p.workflow_id``, ``p.state``)."""
    prefix = f"{alias}." if alias else ""
    pairs = [(wid, s) for wid, w in engine.workflows.by_id.items() for s in w.definition.public_states()]
    if not pairs:
        return "1 = 0", []
    condition = " OR ".join(f"({prefix}workflow_id = ? AND {prefix}state = ?)" for _ in pairs)
    return f"({condition})", [v for pair in pairs for v in pair]


def read_scope_sql(engine: Engine, actor: ActorView, alias: str = "p") -> tuple[list[str], list[object]]:
    """SQL conditions (and parameters) limiting projects (table alias ``alias``) to what ``actor`` reaches: the
    same rule as ``can_read``, for list pages and roll-ups (the region path range uses its index)."""
    scope = reach(engine, actor)
    conditions: list[str] = []
    params: list[object] = []
    if scope.region_path is not None:
        conditions.append(f"{alias}.region_path LIKE ?")
        params.append(f"{scope.region_path}%")
    if scope.unit_bound:
        if scope.unit_id is None:
            return ["1 = 0"], []
        conditions.append(f"{alias}.lead_unit_id = ?")
        params.append(scope.unit_id)
    if scope.published_only:
        published, published_params = public_states_sql(engine, alias)
        if scope.creator_id is not None:
            published = f"({published} OR {alias}.created_by = ?)"
            published_params = [*published_params, scope.creator_id]
        conditions.append(published)
        params.extend(published_params)
    return conditions or ["1 = 1"], params
