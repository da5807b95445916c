"""Role scopes from the workflow files, and what one actor reaches by them (the rule itself: ``engine.directory.access``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from engine.directory.actors import ActorView
from engine.errors import DefinitionProblem, InvalidDefinition
from engine.workflow.model import RoleScope, WorkflowDefinition, default_scope

AREA, UNIT, PUBLIC_SCOPE = "area", "unit", "public"


@dataclass(frozen=True)
class Reach:
    """The projects one actor reaches: every condition set here must hold (see the module doc)."""

    region_path: str | None  # only projects under this region path; None: any region
    unit_bound: bool = False  # only projects ``unit_id`` leads or cooperates on (none when it is None)
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

    def allows(self, region_path: str, lead_unit_id: int | None, public: bool, created_by: int | None,
               cooperating: frozenset[int] = frozenset()) -> bool:
        """Whether a project with these facts (``public``: its state is published; ``cooperating``: the units
        it names 配合单位, which a unit-bound actor's unit may be one of) is within reach."""
        if not self.covers(region_path):
            return False
        if self.unit_bound and (self.unit_id is None or (lead_unit_id != self.unit_id
                                                         and self.unit_id not in cooperating)):
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
