"""What ``minsheng serve --demo`` prints at start-up: who the demo actors are, their tokens, and a query to paste."""
from __future__ import annotations

import json
import shlex
import unicodedata

from pony import orm

from engine.demo.district import DemoDistrict
from engine.storage.sql import Sql

EXAMPLE_QUERY = ("{ projects(first: 3, filter: {state: \"in_progress\"}) { totalCount edges { node { code title"
                 " state { label } region { name } leadUnit { name } } } } }")


def server_url(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/graphql"


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - used)


def banner(demo: DemoDistrict, db_url: str, host: str, port: int) -> str:
    url = server_url(host, port)
    states = sorted({p.state for p in demo.projects.values()})
    query = EXAMPLE_QUERY if "in_progress" in states else EXAMPLE_QUERY.replace(
        ', filter: {state: "in_progress"}', "")
    with orm.db_session:  # the plugins' demo data adds projects of its own (the pool, the candidates voted on)
        total = Sql(demo.engine.db).scalar("SELECT COUNT(*) FROM project")
    lines = [f"minsheng demo: 平安区 with {len(demo.regions)} regions, {len(demo.units)} units and "
             f"{total} projects on workflow '{demo.workflow}' in {db_url}", "",
             f"Demo clock: today is {demo.clock.now():%Y-%m-%d %H:%M} (the end of the demo year), running on with "
             "real time from there; 序时进度, laggingProjects and 督办 notices are as of that day.", "",
             "Bearer tokens, one demo actor per role (username, who, token):"]
    for username, token in demo.tokens.items():
        actor = demo.actors[username]
        lines.append(f"  {username:<15} {_pad(actor.name, 22)} {token}")
    office = "office" if "office" in demo.tokens else next(iter(demo.tokens))
    body = json.dumps({"query": query}, ensure_ascii=False)
    lines += ["", f"GraphiQL: {url}  (open it in a browser; under Headers paste "
                  f'{{"Authorization": "Bearer {demo.tokens[office]}"}})',
              "", "Try it (as the district government office):",
              f"  curl -s {url} -H 'Authorization: Bearer {demo.tokens[office]}' "
              f"-H 'Content-Type: application/json' -d {shlex.quote(body)}", "",
              f"Dashboard: {url[:-len('/graphql')]}/dashboard  (paste a token above; without one: what the public sees)",
              "Monthly bulletin (月通报) of December as an Excel workbook:",
              f"  curl -s -o bulletin.xlsx '{url[:-len('/graphql')]}/reports/monthly.xlsx?region=pingan&month="
              f"{demo.clock.now():%Y-%m}' -H 'Authorization: Bearer {demo.tokens[office]}'", ""]
    return "\n".join(lines)
