"""Attaching evidence files to a project's records, listing them, and reading them back under the access rule.

An attachment links stored bytes (``engine.evidence.store``) to one record of a project: the project itself, a
transition (acceptance: the audit record's ``seq``), or a plugin's record kind (an inspection, a rectification, a
progress report … — ``minsheng_record_kinds``). Whoever may act on the project may attach; the file is checked
(``engine.evidence.files``) before anything is stored, and the row, the bytes and an ``edit`` record ``attach``
carrying the file's SHA-256 (so the file is in the project's hash chain) are written in one transaction.

Reading follows the one access rule: a reader who may read the project reads its attachments; the public reads
only those of published projects whose record kind the workflow file lists under ``public_attachments``, served
from a copy re-encoded without metadata (no EXIF, no location), and is never shown a position.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from pony import orm

from engine import audit
from engine.directory import access
from engine.directory.actors import ActorView
from engine.errors import FieldProblem, Forbidden, InvalidInput, NotFound
from engine.evidence import files, store
from engine.evidence.kinds import record_kinds
from engine.storage.project_rows import read
from engine.storage.sql import Sql, by_project, marks, to_datetime
from engine.texts import text_problem
from engine.transition import locate

if TYPE_CHECKING:
    from engine.core import Engine

MAX_BYTES_ENV = "MINSHENG_EVIDENCE_MAX_BYTES"
MAX_FILENAME = 200
COLUMNS = ("id, project_id, record_kind, record_id, sha256, filename, media_type, size, taken_at, latitude,"
           " longitude, thumbnail_sha256, public_sha256, uploaded_by, uploaded_at")


@dataclass(frozen=True)
class Attachment:
    id: int
    project_id: int
    record_kind: str
    record_id: int | None
    sha256: str
    filename: str
    media_type: str
    size: int
    taken_at: dt.datetime | None
    latitude: float | None
    longitude: float | None
    thumbnail_sha256: str | None
    public_sha256: str | None
    uploaded_by: int | None
    uploaded_at: dt.datetime


def limits() -> files.Limits:
    value = os.environ.get(MAX_BYTES_ENV, "").strip()
    return files.Limits(max_bytes=int(value)) if value.isdigit() else files.Limits()


def attach(engine: Engine, actor: ActorView, project_id: int, record_kind: str, record_id: int | None,
           filename: str, declared_type: str, data: bytes, file_limits: files.Limits | None = None) -> Attachment:
    """Attach a file to a record of the project; ``DomainError`` (nothing stored) when it may not be."""
    if actor.is_public:
        raise Forbidden("sign in to attach files: without a token you can only read what is published")
    kinds = record_kinds(engine)
    if record_kind not in kinds:
        raise InvalidInput([FieldProblem(["recordKind"], f"unknown record kind '{record_kind}'; one of "
                                                         f"{', '.join(sorted(kinds))}")])
    filename = os.path.basename((filename or "").replace("\\", "/")) or "file"
    problem = text_problem(filename, MAX_FILENAME)
    if problem:
        raise InvalidInput([FieldProblem(["file"], f"the file name {problem}")])
    media_type = files.check(filename, declared_type, data, file_limits or limits())
    photo = files.photo_facts(data, media_type) if media_type in files.PHOTOS else None
    with orm.db_session(immediate=True):
        sql = Sql(engine.db)
        locate(engine, sql, actor, project_id, lock=True)  # access first: out of reach answers like missing
        _check_record(sql, kinds[record_kind], project_id, record_id)
        now = engine.clock.now()
        sha = store.put(sql, data, now)
        thumb = store.put(sql, photo.thumbnail, now) if photo else None
        public = store.put(sql, photo.stripped, now) if photo else None
        values = (project_id, record_kind, record_id, sha, filename, media_type, len(data),
                  photo.taken_at if photo else None, photo.latitude if photo else None,
                  photo.longitude if photo else None, thumb, public, actor.id, now)
        attachment_id = sql.insert(f"INSERT INTO attachment ({COLUMNS.split(', ', 1)[1]}) VALUES "
                                   f"({', '.join('?' for _ in values)})", values)
        audit.append_record(sql, project_id, "edit", "attach", actor.id, actor.name, now, {
            "attachment": attachment_id, "record_kind": record_kind, "record_id": record_id, "sha256": sha,
            "filename": filename, "media_type": media_type, "size": len(data)})
        return Attachment(attachment_id, *values)


def _check_record(sql: Sql, kind: Any, project_id: int, record_id: int | None) -> None:
    """The record exists and belongs to this project (else NOT_FOUND, as for any record out of reach)."""
    if kind.name == "project":
        if record_id not in (None, project_id):
            raise NotFound(f"record {record_id} does not exist", path=["recordId"])
        return
    if record_id is None:
        raise InvalidInput([FieldProblem(["recordId"], f"is required for a {kind.label} ({kind.name})")])
    if kind.name == "transition":
        found = sql.scalar("SELECT project_id FROM audit_record WHERE project_id = ? AND seq = ? AND kind = ?",
                           (project_id, record_id, "transition"))
    else:
        found = sql.scalar(f"SELECT project_id FROM {kind.table} WHERE id = ?", (record_id,))
    if found != project_id:
        raise NotFound(f"{kind.label} {record_id} does not exist on this project", path=["recordId"])


def of_projects(sql: Sql, project_ids: Sequence[int]) -> dict[int, list[Attachment]]:
    """Every attachment of each project, oldest first, in one query for the whole page."""
    if not project_ids:
        return {}
    rows = sql.all(f"SELECT {COLUMNS} FROM attachment WHERE project_id IN ({marks(len(project_ids))})"
                   " ORDER BY project_id, id", list(project_ids))
    return by_project(rows, _attachment, column=1)


def _attachment(row: Sequence[Any]) -> Attachment:
    values = list(row)
    values[8] = to_datetime(values[8]) if values[8] is not None else None
    values[14] = to_datetime(values[14])
    return Attachment(*values)


def public_kinds(engine: Engine, workflow_id: int) -> frozenset[str]:
    return frozenset(engine.workflows.get(workflow_id).definition.public_attachments)


def visible(engine: Engine, actor: ActorView, attachment: Attachment, workflow_id: int) -> bool:
    """Whether a reader who reads the project sees this attachment (the public: only the kinds the workflow
    publishes)."""
    return not access.reach(engine, actor).redacted or attachment.record_kind in public_kinds(engine, workflow_id)


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    data: bytes


def download(engine: Engine, actor: ActorView, attachment_id: int, thumbnail: bool = False) -> Download:
    """The bytes a reader may have of an attachment; ``NotFound`` (exactly as for a missing one) otherwise."""
    missing = NotFound(f"attachment {attachment_id} does not exist")
    with orm.db_session:
        sql = Sql(engine.db)
        row = sql.one(f"SELECT {COLUMNS} FROM attachment WHERE id = ?", (attachment_id,))
        if row is None:
            raise missing
        attachment = _attachment(row)
        project = read(sql, attachment.project_id, engine.workflow_names)
        if project is None or not access.can_read(engine, actor, project):
            raise missing
        if not visible(engine, actor, attachment, project.workflow_id):
            raise missing
        redacted = access.reach(engine, actor).redacted
        if thumbnail:
            if attachment.thumbnail_sha256 is None:
                raise NotFound(f"attachment {attachment_id} has no thumbnail")
            sha, media_type = attachment.thumbnail_sha256, files.JPEG
        else:
            sha = attachment.public_sha256 if redacted and attachment.public_sha256 else attachment.sha256
            media_type = attachment.media_type
        data = store.get(sql, sha)
    if data is None:
        raise missing
    return Download(attachment.filename, media_type, data)
