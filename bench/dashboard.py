"""The dashboard at province size: ``dashboard`` over HTTP and the monthly bulletin of a county.

    python bench/dashboard.py [--projects 100000] [--small 1000] [--postgres postgresql://…] [--repeat 10]

For each size (``--small`` first, then ``--projects``) builds a province of 10 cities × 10 counties × 10 towns
(1,000 towns, five units per county) with the bulk builder of ``bench/schedule.py`` (projects mostly under way,
three targets, four measures and twelve monthly reports each) plus a funding plan from two sources and funds
received for every project, then runs the engine's tick once (maintained 序时进度 standings, supervision notices)
and, on PostgreSQL, ANALYZE (as autovacuum would after a bulk load).
Against ``minsheng serve`` (no result cache, no background tick, budgets that never refuse) it prints:

- ``dashboard`` with every field (by state, by child region, by lead unit, every plugin's figures) for the
  province, a city and a town: the first request and the median of ``--repeat``; target < 150 ms for the province;
- the same dashboard's counts alone (by state, child region, lead unit: no plugin figures) for the province, and
  ``fundingRollup`` for the province and year (target ≤ 10 ms, issue 9);
- ``GET /reports/monthly.xlsx`` for a county (this month): target < 5 s.
On SQLite, and on PostgreSQL too when ``--postgres`` names a database (each size in a fresh schema). Figures
only, no asserts.
"""
from __future__ import annotations

import sys
from pathlib import Path

# this file's folder holds bench/http.py, named like the stdlib package: take it off the path, put the repository on
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

from pony import orm  # noqa: E402

from engine.api.ids import to_global_id  # noqa: E402
from engine.clock import Clock  # noqa: E402
from engine.core import Engine  # noqa: E402
from engine.storage.sql import Sql  # noqa: E402


def _builder():
    """``bench/schedule.py`` as a module, with this benchmark's tree: 10 cities × 10 counties × 10 towns."""
    spec = importlib.util.spec_from_file_location("bench_schedule", HERE / "schedule.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_schedule"] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    module.CITIES, module.COUNTIES, module.TOWNS = 10, 10, 10
    return module


schedule = _builder()
TARGET_MS, TARGET_BULLETIN_S, TARGET_ROLLUP_MS = 150.0, 5.0, 10.0
CORE = """query($region: ID, $year: Int) { dashboard(region: $region, year: $year) { projects planned started completed
  completionRate startRate byState { state label count } byRegion { name projects planned completed completionRate
  startRate } byLeadUnit { name projects planned completed completionRate startRate } } }"""
ROLLUP = """query($region: ID, $year: Int) { fundingRollup(region: $region, year: $year) { projectCount budget planned
  received paid inPlaceRate disbursementRate bySource { source planned received } } }"""
DASHBOARD = """query($region: ID) { dashboard(region: $region) { projects planned started completed completionRate
  startRate byState { state label count } byRegion { name projects planned completed completionRate startRate }
  byLeadUnit { name projects planned completed completionRate startRate }
  figures { plugin figures { name value } tables { name rows { label values } } } } }"""
PLAN = ("INSERT INTO funding_plan (project_id, source, kind, amount_fen, note, set_by_id, set_by_name, set_at) "
        "VALUES (?, ?, '', ?, '', NULL, 'bench', ?)")
RECEIPT = ("INSERT INTO funding_receipt (project_id, source, kind, amount_fen, received_on, document_no, "
           "recorded_by_id, recorded_by_name, recorded_at) VALUES (?, ?, '', ?, ?, '', NULL, 'bench', ?)")


def build(url: str, n: int) -> schedule.Built:
    built = schedule.build(url, n)
    engine = Engine.open(url, clock=Clock())
    now = engine.clock.now()
    with orm.db_session(immediate=True):
        bulk = schedule.Bulk(engine)
        for start in range(1, n + 1, 5000):
            ids = range(start, min(n, start + 4999) + 1)
            bulk.many(PLAN, [(pid, source, 50_000_000, now) for pid in ids for source in ("provincial", "county")])
            bulk.many(RECEIPT, [(pid, "provincial", 40_000_000, now.date(), now) for pid in ids])
    started = time.perf_counter()
    engine.tick(engine.clock.today())
    tick = time.perf_counter() - started
    if not url.startswith("sqlite"):  # what autovacuum does after a bulk load; without it the planner sees empty tables
        with orm.db_session:
            Sql(engine.db).execute("ANALYZE")
    with orm.db_session:
        sql = Sql(engine.db)
        county = sql.scalar("SELECT code FROM region WHERE level = 'county' ORDER BY id LIMIT 1")
    engine.close()
    built.regions["county_code"] = county  # type: ignore[assignment]
    built.seconds += tick
    return built


