"""Reads at 100,000 projects against the same reads at 1,000 (issue 9): the cost of a read must not grow with the
total.

    python bench/scale.py [--sizes 1000,100000] [--backends sqlite,postgres] [--clients 1,16] [--requests 200]
                          [--pg postgresql://postgres@127.0.0.1:5432/test] [--engine /path/to/checkout] [--queries 1,2]

For each backend and size it builds the province of ``bench/province.py`` (1 province, 10 cities, 100 counties,
1,000 towns) with ``n`` projects imported through the engine's bulk path (the import behind ``minsheng import
projects``, in one transaction); the smaller size is the exact prefix of the larger (the same generator, the
first ``n`` rows). Then it starts ``minsheng serve --no-result-cache`` on it and measures, over HTTP, with 1 and 16
keep-alive clients, p50 and p99 of:

- ``projects(first: 50){totalCount …}`` as the province office;
- the same filtered to one town;
- ``fundingRollup`` for the province;
- ``project(id)`` with its history and available transitions;
- ``dashboard`` for the province;
- the town's page again with ``first`` set to the number of projects the town holds at the smallest size, so that
  both sizes list the same projects: at 1,000 projects a town holds one or two, so the 50-project town page above
  compares a page of one project with a page of fifty (what grows there is the page, not the total).

and prints the growth ratio (p50 at the largest size ÷ p50 at the smallest; also of the server's CPU time per
request, read from /proc, which says more than latency on a machine other work shares). Target: growth ≤ 1.5×.

``--engine`` builds and serves with another checkout's engine (e.g. ``/work/main``, for figures before a change);
``--keep DIR`` keeps the SQLite databases in DIR (rebuilt on every run). Every response is checked (status 200,
no errors).
Small and quick: ``python bench/scale.py --sizes 100,1000 --backends sqlite --requests 50``.
"""
from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# bench/transitions.py would shadow the transitions package: this folder comes last on the path, for province.py
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH]

PAGE = ("query($filter: ProjectFilter) { projects(first: 50, filter: $filter) { totalCount edges { node { id code "
        "title state { name label } region { name } leadUnit { name } } } pageInfo { hasNextPage endCursor } } }")
ROLLUP = ("{ fundingRollup { region regionName projectCount budget planned received paid inPlaceRate "
          "disbursementRate bySource { source planned } } }")
ONE = ("query($id: ID!) { project(id: $id) { code title state { label } history(first: 20) { seq event actorName "
       "at fields } availableTransitions { event label allowed reasons } } }")
SAME_PAGE = PAGE.replace("query($filter: ProjectFilter) { projects(first: 50, ",
                         "query($filter: ProjectFilter, $first: Int!) { projects(first: $first, ")
DASHBOARD = "{ dashboard { projects planned started completed completionRate startRate byState { state count } } }"
QUERIES = ("projects(first: 50) province", "projects(first: 50) one town", "fundingRollup province",
           "project(id) + history", "dashboard province", "same-size page one town")


def _http_helpers():
    """``bench/http.py``'s load generator (its file name shadows the stdlib's ``http``: load it under another)."""
    spec = importlib.util.spec_from_file_location("bench_http", BENCH / "http.py")
    module = importlib.util.module_from_spec(spec)
    saved = list(sys.path)
    sys.modules["bench_http"] = module
    spec.loader.exec_module(module)
    sys.path[:] = saved
    return module


