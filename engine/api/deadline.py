"""A time limit per request: no operation holds a worker thread for longer than ``ApiSettings.timeout_seconds``.

The worker thread that executes an operation carries a ``Deadline``; graphql-core's executor checks its
``aborted`` flag at every field boundary (it is the executor's abort signal) and, once the time is up, abandons the
operation, which is answered with one ``TIMEOUT`` error. A mutation's own transaction is never cut short: its root
field runs to commit or rollback, and only the fields read after it are abandoned.
"""
from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Iterator

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from engine.errors import DomainError

_local = threading.local()


class RequestTimeout(DomainError):
    code = "TIMEOUT"


class Deadline:
    """graphql-core's abort signal interface (``aborted``, ``reason``), driven by the clock."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.at = seconds, time.monotonic() + seconds

    @property
    def aborted(self) -> bool:
        return time.monotonic() > self.at

    @property
    def reason(self) -> RequestTimeout:
        return RequestTimeout(f"the request took longer than {self.seconds:g} s and was stopped: ask for less "
                              "(a smaller page, fewer fields) or try again later")


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[Deadline | None]:
    """Run the block with a deadline on this thread (None: no limit)."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = Deadline(seconds) if seconds else None
    try:
        yield _local.deadline
    finally:
        _local.deadline = previous


def current() -> Deadline | None:
    return getattr(_local, "deadline", None)


class DeadlineExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """The executor with this thread's deadline as its abort signal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.abort_signal is None:
            self.abort_signal = current()