def timed(call, repeat: int) -> tuple[float, float, object]:
    first, result = call()
    times = [call()[0] for _ in range(repeat)]
    return first * 1000, statistics.median(times) * 1000, result


def run_size(url: str, n: int, tmp: Path, repeat: int) -> None:
    kind = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    built = build(url, n)
    print(f"\n{n} projects on {kind}: built and ticked in {built.seconds:.1f} s")
    process, port = schedule.serve(url, tmp)
    try:
        schedule.post(port, built.token, json.dumps({"query": "{ __typename }"}).encode())
        for scope in ("province", "city", "town"):
            body = json.dumps({"query": DASHBOARD, "variables": {"region": to_global_id(
                "Region", built.regions[scope])}}).encode()

            def call(body: bytes = body) -> tuple[float, dict]:
                seconds, payload = schedule.post(port, built.token, body)
                if payload.get("errors"):
                    raise RuntimeError(f"dashboard ({scope}): {payload['errors'][0]}")
                return seconds, payload["data"]["dashboard"]

            first, median, found = timed(call, repeat)
            verdict = f"   < {TARGET_MS:.0f} ms {'PASS' if median < TARGET_MS else 'FAIL'}" if scope == "province" else ""
            print(f"  dashboard ({scope}, {found['projects']} projects)".ljust(44) +
                  f"first {first:8.1f} ms   median {median:8.1f} ms{verdict}")
        for label, query, target in (
                ("dashboard counts only (province)", CORE, None),
                (f"fundingRollup (province, {schedule.YEAR})", ROLLUP, TARGET_ROLLUP_MS)):
            body = json.dumps({"query": query, "variables": {"region": to_global_id(
                "Region", built.regions["province"]), "year": schedule.YEAR}}).encode()

            def plain(body: bytes = body, label: str = label) -> tuple[float, dict]:
                seconds, payload = schedule.post(port, built.token, body)
                if payload.get("errors"):
                    raise RuntimeError(f"{label}: {payload['errors'][0]}")
                return seconds, payload["data"]

            first, median, _ = timed(plain, repeat)
            verdict = f"   ≤ {target:.0f} ms {'PASS' if median <= target else 'FAIL'}" if target else ""
            print(f"  {label}".ljust(44) + f"first {first:8.1f} ms   median {median:8.1f} ms{verdict}")
        month = time.strftime("%Y-%m")

        def bulletin() -> tuple[float, int]:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/reports/monthly.xlsx?region={built.regions['county_code']}&month={month}",
                headers={"Authorization": f"Bearer {built.token}"})
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=300) as response:
                size = len(response.read())
            return time.perf_counter() - started, size

        first, median, size = timed(bulletin, max(1, repeat // 5))
        verdict = "PASS" if median / 1000 < TARGET_BULLETIN_S else "FAIL"
        print(f"  bulletin (county {built.regions['county_code']}, {size // 1024} KiB)".ljust(44) +
              f"first {first / 1000:8.2f} s    median {median / 1000:8.2f} s    < {TARGET_BULLETIN_S:.0f} s {verdict}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--postgres", help="also run on this PostgreSQL database (a fresh schema per size)")
    parser.add_argument("--repeat", type=int, default=10, help="requests per dashboard figure")
    args = parser.parse_args()
    print(f"targets: dashboard (province) < {TARGET_MS:.0f} ms, bulletin (county) < {TARGET_BULLETIN_S:.0f} s; "
          "result cache off")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in (args.small, args.projects):
            if n:
                run_size(schedule.sqlite_url(folder, f"dashboard-{n}.db"), n, folder, args.repeat)
            if n and args.postgres:
                url, cleanup = schedule.pg_schema_url(args.postgres)
                try:
                    run_size(url, n, folder, args.repeat)
                finally:
                    cleanup()  # type: ignore[operator]
    return 0


if __name__ == "__main__":
    sys.exit(main())