def build(url: str, n: int) -> dict:
    """(run in a subprocess with the engine under test on the path) The province with ``n`` projects; what the
    measurements need: a token of the province office, a town's id, a project's id, timings."""
    sys.path.append(str(BENCH))
    from pony import orm

    from engine.api.ids import to_global_id
    from engine.core import Engine
    from engine.directory.admin import add_actor
    from engine.storage.sql import Sql
    from province import populate

    timings = populate(url, n)
    engine = Engine.open(url, entry_points=False)
    try:
        token = add_actor(engine, "scale_office", "示范省政府办（压测）", ["office"], "p")
        with orm.db_session:
            sql = Sql(engine.db)
            town = sql.scalar("SELECT id FROM region WHERE code = ?", ("c5k5t5",))
            project = sql.scalar("SELECT id FROM project WHERE code = ?", (f"P2025-{n // 2 + 1:06d}",))
            counts = {t: sql.scalar(f"SELECT COUNT(*) FROM {t}") for t in ("project", "audit_record")}
            in_town = sql.scalar("SELECT COUNT(*) FROM project WHERE region_id = ?", (town,))
    finally:
        engine.close()
    return {"token": token, "town": to_global_id("Region", town), "project": to_global_id("Project", project),
            "timings": timings, "counts": counts, "in_town": in_town}


def run_build(engine_repo: Path, url: str, n: int, tmp: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(engine_repo)}
    out = tmp / f"build-{n}.json"
    subprocess.run([sys.executable, __file__, "--build", url, "--size", str(n), "--out", str(out)], env=env,
                   check=True, cwd=tmp)
    return json.loads(out.read_text())


def scenarios(http, port: int, built: dict) -> list:
    def body(query: str, variables: dict | None = None) -> bytes:
        return json.dumps({"query": query, "variables": variables or {}}).encode()

    fixed = {
        QUERIES[0]: body(PAGE),
        QUERIES[1]: body(PAGE, {"filter": {"region": built["town"]}}),
        QUERIES[2]: body(ROLLUP),
        QUERIES[3]: body(ONE, {"id": built["project"]}),
        QUERIES[4]: body(DASHBOARD),
        QUERIES[5]: body(SAME_PAGE, {"filter": {"region": built["town"]}, "first": built["same_page"]}),
    }
    return [http.Scenario(name, port, "/graphql", (lambda c, i, b=b: b), built["token"]) for name, b in fixed.items()]


