"""The schedule at province size: the tick over every project, and laggingProjects over HTTP.

    python bench/schedule.py [--projects 100000] [--small 1000] [--db sqlite:///FILE | postgresql://…] [--repeat 10]

For each size (``--small`` first, then ``--projects``) builds, with bulk SQL inserts into the engine's own tables
(created by its migrations), a province of 16 cities × 8 counties × 10 towns, five units per county, and projects
on the default workflow spread over the towns: mostly under way (实施), some suspended (暂缓), done or approved, each
with a 2026 plan ending between June 2026 and June 2027, three targets, four measures and twelve monthly progress
reports. Then it prints:

- the tick (``Engine.tick`` on today: every plugin's periodic work, supervision notices included) — run twice, the
  second run finding everything already issued; target < 30 s on SQLite;
- ``laggingProjects(first: 20)`` for the province, a city and a town over HTTP against ``minsheng serve`` started
  as a subprocess (no result cache, no background tick, budgets that never refuse): the first request and the
  median of ``--repeat``; target < 100 ms each.
Figures only, no asserts. ``--db`` names the database for the large size (default: a temporary SQLite file); the
small size always uses a temporary SQLite file, or a fresh schema when ``--db`` is PostgreSQL.
"""
from __future__ import annotations

import sys
from pathlib import Path

# this file's folder holds bench/http.py, named like the stdlib package: take it off the path, put the repository on
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from pony import orm  # noqa: E402

from engine.directory.admin import add_actor  # noqa: E402
from engine.api.ids import to_global_id  # noqa: E402
from engine.clock import Clock  # noqa: E402
from engine.core import Engine  # noqa: E402
from engine.storage.sql import Sql  # noqa: E402

CITIES, COUNTIES, TOWNS, UNITS = 16, 8, 10, 5
TODAY = dt.date.today()
YEAR = TODAY.year
STATES = [("in_progress", 86), ("suspended", 4), ("completed", 4), ("approved", 3), ("proposed", 3)]
LAGGING = ("query($region: ID) { laggingProjects(region: $region, first: 20) { totalCount edges { cursor node "
           "{ code title regionName leadUnitName progress { expected reported lag status colour } } } } }")
TARGET_MS = 100.0
TARGET_TICK_S = 30.0


@dataclass
class Built:
    url: str
    token: str
    regions: dict[str, int]  # "province" / "city" / "town" → region id
    projects: int
    seconds: float


class Bulk:
    """executemany on the session's connection, with the engine's value conversions and placeholders."""

    def __init__(self, engine: Engine) -> None:
        self.sql = Sql(engine.db)

    def many(self, statement: str, rows: list[tuple]) -> None:
        self.sql.execute_many(statement, rows)  # PostgreSQL: a page of rows per statement (execute_values)


def build(url: str, n: int, seed: int = 8) -> Built:
    started = time.perf_counter()
    rnd = random.Random(seed)
    engine = Engine.open(url, clock=Clock())
    workflow_id = next(wid for wid, w in engine.workflows.by_id.items() if w.definition.name == "minsheng")
    with orm.db_session(immediate=True):
        towns, units, regions = _regions(engine)
    with orm.db_session(immediate=True):
        _projects(Bulk(engine), rnd, n, workflow_id, towns, units)
    token = add_actor(engine, "bench-office", "省政府办", ["office"], "P")
    engine.close()
    analyze(url)
    return Built(url, token, regions, n, time.perf_counter() - started)


def analyze(url: str) -> None:
    """PostgreSQL: the planner's statistics and the visibility map of this schema's tables after a bulk load, as
    autovacuum would give them a little later (without them the planner guesses row counts, and index-only scans
    visit the heap)."""
    if url.startswith("sqlite"):
        return
    import psycopg2

    connection = psycopg2.connect(url)
    try:
        connection.autocommit = True
        cursor = connection.cursor()
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        for (table,) in cursor.fetchall():
            cursor.execute(f'VACUUM ANALYZE "{table}"')
    finally:
        connection.close()


