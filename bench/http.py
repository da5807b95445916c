"""HTTP throughput and latency of the real server (uvicorn, one worker, SQLite) against a bare Starlette endpoint.

    python bench/http.py [--requests 3000] [--concurrency 16] [--threads 8] [--workflows DIR] [--no-result-cache]
                         [--no-group-commit] [--db postgresql://…/test --workers 2]

Builds the demo district in a temporary SQLite file, adds projects for the write test, starts ``minsheng serve``
and a bare Starlette JSON app (same uvicorn settings: uvloop, httptools, no access log) as subprocesses on free
ports, then sends a fixed number of requests per scenario from ``--concurrency`` keep-alive connections (a small
asyncio HTTP/1.1 client, on uvloop). The load generator shares the machine's CPUs with the server, so every figure
is also given as a ratio to the bare endpoint measured the same way. Every response is checked (status 200, no
``errors``, no ``userErrors`` for the mutation).

Two more figures (issue 9): the 50-project page on a second server without the result cache (every request
executes: the path filters, cursors and new callers take), and ``fireTransition`` with group commit (on by
default on SQLite; ``--no-group-commit`` runs the server with ``MINSHENG_GROUP_COMMIT=0`` to compare), printed
next to the engine function's own rate: ``fire_transition`` called in this process, one thread, on the same
database before the servers start. Targets: fireTransition ≥ 1,500/s, the uncached page ≥ 500/s.

With ``--db`` a PostgreSQL URL, everything runs in a fresh schema of that database (dropped afterwards) and the
servers run ``--workers`` processes each.
"""
from __future__ import annotations

import sys
from pathlib import Path

# this file is named like the stdlib `http` package: take its folder off the path, put the repository on it
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Callable  # noqa: E402

PAGE = ("{ projects(first: 50) { edges { node { id code title state { name label } "
        "region { name } leadUnit { name } } } } }")
ONE = ("query($id: ID!) { project(id: $id) { code title state { label } history(first: 20) { seq event actorName "
       "at fields } availableTransitions { event label allowed reasons } } }")
FIRE = ("mutation($input: FireTransitionInput!) { fireTransition(input: $input) { fromState toState seq "
        "project { version } userErrors { code message } } }")
CYCLES = {"simple": (("pause", {}), ("resume", {})),  # approved → paused → back (@return), repeatable
          "minsheng": (("suspend", {"reason": "压测：暂缓"}), ("resume", {}))}
TARGETS = {"fireTransition": 1500.0, "projects(first: 50)": 250.0, "projects(first: 50), no result cache": 500.0}


