"""Transitions per second through the engine function vs the same work as hand-written SQL (the floor).

    python bench/transitions.py [--n 3000] [--pg postgresql://postgres@127.0.0.1:5432/test]

Single thread. The engine figure includes everything a real transition does: row lock, area and role checks,
field validation, guards, the state machine, the hash-chained audit record and the commit (SQLite: WAL,
synchronous=FULL). The hand-written figure does the same writes on the same
tables (created by the engine's migrations, with their indexes and triggers): one SELECT of the project (FOR UPDATE
on PostgreSQL), one UPDATE with the version check, one INSERT of the hash-chained audit row, and a commit, through
the database driver directly.
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


def prepared_project(url: str) -> int:
    """A project in the engine's own tables (migrations, indexes and triggers included), approved and ready."""
    engine = Engine.open(url, entry_points=False, workflow_files=[WORKFLOW], clock=Clock())
    district = build_district(engine)
    pid = district.project()
    fire_transition(engine, district.actor("committee"), TransitionRequest(pid, "approve", {"decision_no": "X"}))
    engine.close()
    return pid


SELECT = "SELECT state, version, audit_seq, audit_head FROM project WHERE id = {p}"
UPDATE = ("UPDATE project SET state = {p}, previous_state = {p}, version = version + 1, audit_seq = {p}, "
          "audit_head = {p}, updated_at = {p} WHERE id = {p} AND version = {p}")
INSERT = ("INSERT INTO audit_record (project_id, seq, kind, event, from_state, to_state, actor_id, actor_name, at, "
          "fields, comment, prev_hash, hash) VALUES ({p}, {p}, 'transition', {p}, {p}, {p}, 1, 'clerk', {p}, '{{}}', "
          "NULL, {p}, {p})")


def hand_written(cursor, mark: str, pid: int, lock: str = "") -> None:
    """One transition as hand-written SQL on the same tables: read, update with the version check, audit row."""
    cursor.execute(SELECT.format(p=mark) + lock, (pid,))
    state, version, seq, head = cursor.fetchone()
    dest = "paused" if state == "approved" else "approved"
    at = "2024-03-01 09:00:00.000000"
    digest = hashlib.sha256(f"{head}{pid}{seq + 1}{dest}{at}".encode()).hexdigest()
    cursor.execute(UPDATE.format(p=mark), (dest, state, seq + 1, digest, at, pid, version))
    cursor.execute(INSERT.format(p=mark), (pid, seq + 1, "pause" if dest == "paused" else "resume", state, dest,
                                           at, head, digest))


def raw_sqlite_rate(path: str, n: int) -> float:
    pid = prepared_project(f"sqlite:///{path}")
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("busy_timeout = 10000", "journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
        con.execute(f"PRAGMA {pragma}")
    cursor = con.cursor()
    start = time.perf_counter()
    for _ in range(n):
        cursor.execute("BEGIN IMMEDIATE")
        hand_written(cursor, "?", pid)
        cursor.execute("COMMIT")
    return n / (time.perf_counter() - start)


def raw_pg_rate(url: str, n: int) -> float:
    import psycopg2

    engine_url, cleanup = pg_engine_url(url)
    try:
        pid = prepared_project(engine_url)
        con = psycopg2.connect(url, options=f"-c search_path={engine_url.rsplit('%3D', 1)[1]}")
        cursor = con.cursor()
        start = time.perf_counter()
        for _ in range(n):
            hand_written(cursor, "%s", pid, " FOR UPDATE")
            con.commit()
        rate = n / (time.perf_counter() - start)
        con.close()
        return rate
    finally:
        cleanup()


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
