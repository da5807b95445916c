"""``minsheng suggestion …``: ``erase RECEIPT`` (personal data, on the submitter's request), ``list`` (a call's
suggestions without personal data) and ``keygen`` (a new ``MINSHENG_PII_KEY``)."""
from __future__ import annotations

import argparse

from pony import orm

from engine.storage.sql import Sql
from plugins.participation import erasure, personal
from plugins.participation import vocabulary as v


def add_commands(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("suggestion", help="suggestions for livelihood projects (群众建议)").add_subparsers(
        title="suggestion commands")
    erase = group.add_parser("erase", help="erase a suggestion's personal data (建议人, 联系电话), keeping its content")
    erase.add_argument("receipt", help="the receipt code the submitter was given")
    _db(erase).set_defaults(run=_erase)
    listing = _db(group.add_parser("list", help="list suggestions (no personal data)"))
    listing.add_argument("--call", type=int, help="only this call's suggestions (its number)")
    listing.add_argument("--status", choices=sorted(v.STATUSES), help="only suggestions in this status")
    listing.set_defaults(run=_list)
    group.add_parser("keygen", help=f"print a new key for {personal.KEY_ENV}").set_defaults(run=_keygen)


def _db(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--db", help="database URL (default: $MINSHENG_DB or sqlite:///minsheng.db)")
    return parser


def _erase(args: argparse.Namespace) -> int:
    from engine.core import Engine

    engine = Engine.open(args.db)
    try:
        done = erasure.erase(engine, args.receipt)
    finally:
        engine.close()
    what = "personal data erased" if done.erased else "no personal data left to erase"
    print(f"suggestion {done.suggestion_id}: {what}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from engine.core import Engine

    engine = Engine.open(args.db)
    try:
        with orm.db_session:
            query = "SELECT id, call_id, status, channel, title FROM participation_suggestion WHERE 1 = 1"
            params: list[object] = []
            for column, value in (("call_id", args.call), ("status", args.status)):
                if value is not None:
                    query += f" AND {column} = ?"
                    params.append(value)
            rows = Sql(engine.db).all(query + " ORDER BY id", params)
    finally:
        engine.close()
    for r in rows:
        print(f"{r[0]}\tcall {r[1]}\t{v.STATUSES[r[2]]}\t{v.CHANNELS[r[3]]}\t{r[4]}")
    print(f"{len(rows)} suggestion(s)")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    print(personal.new_key())
    return 0