def _regions(engine: Engine) -> tuple[list[tuple[int, str, int]], dict[int, list[int]], dict[str, int]]:
    """The region tree and units; (town id, path, county id) per town, county id → unit ids, sample regions."""
    sql = Sql(engine.db)
    rid = {"n": 0}

    def region(code: str, name: str, level: str, parent: int | None, parent_path: str) -> tuple[int, str]:
        new = sql.insert("INSERT INTO region (code, name, level, parent_id, path) VALUES (?, ?, ?, ?, ?)",
                         (code, name, level, parent, "pending"))
        path = f"{parent_path}{new}/"
        sql.execute("UPDATE region SET path = ? WHERE id = ?", (path, new))
        rid["n"] += 1
        return new, path

    province, p_path = region("P", "压测省", "province", None, "/")
    towns, units = [], {}
    for c in range(CITIES):
        city, c_path = region(f"C{c}", f"第{c}市", "city", province, p_path)
        for k in range(COUNTIES):
            county, k_path = region(f"C{c}K{k}", f"第{c}市第{k}县", "county", city, c_path)
            units[county] = [sql.insert("INSERT INTO unit (code, name, region_id) VALUES (?, ?, ?)",
                                        (f"U{county}-{u}", f"第{c}市第{k}县单位{u}", county)) for u in range(UNITS)]
            for t in range(TOWNS):
                town, t_path = region(f"C{c}K{k}T{t}", f"第{c}市第{k}县第{t}镇", "town", county, k_path)
                towns.append((town, t_path, county))
    first_city = sql.scalar("SELECT id FROM region WHERE code = 'C0'")
    return towns, units, {"province": province, "city": first_city, "town": towns[1][0]}


