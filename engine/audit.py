"""The audit log: append-only records per project, chained by hashes so that tampering shows.

Each record's hash is sha256 over the previous record's hash and the record's own canonical JSON. The project row
keeps the sequence number and hash of its newest record, so deleting the last records shows too.
``verify`` walks every chain and names the first broken record of each.

Kinds (``KINDS``): ``create`` and ``transition`` (written by the engine), ``edit`` (a change of the project's
details or a plugin's plan records), ``progress`` (a progress report 进度报告) and ``notice`` (a supervision notice
督办单 issued, signed for, answered or closed); the last three change no state and are appended with
``append_record`` inside the caller's transaction. ``migrate`` records a move to another workflow version
(``engine.version_migration``). Plugins add kinds of their own for their records (``funding``, ``inspection``,
``rating``) and ``correction`` for a reversal of one: see ``engine.chain``, whose ``verify`` also compares each
plugin record row with the chain.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterator

from engine.errors import Conflict
from engine.storage.sql import Sql, _sqlite_value, to_datetime

GENESIS = "0" * 64
KINDS = ("create", "transition", "edit", "progress", "notice", "migrate")
STATELESS_KINDS = ("edit", "progress", "notice")  # records that leave the project's state as it is
STATE_KINDS = ("create", "transition")  # records only the engine writes, each with its state change


@dataclass(frozen=True)
class AuditEntry:
    project_id: int
    seq: int
    kind: str  # one of KINDS
    event: str
    from_state: str | None
    to_state: str
    actor_id: int | None
    actor_name: str
    at: dt.datetime
    fields: str  # canonical JSON
    comment: str | None
    prev_hash: str

    def digest(self) -> str:
        body = {
            "project": self.project_id, "seq": self.seq, "kind": self.kind, "event": self.event,
            "from": self.from_state, "to": self.to_state, "actor": self.actor_id, "actor_name": self.actor_name,
            "at": self.at.isoformat(timespec="microseconds"), "fields": self.fields, "comment": self.comment or "",
        }
        canonical = _CANONICAL.encode(body)
        return hashlib.sha256((self.prev_hash + canonical).encode("utf-8")).hexdigest()


# what json.dumps(…, sort_keys=True, ensure_ascii=False, separators=(",", ":")[, default=str]) writes, with the
# encoder built once rather than per call (a tick appends hundreds of thousands of records)
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
_CANONICAL_STR = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def canonical_json(values: dict[str, Any]) -> str:
    return _CANONICAL_STR.encode(values)


INSERT = ("INSERT INTO audit_record (project_id, seq, kind, event, from_state, to_state, actor_id, actor_name, at,"
          " fields, comment, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def append(sql: Sql, entry: AuditEntry) -> str:
    """Write ``entry`` and return its hash. The caller updates the project's ``audit_seq``/``audit_head``."""
    digest = entry.digest()
    sql.execute(INSERT, (entry.project_id, entry.seq, entry.kind, entry.event, entry.from_state, entry.to_state,
                         entry.actor_id, entry.actor_name, entry.at, entry.fields, entry.comment,
                         entry.prev_hash, digest))
    return digest


SYSTEM_ACTOR = "系统"  # the name on records no person wrote (the supervision tick)


def append_record(sql: Sql, project_id: int, kind: str, event: str, actor_id: int | None, actor_name: str,
                  at: dt.datetime, fields: dict[str, Any], comment: str | None = None) -> AuditEntry:
    """Append a record that changes no state (``kind`` ``edit``, ``progress`` or ``notice``) to the project's chain, in the
    caller's transaction, and move the project's ``audit_seq``/``audit_head`` to it; return the record.

    The caller should hold the project's row lock (``engine.transition.locate(..., lock=True)``); without it a
    concurrent append is detected and raises ``Conflict``, and the caller's transaction must then roll back.
    """
    if kind in STATE_KINDS:
        raise ValueError(f"append_record writes records that change no state, not {kind!r}")
    row = sql.one("SELECT state, audit_seq, audit_head FROM project WHERE id = ?" + sql.for_update(), (project_id,))
    if row is None:
        raise ValueError(f"project {project_id} does not exist")
    state, seq, head = row
    entry = AuditEntry(project_id, seq + 1, kind, event, state, state, actor_id, actor_name, at,
                       canonical_json(fields), comment, head)
    digest = append(sql, entry)
    updated = sql.execute("UPDATE project SET audit_seq = ?, audit_head = ?, updated_at = ? WHERE id = ? AND"
                          " audit_seq = ?", (entry.seq, digest, at, project_id, seq))
    if updated.rowcount != 1:
        raise Conflict("someone else changed this project at the same moment; reload and try again")
    return entry


@dataclass(slots=True)
class NewRecord:
    """A record for ``append_records``: what ``append_record`` takes, one project's at a time."""

    project_id: int
    kind: str
    event: str
    actor_id: int | None
    actor_name: str
    at: dt.datetime
    fields: dict[str, Any]
    comment: str | None = None


CHUNK = 500  # projects per statement


