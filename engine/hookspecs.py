"""Every hook a minsheng plugin can implement, in one place.

A plugin is a module or object with functions named like the specifications below, decorated with
``engine.hookimpl``. Built-in plugins (``plugins.funding``, ``plugins.inspection``, ``plugins.satisfaction``,
``plugins.schedule``, ``plugins.supervision``, ``plugins.custody``, ``plugins.participation``) are registered
exactly like a region's own plugin, which is found through the entry-point group ``minsheng``.
Hooks are called with keyword arguments; a plugin's implementation may accept any subset of them.
``docs/plugin_hooks.md`` documents each hook for plugin authors; a test keeps it in step with this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("minsheng")
hookimpl = pluggy.HookimplMarker("minsheng")


@hookspec
def minsheng_entities(db: Any) -> None:
    """Declare the plugin's pony entities on ``db`` (a ``pony.orm.Database``).

    Called once per engine, before the mapping is generated; entities declared later are refused by pony.
    Plugin entities refer to a project by a plain indexed ``project_id`` integer column, never by a relation on
    the core ``Project`` entity, so the core stays free of plugin attributes. Give every entity an explicit
    lowercase ``_table_`` prefixed with the plugin's name. The return value is ignored.
    """


@hookspec
def minsheng_migrations() -> Any:
    """Return the plugin's schema migrations: a list of ``engine.storage.migrations.Migration``.

    Called when the database is upgraded (``minsheng db upgrade`` and at start-up). Each migration belongs to a
    component (the plugin's name) and has a number; migrations of a component run in number order, each once,
    and are recorded in the ``schema_migrations`` table. Return ``None`` or ``[]`` when the plugin has no tables.
    """


@hookspec
def minsheng_guards() -> Any:
    """Return the named guards this plugin provides: a list of ``engine.workflow.guards.GuardSpec``.

    Called once when the engine starts. Workflow files refer to guards by name (``funding.funds_in_place``) and
    are validated against what all plugins return here: an unknown name or bad parameters stop the file from
    loading. Two plugins returning the same name is an error at start-up.
    """


@hookspec
def minsheng_actions() -> Any:
    """Return the named actions this plugin provides: a list of ``engine.workflow.guards.ActionSpec``.

    Called once when the engine starts. A transition's ``actions`` run in file order inside the transition's
    database transaction, after the state has changed; an action that raises rolls the transition back.
    """


@hookspec
def minsheng_transition(record: Any, db: Any, engine: Any) -> None:
    """Observe a transition inside its database transaction, after its audit record has been written.

    ``record`` is an ``engine.transition.TransitionRecord`` (project snapshot after the change, event, from, to,
    actor, fields, comment, audit sequence number). ``db`` is the pony ``Database``: the hook runs inside the
    transition's ``db_session``, so what it writes commits or rolls back with the transition. ``engine`` is the
    ``engine.core.Engine`` (workflows, calendar, clock); an implementation may leave it out of its parameters.
    Raising an exception rolls the whole transition back and the caller sees an error. The return value is ignored.

    A project moved to another workflow version by a migration plan (``minsheng workflow migrate``) comes here too,
    in its own transaction, with ``record.event == "migrate"``, no actor (``actor_id`` None, ``actor_name`` 系统)
    and ``record.fields`` naming the workflow, ``from_version``, ``to_version`` and ``plan_checksum``; its
    ``project`` carries the new version. ``minsheng_after_commit`` is not called for it.
    """


@hookspec
def minsheng_after_commit(record: Any) -> None:
    """Observe a transition after it has been committed (notifications, caches, outside systems).

    Called once per committed transition with the same ``record`` as ``minsheng_transition``. The transition is
    already durable: an exception here is logged with the plugin's name and never undoes it. The return value is
    ignored.
    """


@hookspec
def minsheng_workflow_files() -> Any:
    """Return paths of workflow definition files (YAML) this plugin ships, as a list of ``pathlib.Path``.

    Called when the engine loads its workflows, after the ``workflows/`` folder. The files are validated like an
    administrator's, against the guards and actions of all plugins.
    """


@hookspec
def minsheng_graphql() -> Any:
    """Return what this plugin adds to the GraphQL API: an ``engine.api.extension.GraphQLExtension``.

    Called once when the schema is built. The extension may name a strawberry type whose fields are merged into
    ``Query``, one merged into ``Mutation``, and one merged into ``Project`` (its resolvers receive the project
    as ``self`` and ``info.context`` with the actor and database). A field name that two contributions define is
    an error at start-up. Return ``None`` when the plugin adds nothing to the API.
    """


@hookspec
def minsheng_demo_data(db: Any, demo: Any) -> None:
    """Add the plugin's records to the demo district built by ``minsheng serve --demo``.

    Called inside one ``db_session`` after the core demo data (regions, units, actors, projects and their
    histories) exists. ``demo`` is an ``engine.demo.DemoDistrict`` giving the created projects by code and the
    clock. The return value is ignored.
    """


@hookspec
def minsheng_demo_prepare(engine: Any, demo: Any, project: Any, event: str) -> None:
    """Before the demo fires ``event`` on ``project``: record what that transition's guards will check.

    Called by ``minsheng serve --demo`` while it drives each demo project through its workflow with the real
    engine functions, once before every event, outside any ``db_session`` (use your plugin's own service
    functions, which open theirs). ``project`` is an ``engine.demo.DemoProject`` (``id``, ``code``, ``state``,
    ``budget``, ``lead_unit_id``); ``demo`` the ``engine.demo.DemoDistrict`` with the actors and the clock. For
    example the funding plugin records a funding plan before ``approve`` and funds received before ``start``.
    The return value is ignored.
    """


@hookspec
def minsheng_notify(notice: Any) -> None:
    """Deliver a supervision notice (督办单) outside the engine: SMS, a government messaging app, e-mail.

    Called once per notice the supervision tick issues, after the notice has been committed, and again (with the
    same notice id) when its status changes: acknowledged (签收), answered (反馈), closed (办结). ``notice`` is a
    ``plugins.supervision.notices.Notice`` (id, project code and title, step and its label, reason with figures,
    due date, addressed unit and addressee, status and the time of each step). The notice is already durable:
    an exception here is logged with the plugin's name and never undoes it; the return value is ignored.
    """


@dataclass(frozen=True)
class TickReport:
    """What one plugin's periodic work did (returned from ``minsheng_tick``): a one-line ``summary`` for people
    ("3 notice(s) issued"), ``busy`` when another tick held the plugin's lock and nothing was done, and
    ``problems`` it could not act on (each a sentence naming what to fix)."""

    plugin: str
    summary: str
    busy: bool = False
    problems: tuple[str, ...] = ()


@hookspec
def minsheng_tick(engine: Any, on: Any) -> Any:
    """Do the plugin's periodic work for the day ``on`` (a ``datetime.date``): evaluate deadlines, issue notices.

    Called by ``minsheng tick [--at DATE]`` and by the server every ``--tick-interval`` seconds, in a thread of its
    own, and possibly in several processes at once: an implementation must be safe to run twice and concurrently
    (it issues nothing twice) and must leave nothing half-done when killed. Return a ``TickReport`` (or ``None``
    when there was nothing to do). An exception is logged with the plugin's name and the other plugins still run.
    """


@dataclass(frozen=True)
class ProjectProgress:
    """Where one project stands against its schedule on a day (序时进度), as ``minsheng_project_progress`` gives
    it: percentages with two places; ``reported`` is None before the first progress report; ``status`` is
    ``ahead``, ``on_schedule`` or ``behind``; ``colour`` the deployment's flag (``green``, ``yellow``, ``red`` …)."""

    expected: Decimal
    reported: Decimal | None
    lag: Decimal
    status: str
    status_label: str
    colour: str
    colour_label: str


@hookspec(firstresult=True)
def minsheng_project_progress(engine: Any, sql: Any, project_ids: Any, on: Any) -> Any:
    """Return where each of ``project_ids`` stands against its schedule on the day ``on``: a dict of project id →
    ``ProjectProgress`` (projects the plugin knows nothing about, e.g. without a planned period, are left out).

    Called inside the caller's ``db_session`` (``sql`` is an ``engine.storage.sql.Sql`` on it) by the engine's
    readers that show progress without knowing which plugin keeps schedules: ``projectsGeoJSON`` (each feature's
    colour and progress) and the list export (实际进度, 序时进度, 进度颜色). The first plugin to return a dict
    answers (the built-in ``schedule`` plugin); return ``None`` to let another answer. Without such a plugin those
    figures are left empty. The ids have already been limited to what the caller may read.
    """


@hookspec
def minsheng_dashboard_figures(engine: Any, sql: Any, scope: Any) -> Any:
    """Return this plugin's figures over a scope of projects, for the ``dashboard`` query, ``redBlackList`` and
    the monthly bulletin: an ``engine.dashboard.figures.FigureSet`` (named figures with labels and units, and small
    tables such as funds by source), a list of them, or ``None``.

    Called inside the reader's ``db_session`` (``sql`` is an ``engine.storage.sql.Sql`` on it). ``scope`` is an
    ``engine.dashboard.scope.FigureScope``:

    - ``scope.where`` / ``scope.params``: a SQL condition on ``project p`` that already limits the projects to the
      region's subtree, the year and filters asked for and what the reader may count — join your table to
      ``project p`` and add it to your ``WHERE``;
    - ``scope.group``: ``None``, or a SQL expression on ``p`` (by child region, lead unit or project). Select
      ``scope.key`` (the expression, or a constant when not grouped), group by it, and return one set per value
      with ``key`` set to that value;
    - ``scope.on``: the day time-dependent figures are as of (today for the dashboard; a month's last day for
      ``redBlackList`` and the bulletin);
    - ``scope.redacted``: the reader is the public — return only figures the public may see, or ``None``;
    - ``scope.detail``: the monthly bulletin asks — tables may also list items (each overdue rectification); the
      bulletin writes each table on a sheet of its own.

    Compute every figure with aggregate SQL, never by loading the projects one by one. Figures are named
    ``<plugin>.<name>`` in the ranking rules (``engine/dashboard/rankings.yaml``), e.g. ``funding.in_place_rate``.
    A regional plugin adds a figure to every dashboard by implementing this hook alone.
    """


@hookspec
def minsheng_record_kinds() -> Any:
    """Return the kinds of record of this plugin that evidence files may be attached to: a list of
    ``engine.evidence.kinds.RecordKind(name, label, table)``, where ``table`` has ``id`` and ``project_id``
    columns (e.g. ``RecordKind("inspection", "检查/验收记录", "inspection_record")``). The engine's own kinds are
    ``project`` and ``transition`` (a transition's audit ``seq``, e.g. an acceptance); a name already taken is
    ignored. ``attachEvidence(recordKind: NAME, recordId: ID)`` then attaches to those records, and the workflow
    file's ``public_attachments`` may list the kind to show its files to the public.
    """


@hookspec
def minsheng_cli_commands(commands: Any) -> None:
    """Add the plugin's commands to the ``minsheng`` command line.

    Called once while the command line is built, with ``commands``, the ``argparse`` sub-parsers action of the
    top level: add a group (``commands.add_parser("suggestion").add_subparsers()``) and set ``run`` on each
    command to a function of the parsed arguments returning the exit status (``set_defaults(run=...)``). Give a
    command that needs the database a ``--db`` option (default: ``$MINSHENG_DB``). A failure raised from ``run``
    is reported like every command's: one ``error:`` line and exit status 2. Plugins disabled by
    ``MINSHENG_DISABLE_PLUGINS`` add nothing; the return value is ignored.
    """


@hookspec
def minsheng_tallies() -> Any:
    """Return this plugin's maintained aggregates: an ``engine.storage.tally.Tally`` or a list of them.

    A tally is a table of counts and sums per region (each project counts in its region and every region above
    it), year and the plugin's own keys, which the database keeps up to date inside the transaction of every write
    to the tables that feed it (triggers adding deltas with one sorted upsert; no read-modify-write). Create it in
    one of the plugin's numbered migrations with ``engine.storage.tally.tally_migration(component, number,
    description, tally)``, and return it here so that ``minsheng db rebuild-aggregates`` recomputes it from scratch
    and the consistency checks cover it. Read it with ``engine.storage.tally.read`` when a figure's scope
    allows (``FigureScope.maintained``). See ``docs/aggregates.md``.
    """


@hookspec
def minsheng_chained_tables() -> Any:
    """Return the plugin's tables whose rows are in the projects' hash chains: a list of
    ``engine.chain.ChainedTable`` (record kind, table, label, and a reader of a project's rows).

    A plugin that writes such a row appends its audit record with ``engine.chain.append_row`` in the same
    transaction; ``minsheng audit verify`` then compares every row with the latest record naming it, so a row
    altered, deleted or inserted behind the engine's back is reported with its project and record. The kinds
    returned are also the names a workflow's final state may list in ``records`` to keep taking such records.
    """
