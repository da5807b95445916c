"""The administrator's mutations: regions, units and actors, and a region's own workflow
(``engine.directory.management``).

Only an actor with the ``admin`` role may call them (FORBIDDEN for anyone else, the public included); an
administrator reaches its own region and everything below it, and a region, unit or actor elsewhere answers
NOT_FOUND exactly like a missing one. Regions, units and actors are named by their codes and usernames, as on the
command line. Every change is logged (``adminLog``); a new or rotated token is in the answer once and nowhere else.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import strawberry
from strawberry.types import Info

from engine.api.context import RequestContext
from engine.api.errors import UserError, payload
from engine.api.mutations import PUBLIC_REFUSAL
from engine.api.types import Region, Unit
from engine.directory import management
from engine.directory.regions import RegionView
from engine.errors import Forbidden

@strawberry.type
class RegionPayload:
    region: Optional[Region] = None
    workflow: Optional[str] = strawberry.field(default=None, description="The workflow the region names itself.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UnitPayload:
    unit: Optional[Unit] = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ActorPayload:
    username: Optional[str] = None
    token: Optional[str] = strawberry.field(default=None, description="The new bearer token: shown this once only.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="One change an administrator (or the command line) made to the directory.")
class AdminLogEntry:
    at: str
    actor_name: str
    action: str
    subject: str
    details: strawberry.scalars.JSON


@strawberry.input
class CreateRegionInput:
    code: str
    name: str
    level: str = strawberry.field(description="province, city, county, town or village")
    parent: str = strawberry.field(description="The parent region's code (one of yours).")


@strawberry.input
class RenameInput:
    code: str
    name: str


@strawberry.input
class SetRegionWorkflowInput:
    code: str
    workflow: Optional[str] = strawberry.field(default=None, description="null: inherit from the regions above.")


@strawberry.input
class CreateUnitInput:
    code: str
    name: str
    region: str = strawberry.field(description="The region's code.")


@strawberry.input
class MoveUnitInput:
    code: str
    region: str


@strawberry.input
class CreateActorInput:
    username: str
    name: str
    roles: list[str]
    region: str = strawberry.field(description="The home region's code.")
    unit: Optional[str] = strawberry.field(default=None, description="The unit's code, for unit clerks.")


@strawberry.input
class ActorInput:
    username: str


def _by(info: Info) -> Any:
    ctx: RequestContext = info.context
    if ctx.actor.is_public:
        raise Forbidden(PUBLIC_REFUSAL)
    return ctx.actor


def _run(cls: type, work: Callable[[], dict[str, Any]]) -> Any:
    return payload(cls, work)


def _region(view: RegionView, workflow: str | None = None) -> dict[str, Any]:
    return {"region": Region.of(view), "workflow": workflow}


def _unit(view: management.UnitView) -> dict[str, Any]:
    return {"unit": Unit.of(view.id, view.code, view.name, view.region_id)}


@strawberry.type
class AdminMutation:
    @strawberry.mutation(description="Create a region under one of yours (admin).")
    def create_region(self, info: Info, input: CreateRegionInput) -> RegionPayload:
        return _run(RegionPayload, lambda: _region(management.create_region(
            info.context.engine, _by(info), input.code, input.name, input.level, input.parent)))

    @strawberry.mutation(description="Rename a region (admin).")
    def rename_region(self, info: Info, input: RenameInput) -> RegionPayload:
        return _run(RegionPayload, lambda: _region(management.rename_region(
            info.context.engine, _by(info), input.code, input.name)))

    @strawberry.mutation(description="Name the workflow new projects of a region and the regions below it get "
                                     "(admin); createProject without a workflow uses it.")
    def set_region_workflow(self, info: Info, input: SetRegionWorkflowInput) -> RegionPayload:
        return _run(RegionPayload, lambda: _region(management.set_region_workflow(
            info.context.engine, _by(info), input.code, input.workflow), input.workflow))

    @strawberry.mutation(description="Create a unit (department) in one of your regions (admin).")
    def create_unit(self, info: Info, input: CreateUnitInput) -> UnitPayload:
        return _run(UnitPayload, lambda: _unit(management.create_unit(
            info.context.engine, _by(info), input.code, input.name, input.region)))

    @strawberry.mutation(description="Rename a unit (admin).")
    def rename_unit(self, info: Info, input: RenameInput) -> UnitPayload:
        return _run(UnitPayload, lambda: _unit(management.rename_unit(
            info.context.engine, _by(info), input.code, input.name)))

    @strawberry.mutation(description="Move a unit to another of your regions (admin); its projects stay put.")
    def move_unit(self, info: Info, input: MoveUnitInput) -> UnitPayload:
        return _run(UnitPayload, lambda: _unit(management.move_unit(
            info.context.engine, _by(info), input.code, input.region)))

    @strawberry.mutation(description="Create an actor in one of your regions (admin); the answer holds its token.")
    def create_actor(self, info: Info, input: CreateActorInput) -> ActorPayload:
        def work() -> dict[str, Any]:
            _, token = management.create_actor(info.context.engine, _by(info), input.username, input.name,
                                               input.roles, input.region, input.unit)
            return {"username": input.username, "token": token}
        return _run(ActorPayload, work)

    @strawberry.mutation(description="Disable an actor (admin): its token stops working at once.")
    def disable_actor(self, info: Info, input: ActorInput) -> ActorPayload:
        def work() -> dict[str, Any]:
            management.disable_actor(info.context.engine, _by(info), input.username)
            return {"username": input.username}
        return _run(ActorPayload, work)

    @strawberry.mutation(description="Issue an actor a new token (admin); the old one stops working at once.")
    def rotate_token(self, info: Info, input: ActorInput) -> ActorPayload:
        return _run(ActorPayload, lambda: {"username": input.username, "token": management.rotate_token(
            info.context.engine, _by(info), input.username)})


@strawberry.type
class AdminQuery:
    @strawberry.field(description="The newest changes to regions, units and actors in your area (admin only; "
                                  "an empty list for anyone else).")
    def admin_log(self, info: Info, first: int = 50) -> list[AdminLogEntry]:
        ctx: RequestContext = info.context
        if ctx.actor.is_public or management.ADMIN not in ctx.actor.roles:
            return []
        return [AdminLogEntry(at=r.at.isoformat() if hasattr(r.at, "isoformat") else str(r.at),
                              actor_name=r.actor_name, action=r.action, subject=r.subject, details=r.details)
                for r in management.admin_records(ctx.engine, ctx.actor, first)]
