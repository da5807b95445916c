"""``minsheng region|unit|actor …``: the directory from the server's own command line.

These are the operations administrators also have over GraphQL (``engine.directory.management``), done by the
command line, which reaches every region; each is logged in ``admin_record`` like an administrator's.
"""
from __future__ import annotations

import argparse
from typing import Any


def add_commands(commands: argparse._SubParsersAction, with_db: Any) -> None:
    """Register the ``actor``, ``region`` and ``unit`` groups."""
    _actor_commands(_group(commands, "actor", "actors and their tokens"), with_db)
    _region_commands(_group(commands, "region", "regions (and adding units)"), with_db)
    _unit_commands(_group(commands, "unit", "units (departments)"), with_db)


def _group(commands: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    return commands.add_parser(name, help=help).add_subparsers(title=f"{name} commands")


def _open(args: argparse.Namespace):  # -> Engine
    from engine.core import Engine

    return Engine.open(getattr(args, "db", None))


def _actor_commands(group: argparse._SubParsersAction, with_db: Any) -> None:
    add = with_db(group.add_parser("add", help="create an actor and print its bearer token"))
    add.add_argument("username")
    add.add_argument("--name", required=True)
    add.add_argument("--roles", required=True, help="comma-separated role names from the workflow files")
    add.add_argument("--region", required=True, help="home region code")
    add.add_argument("--unit", help="unit code (for unit clerks)")
    add.set_defaults(run=_actor_add)
    token = with_db(group.add_parser("token", help="issue a new bearer token (the old one stops working)"))
    token.add_argument("username")
    token.set_defaults(run=_actor_token)
    disable = with_db(group.add_parser("disable", help="disable an actor: its token stops working at once"))
    disable.add_argument("username")
    disable.set_defaults(run=_actor_disable)


def _actor_add(args: argparse.Namespace) -> int:
    from engine.directory.management import create_actor

    _, token = create_actor(_open(args), None, args.username, args.name, args.roles.split(","), args.region,
                            args.unit)
    print(token)
    return 0


def _actor_token(args: argparse.Namespace) -> int:
    from engine.directory.management import rotate_token

    print(rotate_token(_open(args), None, args.username))
    return 0


def _actor_disable(args: argparse.Namespace) -> int:
    from engine.directory.management import disable_actor

    disable_actor(_open(args), None, args.username)
    print(f"actor {args.username} disabled")
    return 0


def _region_commands(group: argparse._SubParsersAction, with_db: Any) -> None:
    add = with_db(group.add_parser("add", help="add a region"))
    add.add_argument("code")
    add.add_argument("name")
    add.add_argument("--level", required=True, help="province, city, county, town or village")
    add.add_argument("--parent", help="parent region code")
    add.set_defaults(run=_region_add)
    unit = with_db(group.add_parser("unit", help="add a unit (department) in a region"))
    unit.add_argument("code")
    unit.add_argument("name")
    unit.add_argument("--region", required=True)
    unit.set_defaults(run=_unit_add)
    rename = with_db(group.add_parser("rename", help="rename a region"))
    rename.add_argument("code")
    rename.add_argument("name")
    rename.set_defaults(run=_region_rename)
    workflow = with_db(group.add_parser("workflow", help="name the workflow new projects of a region and the regions "
                                                         "below it get (no name: inherit from above again)"))
    workflow.add_argument("code")
    workflow.add_argument("workflow", nargs="?")
    workflow.set_defaults(run=_region_workflow)


def _region_add(args: argparse.Namespace) -> int:
    from engine.directory.management import create_region

    region = create_region(_open(args), None, args.code, args.name, args.level, args.parent)
    print(f"region {region.code} (id {region.id}) added at {region.path}")
    return 0


def _region_rename(args: argparse.Namespace) -> int:
    from engine.directory.management import rename_region

    rename_region(_open(args), None, args.code, args.name)
    print(f"region {args.code} renamed {args.name}")
    return 0


def _region_workflow(args: argparse.Namespace) -> int:
    from engine.directory.management import set_region_workflow

    set_region_workflow(_open(args), None, args.code, args.workflow)
    print(f"region {args.code}: new projects get workflow {args.workflow}" if args.workflow else
          f"region {args.code}: new projects get the workflow of the regions above")
    return 0


def _unit_commands(group: argparse._SubParsersAction, with_db: Any) -> None:
    rename = with_db(group.add_parser("rename", help="rename a unit"))
    rename.add_argument("code")
    rename.add_argument("name")
    rename.set_defaults(run=_unit_rename)
    move = with_db(group.add_parser("move", help="move a unit to another region (its projects stay put)"))
    move.add_argument("code")
    move.add_argument("--region", required=True)
    move.set_defaults(run=_unit_move)


def _unit_add(args: argparse.Namespace) -> int:
    from engine.directory.management import create_unit

    unit = create_unit(_open(args), None, args.code, args.name, args.region)
    print(f"unit {args.code} (id {unit.id}) added")
    return 0


def _unit_rename(args: argparse.Namespace) -> int:
    from engine.directory.management import rename_unit

    rename_unit(_open(args), None, args.code, args.name)
    print(f"unit {args.code} renamed {args.name}")
    return 0


def _unit_move(args: argparse.Namespace) -> int:
    from engine.directory.management import move_unit

    move_unit(_open(args), None, args.code, args.region)
    print(f"unit {args.code} moved to region {args.region}")
    return 0
