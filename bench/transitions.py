"""Transitions per second through the engine function vs the same work as hand-written SQL (the floor).

    python bench/transitions.py [--n 3000] [--pg postgresql://postgres@127.0.0.1:5432/test]

Single thread. The engine figure includes everything a real transition does: row lock, area and role checks,
field validation, guards, the state machine, the hash-chained audit record and the commit (SQLite: WAL,
synchronous=FULL). The hand-written figure does one SELECT, one UPDATE with a version check, one INSERT of an audit
row with a sha256, and a commit, through the database driver directly.
"""
from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

# this file is named like the `transitions` package: take its folder off the path, put the repository on it
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.clock import Clock  # noqa: E402
from engine.core import Engine  # noqa: E402
from engine.transition import TransitionRequest, fire_transition  # noqa: E402
from tests.district import build_district  # noqa: E402

WORKFLOW = Path(__file__).resolve().parent.parent / "tests" / "workflows" / "simple.yaml"


def engine_rate(url: str, n: int) -> float:
    clock = Clock()
    engine = Engine.open(url, entry_points=False, workflow_files=[WORKFLOW], clock=clock)
    district = build_district(engine)
    office = district.actor("county_office")
    committee = district.actor("committee")
    pid = district.project()
    fire_transition(engine, committee, TransitionRequest(pid, "approve", {"decision_no": "X"}))
    events = ["pause", "resume"]  # a repeatable pair: approved → paused → back to approved
    start = time.perf_counter()
    for i in range(n):
        fire_transition(engine, office, TransitionRequest(pid, events[i % 2], {}))
    elapsed = time.perf_counter() - start
    engine.close()
    return n / elapsed


SCHEMA = """CREATE TABLE p (id INTEGER PRIMARY KEY, state TEXT, version INTEGER, seq INTEGER, head TEXT);
CREATE TABLE a (id INTEGER PRIMARY KEY, project_id INTEGER, seq INTEGER, event TEXT, from_state TEXT,
 to_state TEXT, at TEXT, hash TEXT)"""


def raw_sqlite_rate(path: str, n: int) -> float:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = FULL")
    for statement in SCHEMA.split(";"):
        con.execute(statement)
    con.execute("INSERT INTO p VALUES (1, 'approved', 1, 1, '')")
    start = time.perf_counter()
    for i in range(n):
        con.execute("BEGIN IMMEDIATE")
        state, version, seq, head = con.execute("SELECT state, version, seq, head FROM p WHERE id = 1").fetchone()
        dest = "paused" if state == "approved" else "approved"
        digest = hashlib.sha256(f"{head}{seq}{dest}".encode()).hexdigest()
        con.execute("UPDATE p SET state = ?, version = version + 1, seq = ?, head = ? WHERE id = 1 AND version = ?",
                    (dest, seq + 1, digest, version))
        con.execute("INSERT INTO a (project_id, seq, event, from_state, to_state, at, hash) VALUES (1, ?, ?, ?, ?, ?, ?)",
                    (seq + 1, "e", state, dest, "2024-03-01 09:00:00", digest))
        con.execute("COMMIT")
    return n / (time.perf_counter() - start)


def raw_pg_rate(url: str, n: int) -> float:
    import psycopg2

    con = psycopg2.connect(url)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    cur = con.cursor()
    cur.execute(f"CREATE SCHEMA {schema}; SET search_path = {schema}")
    cur.execute(SCHEMA.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY"))
    cur.execute("INSERT INTO p VALUES (1, 'approved', 1, 1, '')")
    con.commit()
    start = time.perf_counter()
    for _ in range(n):
        cur.execute("SELECT state, version, seq, head FROM p WHERE id = 1 FOR UPDATE")
        state, version, seq, head = cur.fetchone()
        dest = "paused" if state == "approved" else "approved"
        digest = hashlib.sha256(f"{head}{seq}{dest}".encode()).hexdigest()
        cur.execute("UPDATE p SET state = %s, version = version + 1, seq = %s, head = %s WHERE id = 1 AND version = %s",
                    (dest, seq + 1, digest, version))
        cur.execute("INSERT INTO a (project_id, seq, event, from_state, to_state, at, hash) VALUES (1, %s, %s, %s, %s,"
                    " %s, %s)", (seq + 1, "e", state, dest, "2024-03-01 09:00:00", digest))
        con.commit()
    rate = n / (time.perf_counter() - start)
    cur.execute(f"DROP SCHEMA {schema} CASCADE")
    con.commit()
    return rate


def pg_engine_url(url: str) -> tuple[str, callable]:
    import psycopg2

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(url)
    admin.autocommit = True
    admin.cursor().execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-c%20search_path%3D{schema}", lambda: admin.cursor().execute(
        f"DROP SCHEMA {schema} CASCADE")


def report(label: str, engine: float, raw: float) -> None:
    print(f"{label:<11} engine {engine:8.0f} transitions/s   hand-written SQL {raw:8.0f}/s   "
          f"engine = {engine / raw:6.1%} of hand-written")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = raw_sqlite_rate(f"{tmp}/raw.db", args.n)
        eng = engine_rate(f"sqlite:///{tmp}/engine.db", args.n)
    report("SQLite", eng, raw)
    try:
        url, cleanup = pg_engine_url(args.pg)
    except Exception as exc:  # PostgreSQL not reachable: SQLite figures only
        print(f"PostgreSQL    skipped ({type(exc).__name__}: {exc})".splitlines()[0])
        return
    try:
        report("PostgreSQL", engine_rate(url, args.n), raw_pg_rate(args.pg, args.n))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
