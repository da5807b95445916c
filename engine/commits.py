"""Committing writes: each in a transaction of its own, or — with group commit — many in one transaction.

A write is a function of the open transaction (``work(sql) -> result``) and what to do once it is durable
(``after(result)``: notify subscribers, run after-commit hooks). ``Commits.run`` returns the result only after the
transaction holding it has committed and ``after`` has run; ``after`` runs in commit order.

**Group commit** (SQLite by default): a SQLite database takes one writer at a time and each commit waits for an
fsync, so concurrent writers mostly wait for each other. Instead, the first caller to find no commit under way
becomes the leader: it takes every write queued so far (at most ``MAX_BATCH``), runs them in one transaction, each
under its own SAVEPOINT, and commits once. A write that fails is rolled back to its savepoint alone and its caller
gets its own error; the others commit. Every caller gets its own answer only once the batch is durable (the
commit's fsync, ``synchronous=FULL``), and writes run in the order they were queued, so two writes to one project
keep their order and the second sees the first. When the transaction itself fails (a savepoint cannot be rolled
back, the database aborts it), nothing of the batch is kept: the failing write's caller gets the error and the
others run again in a new transaction. When the COMMIT fails, every caller of the batch gets that error (the
same as a single write whose commit fails). The next queued caller then leads the next batch.
"""
from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, TypeVar

from pony import orm

from engine.storage.sql import Sql

R = TypeVar("R")
Work = Callable[[Sql], R]
After = Callable[[R], None]
MAX_BATCH = 64  # writes per transaction; one write takes a few tenths of a millisecond
SAVEPOINT = "minsheng_write"


@dataclass(eq=False)
class Write(Generic[R]):
    """One queued write and, once its batch is done, its outcome."""

    work: Work
    after: After | None
    result: Any = None
    error: BaseException | None = None
    done: bool = False
    leads: bool = False  # chosen to lead the next batch
    wake: threading.Event = field(default_factory=threading.Event)

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result


class BatchAborted(Exception):
    """The batch's transaction could not go on; its writes that did not fail run again."""


class Commits:
    """Runs the writes of one database: alone, or grouped (``grouped=True``)."""

    def __init__(self, db: orm.Database, grouped: bool, max_batch: int = MAX_BATCH) -> None:
        self.db, self.grouped, self.max_batch = db, grouped, max_batch
        self._lock = threading.Lock()
        self._queue: deque[Write] = deque()
        self._leading = False
        self._local = threading.local()  # .leading: this thread runs a batch (its after-commit work included)

    @property
    def queued(self) -> int:
        """Writes waiting for a batch (the one being committed not included)."""
        with self._lock:
            return len(self._queue)

    def run(self, work: Work[R], after: After[R] | None = None) -> R:
        """``work``'s result once it is committed and ``after`` has run; its exception if it failed (nothing of
        it is then kept). Inside an open ``db_session`` the write joins that transaction instead; a write started
        by a leader's own after-commit work runs alone (it cannot wait for the batch its thread is leading)."""
        if not self.grouped or orm.core.local.db_session is not None or getattr(self._local, "leading", False):
            return self._alone(work, after)
        write: Write[R] = Write(work, after)
        with self._lock:
            self._queue.append(write)
            if not self._leading:
                self._leading = write.leads = True
        if not write.leads:
            write.wake.wait()
        if not write.done:
            self._lead(write)
        return write.outcome()

    def _alone(self, work: Work[R], after: After[R] | None) -> R:
        with orm.db_session(immediate=True):
            result = work(Sql(self.db))
        if after is not None:
            after(result)
        return result

    def _lead(self, own: Write) -> None:
        """Commit batches until ``own`` is done, then hand the lead to the next queued write."""
        self._local.leading = True
        try:
            while not own.done:
                with self._lock:
                    batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
                self._commit(batch)
        finally:
            self._local.leading = False
            with self._lock:
                if self._queue:
                    follower = self._queue[0]
                    follower.leads = True
                    follower.wake.set()
                else:
                    self._leading = False

    def _commit(self, batch: list[Write]) -> None:
        """Run ``batch`` in one transaction; settle every write in it (or put the innocent back in front)."""
        try:
            self._transaction(batch)
        except BatchAborted:
            retry = [w for w in batch if w.error is None]
            for w in batch:
                if w.error is not None:
                    self._settle(w)
            with self._lock:
                self._queue.extendleft(reversed(retry))
            return
        except BaseException as exc:  # the COMMIT failed: nothing is kept, and every caller is told so
            for w in batch:
                w.result, w.error = None, w.error or exc
                self._settle(w)
            return
        for w in batch:
            if w.error is None and w.after is not None:
                self._after(w)
            self._settle(w)

    def _transaction(self, batch: list[Write]) -> None:
        single = len(batch) == 1
        with orm.db_session(immediate=True):
            sql = Sql(self.db)
            for w in batch:
                if single:  # nothing to protect: the write's own error rolls the transaction back
                    try:
                        w.result = w.work(sql)
                    except BaseException as exc:
                        w.error = exc
                        raise BatchAborted() from exc
                else:
                    self._savepointed(sql, w)

    @staticmethod
    def _savepointed(sql: Sql, write: Write) -> None:
        sql.execute(f"SAVEPOINT {SAVEPOINT}")
        try:
            write.result = write.work(sql)
        except Exception as exc:
            write.error = exc
            try:
                sql.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            except Exception as cause:
                raise BatchAborted() from cause
        try:
            sql.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
        except Exception as cause:
            write.error = write.error or cause
            raise BatchAborted() from cause

    @staticmethod
    def _after(write: Write) -> None:
        try:
            write.after(write.result)  # type: ignore[misc]
        except BaseException as exc:
            write.error = exc

    @staticmethod
    def _settle(write: Write) -> None:
        write.done = True
        write.wake.set()
