"""``minsheng vote results [--region CODE] [--year Y]``: the candidate lists and their votes from the server's own
command line — each list's rules and session, and per candidate the votes counted, the outcome and the place.
Nothing here identifies how a deputy voted: the counts are all there is."""
from __future__ import annotations

import argparse

from pony import orm

from engine.cli.errors import CliError
from engine.storage.sql import Sql
from plugins.participation.voting import store
from plugins.participation.voting.rules import OUTCOME_LABELS



def add_commands(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("vote", help="candidate lists and the congress vote (票决)").add_subparsers(
        title="vote commands")
    results = group.add_parser("results", help="print candidate lists with their votes and outcomes")
    results.add_argument("--region", help="only this region's lists (and those below it), by code")
    results.add_argument("--year", type=int, help="only this year's lists")
    results.add_argument("--db", help="database URL (default: $MINSHENG_DB or sqlite:///minsheng.db)")
    results.set_defaults(run=_results)


def _results(args: argparse.Namespace) -> int:
    from engine.core import Engine

    engine = Engine.open(args.db)
    try:
        with orm.db_session:
            sql = Sql(engine.db)
            path = None
            if args.region:
                path = sql.scalar("SELECT path FROM region WHERE code = ?", (args.region,))
                if path is None:
                    raise CliError(f"region '{args.region}' does not exist")
            conditions, params = ["1 = 1"], []
            if path is not None:
                conditions.append("region_path LIKE ?")
                params.append(f"{path}%")
            if args.year is not None:
                conditions.append("year = ?")
                params.append(args.year)
            rows = sql.all(f"SELECT {store.LIST_COLUMNS} FROM voting_list WHERE {' AND '.join(conditions)}"
                           " ORDER BY year, id", params)
            for row in rows:
                _print(sql, store._list(sql, row))
            if not rows:
                print("no candidate lists")
    finally:
        engine.close()
    return 0


def _print(sql: Sql, found: store.CandidateList) -> None:
    rules = found.rules
    session = store.session_of(sql, found.id)
    head = f"{found.year} {found.title}: {len(found.candidates)} candidate(s)"
    if rules is not None:
        head += f" for {rules.places} place(s), margin {rules.margin}"
    if session is not None:
        head += (f"; {session.method} session of {session.held_on}, {session.present} of {session.expected} "
                 f"present, {session.status}")
    print(head + ("; published" if found.published_at else ""))
    counts = store.counts_of(sql, session.id) if session is not None and session.status == "closed" else {}
    for c in found.candidates:
        if c.project_id in counts:
            count, outcome, place = counts[c.project_id]
            votes = f"{count.yes} yes, {count.no} no, {count.abstain} abstain"
            result = OUTCOME_LABELS.get(outcome or "", outcome or "")
            print(f"  {c.code}  {c.title}  {votes}  {result}{f' (place {place})' if place else ''}")
        else:
            print(f"  {c.code}  {c.title}  not counted yet")
