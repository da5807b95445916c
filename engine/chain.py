"""Plugin records in the project's hash chain: one history of everything that happened to a project.

A plugin whose records matter to the history (funds received 资金到位, an inspection 视察, a rating 满意度测评 …)
appends an audit record of its own kind with ``append_row`` in the same transaction as the row, naming the table
and the row and carrying the row's content (never personal data). It declares each such table with
``minsheng_chained_tables`` (a ``ChainedTable``), so ``verify`` can compare every row with the latest chain record
that names it: a row altered, deleted or added behind the engine's back shows, naming the project and the record.

Corrections never edit or delete a row: a correcting entry (kind ``correction``) names the original and the
reason, and reverses it (see the plugins' ``reverse_*`` functions). Plugin writes are also repeat-safe with an
``idempotencyKey`` (``replayed``/``remember``: the same table as ``fireTransition``'s keys) and closed on a project
in a final state unless the workflow's state lists the record kind (``records: [rating]``).
"""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from engine import audit
from engine.audit import AuditEntry, BrokenRecord
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, Forbidden, InvalidInput
from engine.storage.sql import Sql
from engine.texts import normalize_newlines, text_problem

if TYPE_CHECKING:
    from engine.core import Engine
    from engine.storage.project_rows import ProjectRow

CORRECTION = "correction"  # 冲正: the record kind of every reversal, whichever plugin's record it reverses
KEY_PATH = ["input", "idempotencyKey"]
KEY_LIMIT = 100

Content = dict[str, Any]


@dataclass(frozen=True)
class ChainedTable:
    """A plugin table whose rows are in the projects' chains.

    ``kind`` is the plugin's record kind (``funding``); ``label`` names a row for people ("funds received 资金到位");
    ``read(sql, project_id)`` returns every row of the project as ``{row id: content}``, the content exactly as
    ``append_row`` was given it (plain values: see ``plain``), without the columns that change legitimately
    afterwards (a plan line's ``superseded_at``)."""

    kind: str
    table: str
    label: str
    read: Callable[[Sql, int], dict[int, Content]]


def digest(value: Any) -> str:
    """The SHA-256 of a value's canonical JSON: chains text that may name people (inspectors 视察人员) without
    putting it in the audit payload, while a change to it still shows."""
    return hashlib.sha256(audit.canonical_json({"v": value}).encode("utf-8")).hexdigest()


def plain(value: Any) -> Any:
    """A value as JSON keeps it: dates and times as ISO text, decimals as text, enums by value."""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def content_of(values: Mapping[str, Any]) -> Content:
    return {key: plain(value) for key, value in values.items()}


def append_row(sql: Sql, project_id: int, kind: str, event: str, actor_id: int | None, actor_name: str,
               at: dt.datetime, table: str, record_id: int, content: Mapping[str, Any]) -> AuditEntry:
    """Append the record of a row written in this transaction (``kind`` the plugin's, or ``CORRECTION``): its
    fields are the table, the row id and ``content`` (plain values, never personal data)."""
    fields = {"table": table, "record": record_id, **content_of(content)}
    return audit.append_record(sql, project_id, kind, event, actor_id, actor_name, at, fields)


# -- verification ------------------------------------------------------------------------------------------


def verify(sql: Sql, tables: Sequence[ChainedTable]) -> list[BrokenRecord]:
    """Check every project's chain and every chained row against it; the first problem of each project."""
    kinds = (*audit.KINDS, CORRECTION, *sorted({t.kind for t in tables}))
    broken = []
    for project_id, code, seq, head in sql.all("SELECT id, code, audit_seq, audit_head FROM project ORDER BY id"):
        entries: list[AuditEntry] = []
        problem = (audit.first_break(sql, project_id, code, seq, head, kinds, entries)
                   or _row_break(sql, project_id, code, entries, tables))
        if problem:
            broken.append(problem)
    return broken


def _row_break(sql: Sql, project_id: int, code: str, entries: Iterable[AuditEntry],
               tables: Sequence[ChainedTable]) -> BrokenRecord | None:
    latest: dict[tuple[str, int], tuple[int, Content]] = {}
    for entry in entries:
        if '"table"' not in entry.fields:
            continue
        fields = json.loads(entry.fields)
        if isinstance(fields, dict) and "table" in fields and "record" in fields:
            latest[(fields["table"], fields["record"])] = (entry.seq, fields)
    for table in tables:
        rows = table.read(sql, project_id)
        for record_id in sorted(rows):
            found = latest.pop((table.table, record_id), None)
            if found is None:
                return BrokenRecord(project_id, code, 0, f"{table.label} {record_id} ({table.table}) is not in the "
                                                         "history (written outside the engine)")
            seq, fields = found
            changed = [key for key, value in rows[record_id].items() if fields.get(key) != value]
            if changed:
                shown = ", ".join(f"{key} is {rows[record_id][key]!r} in the table but {fields.get(key)!r} in the "
                                  "history" for key in changed)
                return BrokenRecord(project_id, code, seq, f"{table.label} {record_id} ({table.table}) does not "
                                                           f"match its history record (altered): {shown}")
        for (name, record_id), (seq, _) in sorted(latest.items(), key=lambda item: item[1][0]):
            if name == table.table:
                return BrokenRecord(project_id, code, seq, f"{table.label} {record_id} ({table.table}) is in the "
                                                           "history but missing from the table (deleted)")
    return None