def measure(http, engine_repo: Path, url: str, built: dict, clients: list[int], requests: int, tmp: Path,
            threads: int, chosen: list[str]) -> dict[tuple[str, int], tuple[float, float, float]]:
    """(query, clients) → (p50 ms, p99 ms, the server's CPU ms per request), with the result cache off."""
    env = {**os.environ, "PYTHONPATH": str(engine_repo)}
    port = http.free_port()
    server = http.start(["-m", "engine.cli", "serve", "--db", url, "--port", str(port), "--threads", str(threads),
                         "--no-result-cache", "--budget", "1000000000", "--public-budget", "1000000000",
                         "--max-cost", "1000000000", "--timeout", "60"], env, tmp / "server.log")
    figures = {}
    try:
        http.wait_ready(port, "/healthz", server)
        settle(http, server.pid)
        for n_clients in clients:
            for scenario in (s for s in scenarios(http, port, built) if s.name in chosen):
                asyncio.run(http.load(scenario, max(n_clients * 2, requests // 10), n_clients, record=False))
                asyncio.run(http.load(scenario, max(requests, n_clients * 4), n_clients, server=server.pid))
                figures[(scenario.name, n_clients)] = (http.percentile(scenario.latencies, 0.5) * 1000,
                                                       http.percentile(scenario.latencies, 0.99) * 1000,
                                                       scenario.server_cpu / len(scenario.latencies) * 1000)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return figures


def settle(http, pid: int, limit: float = 120.0) -> None:
    """Until the server is idle (less than 20 ms of CPU in half a second): work it does at start-up on a large
    database (its first tick) is not charged to the first query measured."""
    until = time.monotonic() + limit
    while time.monotonic() < until:
        before = http.cpu_seconds(pid)
        time.sleep(0.5)
        if http.cpu_seconds(pid) - before < 0.02:
            return


def database(backend: str, n: int, args: argparse.Namespace, tmp: Path, folder: Path) -> tuple[str, object]:
    """(a URL of an empty database, what removes it afterwards)."""
    if backend == "sqlite":
        path = folder / f"scale-{n}.db"
        for old in folder.glob(f"scale-{n}.db*"):
            old.unlink()
        return f"sqlite:///{path}", (lambda: None)
    import uuid

    import psycopg2

    schema = f"scale_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(args.pg)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in args.pg else "?"

    def drop() -> None:
        admin.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()

    return f"{args.pg}{separator}options=-c%20search_path%3D{schema}", drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000", help="project counts, smallest first")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--clients", default="1,16")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per query and client count")
    parser.add_argument("--threads", type=int, default=8, help="the server's worker threads")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--engine", default=str(REPO), help="the checkout whose engine builds and serves")
    parser.add_argument("--queries", help="numbers of the queries to measure (1-6, comma-separated; default all)")
    parser.add_argument("--keep", help="a folder to keep the SQLite databases in")
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        Path(args.out).write_text(json.dumps(build(args.build, args.size)))
        return 0
    http = _http_helpers()
    chosen = [QUERIES[int(q) - 1] for q in args.queries.split(",")] if args.queries else list(QUERIES)
    sizes = [int(s) for s in args.sizes.split(",")]
    clients = [int(c) for c in args.clients.split(",")]
    engine_repo = Path(args.engine).resolve()
    print(f"engine: {engine_repo}; sizes {sizes}; clients {clients}; {args.requests} requests per figure; "
          f"server threads {args.threads}; result cache off; {os.cpu_count()} CPUs")
    results: dict[str, dict[int, dict]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        folder = Path(args.keep) if args.keep else tmp
        folder.mkdir(parents=True, exist_ok=True)
        for backend in args.backends.split(","):
            same_page = None  # the town's projects at the smallest size: the page both sizes list
            for n in sizes:
                url, drop = database(backend, n, args, tmp, folder)
                try:
                    started = time.perf_counter()
                    built = run_build(engine_repo, url, n, tmp)
                    same_page = built["same_page"] = same_page or max(1, min(50, built["in_town"]))
                    print(f"{backend} {n:>7,} projects: built in {time.perf_counter() - started:.0f} s "
                          f"(import {built['timings']['import']:.1f} s; rows {built['counts']})", flush=True)
                    figures = measure(http, engine_repo, url, built, clients, args.requests, tmp, args.threads,
                                      chosen)
                    results.setdefault(backend, {})[n] = figures
                    for (query, c), (p50, p99, cpu) in figures.items():  # as measured, in case a later step fails
                        print(f"  {query:<32}{c:>3} clients  p50 {p50:8.2f} ms  p99 {p99:8.2f} ms"
                              f"  server CPU {cpu:7.2f} ms/request", flush=True)
                finally:
                    drop()
    report(results, sizes, clients, chosen)
    return 0


def report(results: dict[str, dict[int, dict]], sizes: list[int], clients: list[int], chosen: list[str]) -> None:
    small, large = sizes[0], sizes[-1]
    for backend, by_size in results.items():
        print(f"\n{backend}: p50 / p99 ms and the server's CPU ms per request at {small:,} and {large:,} projects;"
              " growth = ratio of p50 (and of CPU ms), target ≤ 1.5×")
        print(f"{'query':<32}{'clients':>8}" + "".join(f"{f'{n:,} p50':>13}{'p99':>9}{'CPU':>8}" for n in sizes)
              + f"{'growth':>9}{'CPU':>7}")
        for query in chosen:
            for c in clients:
                cells = "".join("{:>13.2f}{:>9.2f}{:>8.2f}".format(*by_size[n][(query, c)]) for n in sizes)
                growth = by_size[large][(query, c)][0] / by_size[small][(query, c)][0]
                cpu = by_size[large][(query, c)][2] / max(by_size[small][(query, c)][2], 1e-9)
                verdict = "PASS" if growth <= 1.5 else "FAIL"
                print(f"{query:<32}{c:>8}{cells}{growth:>8.1f}×{cpu:>6.1f}×  {verdict}")


if __name__ == "__main__":
    sys.exit(main())
