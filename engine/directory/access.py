"""The one read/write rule: which projects an actor reaches, for every check that needs it.

Each role has a scope, set in the workflow files (``roles: {unit: {label: 牵头单位, scope: unit}}``; the plain
``unit: 牵头单位`` form gives the default: ``unit`` → unit, ``resident`` → public, every other role → area):

- ``area``: projects in the actor's region and every region below it;
- ``unit``: within that area, only the projects the actor's unit leads (牵头单位) or cooperates on (配合单位,
  the project's ``project_unit`` rows);
- ``public``: projects in states the workflow marks ``public``, in any region, plus those the actor created; the
  history is shown as the public sees it (no names, comments or form fields).

Roles combine by the narrowest: an actor reaches only what *every* one of its roles reaches, so a role never widens
what another role of the same actor is limited to. The one exception is the workflow's explicit grant: a role may
list ``overrides: [other]``, and then ``other``'s limit does not apply to an actor holding both. The anonymous
public and an actor without roles have the public scope. Reads, list pages and roll-ups (``read_scope_sql``),
transitions, edits, plugin writes and subscription filters all ask ``reach``; what an actor may *do* within its
reach is then decided by roles (a transition's ``roles``, a plugin's write rule).

A cooperating unit reads a project but does not run it: transitions, edits and the plugins' writes use
``can_act``, the same rule with cooperating units left out, so only the lead unit's clerks act there. A plugin
may let a cooperating unit write its own records (the schedule plugin: a measure the unit is responsible for) by
locating the project with ``engine.transition.locate(..., cooperating=True)`` and checking the record itself.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.directory.actors import ActorView
from engine.directory.regions import subtree_bounds
from engine.workflow.scopes import AREA, PUBLIC_SCOPE, UNIT, AccessPolicy, Reach

__all__ = ["AREA", "PUBLIC_SCOPE", "UNIT", "AccessPolicy", "Reach", "can_act", "can_read", "can_read_fields",
           "is_public_state", "public_states_sql", "reach", "reach_scope_sql", "read_scope_sql"]

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.project_rows import ProjectRow

def reach(engine: Engine, actor: ActorView) -> Reach:
    """What ``actor`` reaches under the engine's loaded workflows."""
    return engine.workflows.access.reach(actor)


def is_public_state(engine: Engine, workflow_id: int, state: str) -> bool:
    return engine.workflows.get(workflow_id).definition.states[state].public


def can_read_fields(engine: Engine, actor: ActorView, workflow_id: int, state: str, region_path: str,
                    lead_unit_id: int | None, created_by: int | None,
                    cooperating: frozenset[int] = frozenset()) -> bool:
    """The rule on a project's plain columns (for callers that selected them themselves); ``cooperating``: the
    project's cooperating units, needed only when the actor is unit-bound and its unit does not lead."""
    return reach(engine, actor).allows(region_path, lead_unit_id, is_public_state(engine, workflow_id, state),
                                       created_by, cooperating)


def can_read(engine: Engine, actor: ActorView, row: ProjectRow) -> bool:
    """Whether ``actor`` reaches the project row to read it (a cooperating unit's clerk included)."""
    return can_read_fields(engine, actor, row.workflow_id, row.view.state, row.region_path, row.view.lead_unit_id,
                           row.view.created_by, row.cooperating_unit_ids)


def can_act(engine: Engine, actor: ActorView, row: ProjectRow) -> bool:
    """Whether ``actor`` reaches the project row to act on it as its roles allow: the read rule without the
    cooperating units, so a unit clerk acts only on projects its unit leads."""
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


def read_scope_sql(engine: Engine, actor: ActorView, alias: str = "p",
                   within: str | None = None) -> tuple[list[str], list[object]]:
    """SQL conditions (and parameters) limiting projects (table alias ``alias``) to what ``actor`` reaches: the
    same rule as ``can_read``, for list pages and roll-ups. The region subtree is a half-open range on
    ``region_path`` (``regions.subtree_bounds``), served by the ``(region_path, id)`` index in the order list
    pages walk. ``within``: a region path the caller narrows to (a filter), merged into the one range."""
    return reach_scope_sql(engine, reach(engine, actor), alias, within)


def reach_scope_sql(engine: Engine, scope: Reach, alias: str = "p",
                    within: str | None = None) -> tuple[list[str], list[object]]:
    """``read_scope_sql`` for a reach already computed (or narrowed by the caller, e.g. to published projects
    only for a public figure). The region is one range, the narrower of the reach's area and ``within``: two
    ranges on one column would let the planner walk the wider one (a province's projects for a town's page)."""
    conditions: list[str] = []
    params: list[object] = []
    path = scope.region_path
    if within is not None:
        if path is None or within.startswith(path):
            path = within
        elif not path.startswith(within):
            return ["1 = 0"], []  # the region lies outside the area
    if path is not None:
        conditions.append(f"{alias}.region_path >= ? AND {alias}.region_path < ?")
        params.extend(subtree_bounds(path))
    if scope.unit_bound:
        if scope.unit_id is None:
            return ["1 = 0"], []
        conditions.append(f"({alias}.lead_unit_id = ? OR {alias}.id IN"
                          " (SELECT project_id FROM project_unit WHERE unit_id = ?))")
        params.extend([scope.unit_id, scope.unit_id])
    if scope.published_only:
        published, published_params = public_states_sql(engine, alias)
        if scope.creator_id is not None:
            published = f"({published} OR {alias}.created_by = ?)"
            published_params = [*published_params, scope.creator_id]
        conditions.append(published)
        params.extend(published_params)
    return conditions or ["1 = 1"], params