PROJECT = ("INSERT INTO project (id, code, title, year, category, region_id, region_path, lead_unit_id, budget, "
           "workflow_id, state, previous_state, version, audit_seq, audit_head, created_at, updated_at, target, "
           "planned_start, planned_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
AUDIT = ("INSERT INTO audit_record (project_id, seq, kind, event, from_state, to_state, actor_id, actor_name, at, "
         "fields, comment, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, NULL, 'bench', ?, '{}', NULL, ?, ?)")
TARGET = ("INSERT INTO schedule_target (project_id, position, name, unit, target_value, baseline) "
          "VALUES (?, ?, ?, ?, ?, NULL)")
MEASURE = ("INSERT INTO schedule_measure (project_id, position, title, unit_id, due_on, weight, done, done_on) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
REPORT = ("INSERT INTO schedule_progress_report (project_id, reported_on, percent, narrative, reporter_name, "
          "created_at) VALUES (?, ?, ?, ?, 'bench', ?)")


def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


def _projects(bulk: Bulk, rnd: random.Random, n: int, workflow_id: int, towns: list, units: dict) -> None:
    states = [s for s, weight in STATES for _ in range(weight)]
    start = dt.date(YEAR, 1, 1)
    now = dt.datetime.combine(TODAY, dt.time(8))
    rows: dict[str, list[tuple]] = {"p": [], "a": [], "t": [], "m": [], "r": []}
    for pid in range(1, n + 1):
        town, path, county = towns[pid % len(towns)]
        state = rnd.choice(states)
        end = _month_end(YEAR, rnd.randrange(6, 19))
        seq = 1 if state == "proposed" else 2
        rows["p"].append((pid, f"B-{pid:06d}", f"压测项目{pid}", YEAR, "教育", town, path,
                          rnd.choice(units[county]), "1000000.00", workflow_id, state, None, seq, seq, "h", now, now,
                          None, start, end))
        rows["a"].append((pid, 1, "create", "create", None, "proposed", now - dt.timedelta(days=330), "", "h"))
        if seq == 2:
            rows["a"].append((pid, 2, "transition", "bench", "approved", state, now - dt.timedelta(days=30), "h",
                              "h"))
        for position in range(3):
            rows["t"].append((pid, position, f"指标{position}", "个", rnd.randrange(10, 1000)))
        for position in range(4):
            due = _month_end(YEAR, 3 * position + 3)
            done = due < TODAY and rnd.random() < 0.7
            rows["m"].append((pid, position, f"节点{position}", rnd.choice(units[county]), min(due, end), "1.00",
                              done, due if done else None))
        percent, pace = 0, rnd.uniform(3, 11)
        for month in range(1, 13):
            day = min(_month_end(YEAR, month), TODAY)
            percent = min(100, percent + max(0, round(rnd.gauss(pace, 2))))
            rows["r"].append((pid, day, percent, "本月进展", dt.datetime.combine(day, dt.time(9))))
        if pid % 5000 == 0 or pid == n:
            for key, statement in (("p", PROJECT), ("a", AUDIT), ("t", TARGET), ("m", MEASURE), ("r", REPORT)):
                bulk.many(statement, rows[key])
                rows[key].clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_tick(url: str) -> list[tuple[float, float, list[str]]]:
    """Two ticks on today in a fresh process-local engine: (seconds, this process's CPU seconds, summaries) each
    (the CPU time is what a shared machine does not blur; on PostgreSQL the server's share is not in it)."""
    engine = Engine.open(url, clock=Clock())
    runs = []
    for _ in range(2):
        started, cpu = time.perf_counter(), time.process_time()
        reports = engine.tick(TODAY)
        runs.append((time.perf_counter() - started, time.process_time() - cpu,
                     [f"{r.plugin}: {r.summary}" for r in reports]))
    engine.close()
    return runs


def post(port: int, token: str, body: bytes) -> tuple[float, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        payload = response.read()
    return time.perf_counter() - started, json.loads(payload)


def serve(url: str, tmp: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    path = [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    log = (tmp / f"server-{port}.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--db", url, "--port", str(port),
                                "--no-result-cache", "--tick-interval", "0", "--timeout", "0",
                                "--budget", "1000000000", "--public-budget", "1000000000"],
                               stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited during start-up (see {log.name})")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("no answer from the server within 120 s")


def lagging(built: Built, tmp: Path, repeat: int) -> list[tuple[str, int, float, float]]:
    """(scope, totalCount, first request ms, median ms) for the province, a city and a town."""
    process, port = serve(built.url, tmp)
    try:
        post(port, built.token, json.dumps({"query": "{ __typename }"}).encode())
        figures = []
        for scope in ("province", "city", "town"):
            body = json.dumps({"query": LAGGING, "variables": {"region": to_global_id(
                "Region", built.regions[scope])}}).encode()
            times, total = [], 0
            for _ in range(repeat + 1):
                seconds, payload = post(port, built.token, body)
                if payload.get("errors"):
                    raise RuntimeError(f"laggingProjects ({scope}): {payload['errors'][0]}")
                times.append(seconds * 1000)
                total = payload["data"]["laggingProjects"]["totalCount"]
            figures.append((scope, total, times[0], statistics.median(times[1:])))
        return figures
    finally:
        process.terminate()
        process.wait(timeout=30)


def sqlite_url(tmp: Path, name: str) -> str:
    return f"sqlite:///{tmp / name}"


def pg_schema_url(url: str) -> tuple[str, object]:
    import psycopg2

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    return (f"{url}{separator}options=-c%20search_path%3D{schema}",
            lambda: admin.cursor().execute(f"DROP SCHEMA {schema} CASCADE"))


def run_size(url: str, n: int, tmp: Path, repeat: int) -> None:
    built = build(url, n)
    kind = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    print(f"\n{n} projects on {kind}: built in {built.seconds:.1f} s "
          f"({CITIES} cities, {CITIES * COUNTIES} counties, {CITIES * COUNTIES * TOWNS} towns; today {TODAY})")
    for i, (seconds, cpu, summaries) in enumerate(timed_tick(url)):
        verdict = f"< {TARGET_TICK_S:.0f} s {'PASS' if seconds < TARGET_TICK_S else 'FAIL'}"
        print(f"  tick #{i + 1:<32}{seconds:9.2f} s (CPU {cpu:.2f} s)   {verdict}   ({'; '.join(summaries)})")
    analyze(url)  # the tick rewrote every standing: what autovacuum would do next
    for scope, total, first, median in lagging(built, tmp, repeat):
        verdict = f"< {TARGET_MS:.0f} ms {'PASS' if median < TARGET_MS else 'FAIL'}"
        print(f"  laggingProjects ({scope}, {total} found)".ljust(40) +
              f"first {first:8.1f} ms   median {median:8.1f} ms   {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--db", help="database URL for the large size (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=10, help="requests per laggingProjects figure")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; targets: tick < {TARGET_TICK_S:.0f} s on SQLite, laggingProjects < "
          f"{TARGET_MS:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n, name in ((args.small, "small.db"), (args.projects, "large.db")):
            if not n:
                continue
            if args.db and args.db.startswith("postgres"):
                url, cleanup = pg_schema_url(args.db)
                try:
                    run_size(url, n, folder, args.repeat)
                finally:
                    cleanup()  # type: ignore[operator]
            else:
                run_size(args.db if args.db and n == args.projects else sqlite_url(folder, name), n, folder,
                         args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