@dataclass
class Scenario:
    name: str
    port: int
    path: str
    body: Callable[[int, int], bytes] | None  # (connection, i) → JSON body; None for GET
    token: str = ""
    mutation: bool = False
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the serving processes used while the measured requests ran


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request_bytes(scenario: Scenario, connection: int, i: int) -> bytes:
    if scenario.body is None:
        return f"GET {scenario.path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()
    body = scenario.body(connection, i)
    head = (f"POST {scenario.path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {scenario.token}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    return int(lines[0].split()[1]), await reader.readexactly(int(headers["content-length"]))


def check(scenario: Scenario, status: int, body: bytes) -> None:
    bad = status != 200 or b'"errors"' in body or (scenario.mutation and b'"userErrors":[]' not in body)
    if bad:
        raise RuntimeError(f"{scenario.name}: unexpected response {status}: {body[:300]!r}")


async def client(scenario: Scenario, connection: int, indexes: list[int], record: bool) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", scenario.port)
    try:
        while indexes:
            i = indexes.pop()
            started = time.perf_counter()
            writer.write(request_bytes(scenario, connection, i))
            status, body = await read_response(reader)
            if record:
                scenario.latencies.append(time.perf_counter() - started)
            check(scenario, status, body)
    finally:
        writer.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process and its live descendants, from /proc (0 elsewhere)."""
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return total


async def load(scenario: Scenario, requests: int, concurrency: int, record: bool = True,
               server: int | None = None) -> None:
    """``requests`` requests over ``concurrency`` connections; connection c sends its own share in order."""
    shares = [list(reversed(range(c, requests, concurrency))) for c in range(concurrency)]
    started, cpu = time.perf_counter(), cpu_seconds(server) if server else 0.0
    await asyncio.gather(*(client(scenario, c, shares[c], record) for c in range(concurrency)))
    if record:
        scenario.elapsed = time.perf_counter() - started
        scenario.server_cpu = cpu_seconds(server) - cpu if server else 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(scenarios: list[Scenario]) -> None:
    bare = len(scenarios[0].latencies) / scenarios[0].elapsed
    print(f"\n{'scenario':<44}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'÷ bare':>9}{'CPU ms':>9}  target")
    for s in scenarios:
        rate = len(s.latencies) / s.elapsed
        target = TARGETS.get(s.name.split(" [")[0])
        verdict = "" if target is None else f"≥ {target:.0f}/s {'PASS' if rate >= target else 'FAIL'}"
        print(f"{s.name:<44}{rate:>9.0f}{percentile(s.latencies, 0.5) * 1000:>9.2f}"
              f"{percentile(s.latencies, 0.99) * 1000:>9.2f}{rate / bare:>9.3f}"
              f"{s.server_cpu / len(s.latencies) * 1000:>9.3f}  {verdict}")
    print("CPU ms: the serving processes' CPU time per request (user + system, from /proc): on a shared machine, "
          "what a request costs even when the server cannot get a whole core")


def bare_server(port: int) -> None:
    """The ceiling: one Starlette JSON route under the server's own uvicorn settings."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from engine.api.serve import server_config

    async def hello(request: object) -> JSONResponse:
        return JSONResponse({"data": {"hello": "world"}})

    uvicorn.Server(server_config(Starlette(routes=[Route("/json", hello)]), "127.0.0.1", port)).run()


def prepare(url: str, extra: int) -> tuple[str, str, list[str], list[str]]:
    """Build the demo and ``extra`` approved projects; (workflow, office token, all project ids, cycle ids). The
    last of them is kept for ``engine_rate``."""
    from engine.api.ids import to_global_id
    from engine.clock import Clock
    from engine.core import Engine
    from engine.demo import build_demo
    from engine.demo.build import add_project
    from engine.demo.data import ProjectSeed

    engine = Engine.open(url, clock=Clock())
    demo = build_demo(engine)
    for n in range(extra):
        seed = ProjectSeed(f"BENCH-{n:03d}", "pingan", "edu", "approved", "教育", "100", f"压测项目{n}", "压测")
        add_project(demo, seed, n)
    engine.close()
    ids = [to_global_id("Project", p.id) for p in demo.projects.values()]
    cycle = [to_global_id("Project", p.id) for code, p in demo.projects.items() if code.startswith("BENCH-")]
    return demo.workflow, demo.tokens["office"], ids, cycle


def engine_rate(url: str, workflow: str, project: str, transitions: int = 1000) -> float:
    """Transitions per second of ``fire_transition`` itself (one thread, in this process) on ``project``: the
    same events, plugins and database as the server's, without HTTP and GraphQL; the project ends as it began."""
    from pony import orm

    from engine.api.ids import from_global_id
    from engine.clock import Clock
    from engine.core import Engine
    from engine.directory.actors import by_username
    from engine.storage.sql import Sql
    from engine.transition import TransitionRequest, fire_transition

    engine = Engine.open(url, clock=Clock())
    with orm.db_session:
        office = by_username(Sql(engine.db), "office")
    pid, events = from_global_id(project, "Project", []), CYCLES[workflow]
    started = time.perf_counter()
    for i in range(transitions):
        event, fields = events[i % 2]
        fire_transition(engine, office, TransitionRequest(pid, event, fields))
    rate = transitions / (time.perf_counter() - started)
    engine.close()
    return rate


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, *args], stdout=out, stderr=subprocess.STDOUT, env=env)


