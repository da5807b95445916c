"""``migrateWorkflow``: the migration plan of ``minsheng workflow migrate`` (``engine.version_migration``) over
the API, for administrators (role ``admin``) only — anyone else, the public included, is FORBIDDEN. It moves only
the projects the administrator reaches (the one access rule). A plan problem is a ``userErrors`` entry at
``["plan"]`` whose message names the plan's line (``plan:4: state 'x' does not exist in …``).
"""
from __future__ import annotations

import time
from typing import Any, Callable, Optional

import strawberry

from engine.api.context import RequestContext
from engine.api.deadline import current as current_deadline
from engine.api.errors import UserError, payload
from engine.directory.access import read_scope_sql
from engine.errors import FieldProblem, Forbidden, InvalidDefinition, InvalidInput
from engine.version_migration import MigrationPlan, MigrationReport, migrate

ADMIN = "admin"
MAX_PLAN = 100_000  # characters


@strawberry.type(description="What a migration plan does to the projects in one state of the from-version.")
class MigrationStateReport:
    from_state: str
    to_state: Optional[str] = strawberry.field(description="None: the target version has no such state.")
    projects: int
    mapped: int = strawberry.field(description="Projects that move (dry run: would move).")
    cannot: int
    reasons: list[str] = strawberry.field(description="Why projects cannot move, with how many.")
    warnings: list[str] = strawberry.field(description="Guards into the to-state the projects would not pass now.")


@strawberry.type(description="The report of a workflow migration (or of a dry run), or the plan's problems.")
class MigrateWorkflowPayload:
    dry_run: bool = False
    workflow: Optional[str] = None
    from_version: Optional[int] = None
    to_version: Optional[int] = None
    plan_checksum: Optional[str] = None
    migrated: int = 0
    cannot: int = 0
    complete: bool = strawberry.field(default=True, description="False: stopped before the request's time limit; "
                                                                "run the plan again to continue.")
    states: list[MigrationStateReport] = strawberry.field(default_factory=list)
    report: list[str] = strawberry.field(default_factory=list, description="The report as the CLI prints it.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _fields(report: MigrationReport) -> dict[str, Any]:
    p = report.plan
    states = [MigrationStateReport(
        from_state=s.from_state, to_state=s.to_state, projects=s.projects, mapped=s.mapped, cannot=s.cannot,
        reasons=[f"{count}: {reason}" for reason, count in s.reasons.items()],
        warnings=[f"{len(codes)}: {reason} ({', '.join(codes[:20])})" for reason, codes in s.warnings.items()])
        for s in sorted(report.states.values(), key=lambda s: s.from_state)]
    return {"dry_run": report.dry_run, "workflow": p.workflow, "from_version": p.source_def.version,
            "to_version": p.target_def.version, "plan_checksum": p.checksum, "migrated": report.migrated,
            "cannot": report.cannot, "complete": report.complete, "states": states, "report": report.lines()}


def _before_time_limit() -> Callable[[], bool] | None:
    """True once most of the request's time is used, so the answer (not a TIMEOUT) reports what was done."""
    limit = current_deadline()
    if limit is None:
        return None
    at = limit.at - max(0.5, limit.seconds * 0.2)
    return lambda: time.monotonic() > at


def run_migration(ctx: RequestContext, plan: str, dry_run: bool) -> MigrateWorkflowPayload:
    def work() -> dict[str, Any]:
        if ctx.actor.is_public or ADMIN not in ctx.actor.roles:
            raise Forbidden("only an administrator (admin) may migrate projects to another workflow version")
        if len(plan) > MAX_PLAN:
            raise InvalidInput([FieldProblem(["plan"], f"the plan is longer than {MAX_PLAN} characters")])
        try:
            parsed = MigrationPlan.parse(ctx.engine, plan, "plan")
        except InvalidDefinition as exc:
            raise InvalidInput([FieldProblem(["plan"], str(p)) for p in exc.problems]) from None
        scope = read_scope_sql(ctx.engine, ctx.actor, "p")
        return _fields(migrate(ctx.engine, parsed, dry_run=dry_run, scope=scope, stop=_before_time_limit()))

    return payload(MigrateWorkflowPayload, work, prefix=())


@strawberry.type
class WorkflowMutation:
    @strawberry.mutation(description="Move running projects to another workflow version by a migration plan "
                                     "(YAML: workflow, from, to, states, defaults, batch); dryRun reports only. "
                                     "Administrators only; only the projects they reach.")
    def migrate_workflow(self, info: strawberry.Info, plan: str,
                         dry_run: Optional[bool] = False) -> MigrateWorkflowPayload:
        return run_migration(info.context, plan, bool(dry_run))