def append_records(sql: Sql, records: list[NewRecord]) -> list[AuditEntry]:
    """``append_record`` for many records at once (a project's records in the order given), in a few statements
    whatever their number: the projects' rows locked in id order (PostgreSQL ``FOR UPDATE``), the records
    inserted, each project's ``audit_seq``/``audit_head`` moved once. Raises ``Conflict`` (the caller's
    transaction must roll back) when a project moved meanwhile; ``ValueError`` for a missing project."""
    for record in records:
        if record.kind not in STATELESS_KINDS:
            raise ValueError(f"append_records writes {' or '.join(STATELESS_KINDS)} records, not {record.kind!r}")
    ids = sorted({r.project_id for r in records})
    heads: dict[int, tuple[str, int, str]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for project_id, state, seq, head in sql.all(
                f"SELECT id, state, audit_seq, audit_head FROM project WHERE id IN ({', '.join('?' for _ in chunk)})"
                " ORDER BY id" + sql.for_update(), chunk):
            heads[project_id] = (state, int(seq), head)
    missing = [i for i in ids if i not in heads]
    if missing:
        raise ValueError(f"project {missing[0]} does not exist")
    before = {project_id: seq for project_id, (_, seq, _) in heads.items()}
    entries, rows, last_at = [], [], {}
    for r in records:
        state, seq, head = heads[r.project_id]
        entry = AuditEntry(r.project_id, seq + 1, r.kind, r.event, state, state, r.actor_id, r.actor_name, r.at,
                           canonical_json(r.fields), r.comment, head)
        digest = entry.digest()
        heads[r.project_id] = (state, seq + 1, digest)
        last_at[r.project_id] = r.at
        entries.append(entry)
        rows.append((entry.project_id, entry.seq, entry.kind, entry.event, entry.from_state, entry.to_state,
                     entry.actor_id, entry.actor_name, entry.at, entry.fields, entry.comment, entry.prev_hash, digest))
    sql.execute_many(INSERT, rows)
    moves = [(heads[i][1], heads[i][2], last_at[i], i, before[i]) for i in ids]
    if _move_heads(sql, moves) != len(moves):
        raise Conflict("someone else changed this project at the same moment; reload and try again")
    return entries


MOVE_HEAD = "UPDATE project SET audit_seq = ?, audit_head = ?, updated_at = ? WHERE id = ? AND audit_seq = ?"


def _move_heads(sql: Sql, moves: list[tuple]) -> int:
    """Each project's new (seq, head, updated at) where its seq is still the one read; the rows moved."""
    if sql.sqlite:
        cursor = sql.cursor()
        cursor.executemany(MOVE_HEAD, [[_sqlite_value(v) for v in m] for m in moves])
        return cursor.rowcount
    from psycopg2.extras import execute_values

    moved = 0
    cursor = sql.cursor()
    for start in range(0, len(moves), CHUNK):  # one statement per chunk, not a round trip per project
        chunk = moves[start:start + CHUNK]
        execute_values(cursor, "UPDATE project p SET audit_seq = v.seq, audit_head = v.head, updated_at = v.at "
                               "FROM (VALUES %s) AS v (seq, head, at, id, old) WHERE p.id = v.id AND "
                               "p.audit_seq = v.old", chunk, template="(%s, %s, %s::timestamp, %s, %s)",
                       page_size=len(chunk))
        moved += cursor.rowcount
    return moved


@dataclass(frozen=True)
class BrokenRecord:
    project_id: int
    project_code: str
    seq: int  # 0: the problem is a plugin row that no record names (``engine.chain.verify``)
    reason: str

    def __str__(self) -> str:
        where = f", record {self.seq}" if self.seq else ""
        return f"project {self.project_code} (id {self.project_id}){where}: {self.reason}"


SELECT_CHAIN = ("SELECT project_id, seq, kind, event, from_state, to_state, actor_id, actor_name, at, fields,"
                " comment, prev_hash, hash FROM audit_record WHERE project_id = ? ORDER BY seq")


def verify(sql: Sql, kinds: tuple[str, ...] = KINDS) -> list[BrokenRecord]:
    """Check every project's chain (records of ``kinds`` only); return the first broken record of each broken
    chain."""
    broken = []
    for project_id, code, seq, head in sql.all("SELECT id, code, audit_seq, audit_head FROM project ORDER BY id"):
        problem = first_break(sql, project_id, code, seq, head, kinds)
        if problem:
            broken.append(problem)
    return broken


def first_break(sql: Sql, project_id: int, code: str, last_seq: int, head: str, kinds: tuple[str, ...] = KINDS,
                entries: list[AuditEntry] | None = None) -> BrokenRecord | None:
    """The first broken record of one project's chain, or None; each record read is added to ``entries``."""
    expected_prev, expected_seq = GENESIS, 1
    for row in sql.all(SELECT_CHAIN, (project_id,)):
        entry = AuditEntry(*row[:8], to_datetime(row[8]), *row[9:12])
        stored_hash = row[12]
        if entries is not None:
            entries.append(entry)
        if entry.kind not in kinds:
            return BrokenRecord(project_id, code, entry.seq, f"unknown record kind {entry.kind!r}")
        if entry.seq != expected_seq:
            return BrokenRecord(project_id, code, expected_seq, f"record {expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return BrokenRecord(project_id, code, entry.seq, "does not follow the previous record's hash")
        if entry.digest() != stored_hash:
            return BrokenRecord(project_id, code, entry.seq, "content does not match its hash (altered)")
        expected_prev, expected_seq = stored_hash, expected_seq + 1
    if expected_seq - 1 != last_seq or expected_prev != (head if last_seq else GENESIS):
        return BrokenRecord(project_id, code, expected_seq, f"the log ends at record {expected_seq - 1} but the "
                            f"project has {last_seq} records (records were removed)")
    return None


def iter_history(sql: Sql, project_id: int, limit: int = 50, before_seq: int | None = None) -> Iterator[tuple]:
    """Records newest first: (seq, kind, event, from, to, actor_id, actor_name, at, fields, comment, hash)."""
    query = ("SELECT seq, kind, event, from_state, to_state, actor_id, actor_name, at, fields, comment, hash"
             " FROM audit_record WHERE project_id = ?")
    params: list[Any] = [project_id]
    if before_seq is not None:
        query += " AND seq < ?"
        params.append(before_seq)
    yield from sql.all(query + " ORDER BY seq DESC LIMIT ?", (*params, limit))
