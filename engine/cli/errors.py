"""How the command line reports a failure: one line on stderr naming what went wrong and where, exit status 2.

``--debug`` (or ``MINSHENG_DEBUG=1``) prints the traceback as well. Exit status 1 stays what it was: a check that
ran and found problems (``workflow check``, ``db status`` with pending migrations, ``audit verify``).
"""
from __future__ import annotations

import os
import sys
import traceback
from urllib.parse import urlsplit, urlunsplit

from pony import orm

from engine.errors import DomainError, InvalidDefinition

EXIT_FAILED = 2
DEBUG_ENV = "MINSHENG_DEBUG"
DEBUG_HINT = f"rerun with --debug (or {DEBUG_ENV}=1) to see the traceback"


class CliError(Exception):
    """A failure the command has already put into words (the message is the whole report)."""


def debug_from_env() -> bool:
    return os.environ.get(DEBUG_ENV, "").lower() in ("1", "true", "yes", "on")


def fail(exc: BaseException, db_url: str, debug: bool) -> int:
    """Print ``error: <one line>`` for ``exc`` on stderr (after its traceback if ``debug``); return the exit status."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    print(f"error: {describe(exc, db_url)}", file=sys.stderr)
    return EXIT_FAILED


def describe(exc: BaseException, db_url: str) -> str:
    """One line for a known failure; for anything else its type and first line, with a hint to use ``--debug``."""
    if isinstance(exc, DomainError):
        return _one_line(exc.message)
    if isinstance(exc, InvalidDefinition):
        return "; ".join(str(p) for p in exc.problems) or "invalid workflow definition"
    if isinstance(exc, ImportError) and "psycopg2" in f"{exc.name} {exc}":
        return "PostgreSQL needs the psycopg2 driver: pip install 'minsheng[postgres]'"
    if isinstance(exc, orm.IntegrityError):
        return f"the database {safe_url(db_url)} refused the write: it conflicts with data already there"
    if isinstance(exc, orm.DBException):
        return f"cannot use the database {safe_url(db_url)}: {_one_line(str(exc))}"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else _one_line(exc.strerror)
    if type(exc) in (CliError, ValueError, RuntimeError):  # raised with a message for the user (not subclasses)
        return _one_line(str(exc))
    return f"unexpected {type(exc).__name__}: {_one_line(str(exc))} ({DEBUG_HINT})"


def safe_url(url: str) -> str:
    """``url`` without its password (and without query options, which may hold one)."""
    parts = urlsplit(url)
    if parts.password is None and not parts.query:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    host = netloc[-1]
    user = f"{parts.username}:***@" if parts.password is not None else (f"{netloc[0]}@" if len(netloc) == 2 else "")
    return urlunsplit((parts.scheme, user + host, parts.path, "", ""))


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"
