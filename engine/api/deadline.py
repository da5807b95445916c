"""A time limit per request: no operation holds a worker thread for much longer than ``ApiSettings.timeout_seconds``.

The worker thread that executes an operation carries a ``Deadline``, graphql-core's abort signal: the executor
checks it before the operation, between a mutation's root fields and at the end, and ``DeadlineExecutionContext``
checks it at every item of every list it completes (lists are where the work of a large answer is). Once the time
is up the rest is abandoned and the operation is answered with one ``TIMEOUT`` error. What cannot be cut short: one
resolver's own work (a single SQL statement) and a mutation's own transaction, which runs to commit or rollback.
"""
from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Iterable, Iterator


from engine.api.plain_fields import PlainFieldsExecutor
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

    def watch(self, items: Iterable[Any]) -> Iterator[Any]:
        """``items``, one at a time, until the time is up (then ``RequestTimeout``)."""
        at = self.at
        for item in items:
            if time.monotonic() > at:
                raise self.reason
            yield item

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


class DeadlineExecutionContext(PlainFieldsExecutor):
    """The executor with this thread's deadline as its abort signal, checked at every list item too (plain
    subtrees check it too: ``engine.api.plain_fields``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.abort_signal is None:
            self.abort_signal = current()

    def complete_iterable_value(self, item_type: Any, field_details_list: Any, info: Any, path: Any,
                                items: Iterable[Any], position_context: Any) -> Any:
        signal = self.abort_signal
        if isinstance(signal, Deadline):
            items = signal.watch(items)
        return super().complete_iterable_value(item_type, field_details_list, info, path, items, position_context)