# -- idempotency -------------------------------------------------------------------------------------------


def check_key(key: Any) -> str | None:
    """The idempotency key as given (1 to 100 characters), or None."""
    if key is None:
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_LIMIT:
        raise InvalidInput([FieldProblem(KEY_PATH, f"must be 1 to {KEY_LIMIT} characters")])
    return key


def replayed(sql: Sql, actor: ActorView, key: str | None, project_id: int, event: str) -> int | None:
    """The record id an earlier request with this key wrote (it is answered again, nothing written), or None.
    Call it with the project row locked, so that two retries at once are answered one after the other."""
    if key is None or actor.id is None:
        return None
    row = sql.one("SELECT project_id, event, result FROM idempotency_key WHERE actor_id = ? AND key = ?",
                  (actor.id, key))
    if row is None:
        return None
    if (row[0], row[1]) != (project_id, event):
        raise InvalidInput([FieldProblem(KEY_PATH, f"this key was already used for '{row[1]}' on project {row[0]};"
                                                   " use a new key")])
    return int(json.loads(row[2])["record"])


def remember(sql: Sql, actor: ActorView, key: str | None, project_id: int, event: str, record_id: int,
             at: dt.datetime) -> None:
    """Keep the key with the record written, in the same transaction."""
    if key is None or actor.id is None:
        return
    sql.execute("INSERT INTO idempotency_key (actor_id, key, project_id, event, result, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (actor.id, key, project_id, event, json.dumps({"record": record_id}), at))


# -- final states ------------------------------------------------------------------------------------------


def check_open_for(engine: Engine, row: ProjectRow, kind: str, what: str) -> None:
    """``Forbidden`` when the project is in a final state (终止, 未通过, 回头看 …) whose workflow entry does not list
    ``kind`` in its ``records``; ``what`` completes "takes no more …"."""
    check_open(engine, row.workflow_id, row.view.state, kind, what)


def check_open(engine: Engine, workflow_id: int, state_name: str, kind: str, what: str) -> None:
    """``check_open_for`` from the project's workflow version id and state."""
    state = engine.workflows.get(workflow_id).definition.states[state_name]
    if state.final and kind not in state.records:
        raise Forbidden(f"the project is {state.label} ({state.name}), a final state: it takes no more {what} "
                        f"(the workflow's state '{state.name}' does not list '{kind}' in its records)")


# -- reversing a record by a correction in a table of its own (inspections, ratings) ------------------------------

@dataclass(frozen=True)
class Reversible:
    """A plugin record kind corrected by a reversing entry 冲正 in a table of its own: ``correction_table``
    (``id, project_id, <column>, reason, actor_id, actor_name, at``) names the record of ``table`` it reverses."""

    noun: str  # the record as messages name it: "inspection", "rating"
    table: str
    correction_table: str
    column: str  # the correction's column naming the record: "inspection_id"
    kind: str  # the records' chained kind
    kind_label: str  # for the final-state refusal: "ratings (满意度测评)"
    event: str  # the correction's event (and idempotency scope): "reverse_rating"
    entry_path: tuple[str, ...]  # the input field naming the record
    reason_limit: int
    content: Callable[[Sequence[Any]], Content]  # the chain content of (record id, reason, actor id)


def reverse(engine: Engine, sql: Sql, actor: ActorView, row: ProjectRow, spec: Reversible, record_id: int,
            reason: Any, idempotency_key: Any) -> int:
    """In the caller's transaction, on a project row it located and locked for an actor it allowed: reverse
    ``record_id`` for ``reason`` and return the correction's id (an earlier one for a repeated idempotency key).
    Refused with the reason: a record of another project, one already reversed, a state that takes no records."""
    project_id = row.view.id
    key = check_key(idempotency_key)
    earlier = replayed(sql, actor, key, project_id, spec.event)
    if earlier is not None:
        return earlier
    check_open_for(engine, row, spec.kind, spec.kind_label)
    why = _reason(reason, spec.reason_limit)
    path = list(spec.entry_path)
    if sql.scalar(f"SELECT project_id FROM {spec.table} WHERE id = ?", (record_id,)) != project_id:
        raise InvalidInput([FieldProblem(path, f"{spec.noun} {record_id} is not a record of project {project_id}: "
                                               "a correction reverses a record of its own project")])
    done = sql.scalar(f"SELECT id FROM {spec.correction_table} WHERE {spec.column} = ?", (record_id,))
    if done is not None:
        raise InvalidInput([FieldProblem(path, f"{spec.noun} {record_id} was already reversed (correction {done})")])
    now = engine.clock.now()
    values = (record_id, why, actor.id)
    correction_id = sql.insert(f"INSERT INTO {spec.correction_table} (project_id, {spec.column}, reason, actor_id,"
                               " actor_name, at) VALUES (?, ?, ?, ?, ?, ?)", (project_id, *values, actor.name, now))
    append_row(sql, project_id, CORRECTION, spec.event, actor.id, actor.name, now, spec.correction_table,
               correction_id, spec.content(values))
    remember(sql, actor, key, project_id, spec.event, correction_id, now)
    return correction_id


def _reason(value: Any, limit: int) -> str:
    text = normalize_newlines(value if isinstance(value, str) else "").strip()
    problem = "is required" if not text else text_problem(text, limit, multiline=True)
    if problem:
        raise InvalidInput([FieldProblem(["input", "reason"], problem)])
    return text
