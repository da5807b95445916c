"""The content-addressed store of evidence files: bytes kept once per SHA-256, whoever attaches them.

By default the bytes live in the database (``evidence_blob.data``), so every host of a deployment shares them with
nothing more to run; with ``MINSHENG_EVIDENCE_DIR`` set they are written to that folder instead
(``<dir>/ab/abcdef…``, written to a temporary name and renamed, so a reader never sees half a file) and the row
keeps only the hash and size. Either way the row is written in the caller's transaction, and storing the same
bytes twice stores them once.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from engine.storage.sql import Sql

DIR_ENV = "MINSHENG_EVIDENCE_DIR"


def folder() -> Path | None:
    value = os.environ.get(DIR_ENV, "").strip()
    return Path(value) if value else None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(sql: Sql, data: bytes, now: object) -> str:
    """Store ``data`` (once) and return its SHA-256."""
    sha = digest(data)
    if sql.scalar("SELECT 1 FROM evidence_blob WHERE sha256 = ?", (sha,)) is not None:
        return sha
    where = folder()
    if where is not None:
        _write_file(where, sha, data)
    sql.execute("INSERT INTO evidence_blob (sha256, size, data, stored_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (sha256) DO NOTHING", (sha, len(data), None if where else data, now))
    return sha


def get(sql: Sql, sha: str) -> bytes | None:
    row = sql.one("SELECT data FROM evidence_blob WHERE sha256 = ?", (sha,))
    if row is None:
        return None
    if row[0] is not None:
        return bytes(row[0])
    where = folder()
    path = where / sha[:2] / sha if where else None
    return path.read_bytes() if path is not None and path.is_file() else None


def _write_file(where: Path, sha: str, data: bytes) -> None:
    target = where / sha[:2] / sha
    if target.is_file():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