def wait_ready(port: int, path: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("a server exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
                if s.recv(100).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no answer on port {port} within 60 s")


def scenarios(app: int, uncached: int, bare: int, workflow: str, token: str, ids: list[str],
              cycle: list[str]) -> list[Scenario]:
    events = CYCLES[workflow]

    fired = [0] * len(cycle)

    def fire(c: int, i: int) -> bytes:  # connection c owns cycle[c] and alternates the two events on it
        event, fields = events[fired[c] % 2]
        fired[c] += 1
        return json.dumps({"query": FIRE, "variables": {"input": {"projectId": cycle[c], "event": event,
                                                                   "fields": fields}}}).encode()

    page = json.dumps({"query": PAGE}).encode()
    return [Scenario("bare Starlette JSON (ceiling)", bare, "/json", None),
            Scenario("GET /healthz", app, "/healthz", None),
            Scenario("projects(first: 50)", app, "/graphql", lambda c, i: page, token),
            Scenario("projects(first: 50), no result cache", uncached, "/graphql", lambda c, i: page, token),
            Scenario("project(id) + history + availableTransitions", app, "/graphql",
                     lambda c, i: json.dumps({"query": ONE, "variables": {"id": ids[i % len(ids)]}}).encode(), token),
            Scenario("fireTransition", app, "/graphql", fire, token, mutation=True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--threads", type=int, default=8, help="the server's worker threads")
    parser.add_argument("--workflows", help="folder of workflow files (MINSHENG_WORKFLOWS) for server and demo")
    parser.add_argument("--no-result-cache", action="store_true",
                        help="run the server without its query result cache (every query executes)")
    parser.add_argument("--no-group-commit", action="store_true",
                        help="run the server with each transition in a transaction of its own")
    parser.add_argument("--db", help="a PostgreSQL URL: run in a fresh schema of it instead of a SQLite file")
    parser.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL only)")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server)
        return 0
    if args.workflows:
        os.environ["MINSHENG_WORKFLOWS"] = str(Path(args.workflows).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        return run(args, Path(tmp))


def run(args: argparse.Namespace, tmp: Path) -> int:
    if not args.db:
        return measure_on(args, tmp, f"sqlite:///{tmp / 'bench.db'}")
    from bench.transitions import pg_engine_url  # a fresh schema: (the URL that uses it, what drops it)

    url, drop = pg_engine_url(args.db)
    try:
        return measure_on(args, tmp, url)
    finally:
        drop()


def measure_on(args: argparse.Namespace, tmp: Path, url: str) -> int:
    workflow, token, ids, cycle = prepare(url, args.concurrency + 1)
    own_rate = engine_rate(url, workflow, cycle.pop())
    app_port, uncached_port, bare_port = free_port(), free_port(), free_port()
    path = [str(Path(__file__).resolve().parent.parent), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)}
    if args.no_group_commit:
        env["MINSHENG_GROUP_COMMIT"] = "0"
    budget = ["--budget", "1000000000", "--public-budget", "1000000000"]  # costs are estimated and charged, never refused

    def serve(port: int, cache: list[str], log: str) -> subprocess.Popen:
        return start(["-m", "engine.cli", "serve", "--db", url, "--port", str(port), "--threads", str(args.threads),
                      "--workers", str(args.workers), *cache, *budget], env, tmp / log)

    servers = [serve(app_port, ["--no-result-cache"] if args.no_result_cache else [], "server.log"),
               serve(uncached_port, ["--no-result-cache"], "uncached.log"),
               start([__file__, "--bare-server", str(bare_port)], env, tmp / "bare.log")]
    try:
        wait_ready(app_port, "/healthz", servers[0])
        wait_ready(uncached_port, "/healthz", servers[1])
        wait_ready(bare_port, "/json", servers[2])
        todo = scenarios(app_port, uncached_port, bare_port, workflow, token, ids, cycle)
        grouped = not args.no_group_commit and (not args.db or env.get("MINSHENG_GROUP_COMMIT") == "1")
        print(f"{len(ids)} projects on workflow '{workflow}', {args.requests} requests per scenario, "
              f"{args.concurrency} connections, server threads {args.threads}, {os.cpu_count()} CPUs, "
              f"result cache {'off' if args.no_result_cache else 'on'}, "
              f"group commit {'on' if grouped else 'off'}, "
              f"{'PostgreSQL' if args.db else 'SQLite'}, {args.workers} worker(s)")
        pids = {app_port: servers[0].pid, uncached_port: servers[1].pid, bare_port: servers[2].pid}
        asyncio.run(measure(todo, args.requests, args.concurrency, pids))
        report(todo)
        fire = next(s for s in todo if s.name == "fireTransition")
        print(f"\nfireTransition over HTTP {len(fire.latencies) / fire.elapsed:.0f}/s with {args.concurrency} clients; "
              f"the engine function alone (fire_transition, one thread, same database) {own_rate:.0f}/s")
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=15)
    return 0


async def measure(todo: list[Scenario], requests: int, concurrency: int, servers: dict[int, int]) -> None:
    for scenario in todo:
        await load(scenario, max(requests // 10, concurrency * 2), concurrency, record=False)  # warm-up
        await load(scenario, requests, concurrency, server=servers.get(scenario.port))


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    sys.exit(main())
