"""Fan-out of committed project events to subscribers: across threads, and on PostgreSQL across processes.

Events are published from worker threads (``Engine.listeners`` run in the thread that committed) or from the
LISTEN thread; subscribers consume them on the event loop. Each subscriber has a bounded ``asyncio.Queue`` fed
through ``loop.call_soon_threadsafe``. A subscriber that falls ``MAX_PENDING`` events behind is dropped: its queue
is cleared and its iteration raises ``SubscriberTooSlow`` (nothing grows without limit).

Paths (``start_publishing``):
- SQLite (one process): the after-commit listener hands each event straight to this process's ``Broker``.
- PostgreSQL (any number of processes or hosts): a transition's event is sent with ``pg_notify`` inside its own
  transaction (PostgreSQL delivers it at the commit, and drops it when the transition rolls back), other committed
  changes (supervision notices) with a short statement of their own right after their commit; one LISTEN thread
  per process, on a dedicated psycopg2 connection, feeds that process's ``Broker``, the committing process
  included. Each event is delivered once per process.

The same channel carries one more message: ``{"kind": "workflows"}`` after ``minsheng workflow publish``
(``WORKFLOWS_CHANGED``). It goes to no subscriber: the LISTEN thread reloads the engine's workflow versions at once
(``Engine.refresh_workflows``), so every process uses a published version without waiting for its next look.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import select
import threading
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable

from pony import orm

from engine.storage.sql import Sql

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger("minsheng.events")

Event = dict[str, Any]  # a flat, JSON-able event
Matcher = Callable[[Event], bool]
Credential = tuple[int, str]  # (actor id, sha256 of the bearer token) a subscription was opened with
CredentialCheck = Callable[[set[Credential]], set[Credential]]  # the ones still valid

MAX_PENDING = 256  # events a subscriber may fall behind before it is dropped
MAX_NOTIFY_BYTES = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
CHANNEL = "minsheng_events"
WORKFLOWS_CHANGED = {"kind": "workflows"}
_OVERFLOW = object()
_REVOKED = object()


class SubscriberTooSlow(Exception):
    def __init__(self) -> None:
        super().__init__(f"this subscription fell more than {MAX_PENDING} events behind and was closed; "
                         "subscribe again (and reload what you show)")


class SubscriptionRevoked(Exception):
    def __init__(self) -> None:
        super().__init__("the bearer token this subscription was opened with is no longer valid (it was replaced, "
                         "or its holder deactivated); subscribe again with a valid token")


class Subscriber:
    """One subscription's queue; ``offer`` runs on the subscriber's event loop, iteration too."""

    def __init__(self, matches: Matcher, loop: asyncio.AbstractEventLoop, limit: int,
                 credential: Credential | None = None) -> None:
        self.matches, self.loop, self.credential = matches, loop, credential
        self.queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=limit)
        self.dropped = False

    def offer(self, event: Event) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self._end(_OVERFLOW)

    def revoke(self) -> None:
        """End the subscription: nothing queued is delivered, iteration raises ``SubscriptionRevoked``."""
        if not self.dropped:
            self._end(_REVOKED)

    def _end(self, reason: object) -> None:
        self.dropped = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(reason)

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> Event:
        item = await self.queue.get()
        if item is _OVERFLOW:
            raise SubscriberTooSlow()
        if item is _REVOKED:
            raise SubscriptionRevoked()
        return item


class Broker:
    """The in-memory fan-out of one process. ``publish`` may be called from any thread.

    With ``check``, every event first re-checks the credentials of this process's subscribers (one call, so one
    query, per event): a subscription whose token was rotated or whose actor was deactivated — by any process —
    ends with ``SubscriptionRevoked`` before it would receive anything more.
    """

    def __init__(self, limit: int = MAX_PENDING, check: CredentialCheck | None = None) -> None:
        self.limit, self.check = limit, check
        self._lock = threading.Lock()
        self._subscribers: set[Subscriber] = set()

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def subscribe(self, matches: Matcher, credential: Credential | None = None) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(matches, asyncio.get_running_loop(), self.limit, credential)
        with self._lock:
            self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            with self._lock:
                self._subscribers.discard(subscriber)

    def publish(self, event: Event) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        valid = self._valid_credentials(subscribers)
        for subscriber in subscribers:
            revoked = subscriber.credential is not None and subscriber.credential not in valid
            if not revoked and not subscriber.matches(event):
                continue
            with contextlib.suppress(RuntimeError):  # its loop has closed: it is going away
                if revoked:
                    subscriber.loop.call_soon_threadsafe(subscriber.revoke)
                else:
                    subscriber.loop.call_soon_threadsafe(subscriber.offer, event)

    def _valid_credentials(self, subscribers: list[Subscriber]) -> set[Credential]:
        """The subscribers' credentials that are still valid (all of them when there is no check, or when the
        check itself fails: a database hiccup does not end every subscription)."""
        credentials = {s.credential for s in subscribers if s.credential is not None}
        if not credentials or self.check is None:
            return credentials
        try:
            return self.check(credentials)
        except Exception:
            log.exception("could not re-check the subscribers' tokens; delivering this event unchecked")
            return credentials


def channel_name(options: dict[str, Any]) -> str:
    """Deployments sharing one database in different schemas (``options=-c search_path=...``) get their own
    channel; every process of one deployment uses the same URL options and so the same channel."""
    extra = options.get("options")
    return f"{CHANNEL}_{hashlib.sha1(str(extra).encode()).hexdigest()[:12]}" if extra else CHANNEL


def encode(event: Event) -> str:
    payload = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    if len(payload.encode()) > MAX_NOTIFY_BYTES:  # only a very long title can do this
        payload = json.dumps({**event, "title": event.get("title", "")[:200]}, ensure_ascii=False,
                             separators=(",", ":"))
    return payload


class PgRelay:
    """NOTIFY after each commit; LISTEN in one thread per process on a dedicated connection, feeding ``broker``."""

    def __init__(self, engine: Engine, broker: Broker, retry_seconds: float = 1.0) -> None:
        self.engine, self.broker, self.retry_seconds = engine, broker, retry_seconds
        self.channel = channel_name(engine.target.options)
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._conn: Any = None
        self._thread: threading.Thread | None = None

    def notify(self, event: Event) -> None:
        """Called after the commit, in the committing thread: a short autocommitted statement of its own."""
        with orm.db_session:
            self.send(Sql(self.engine.db), event)

    def send(self, sql: Sql, event: Event) -> None:
        """NOTIFY on ``sql``'s connection: inside a transaction, delivered when (and if) it commits."""
        sql.execute("SELECT pg_notify(?, ?)", (self.channel, encode(event)))

    def start(self) -> None:
        """Connect and LISTEN before returning, so no event committed after start-up is missed."""
        self._conn = self._connect()
        self._thread = threading.Thread(target=self._run, name="minsheng-pg-listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _connect(self) -> Any:
        import psycopg2

        conn = psycopg2.connect(**self.engine.target.options)
        conn.autocommit = True
        conn.cursor().execute(f'LISTEN "{self.channel}"')
        return conn

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self._conn is None:
                    self._conn = self._connect()
                self._pump()
            except Exception:  # the connection broke: log, wait, reconnect
                log.exception("LISTEN connection failed; reconnecting in %.1f s (events meanwhile are not pushed)",
                              self.retry_seconds)
                self._close()
                self._stop.wait(self.retry_seconds)
        self._close()

    def _pump(self) -> None:
        readable, _, _ = select.select([self._conn, self._wake_r], [], [], 30.0)
        if self._conn in readable:
            self._conn.poll()
            while self._conn.notifies:
                self._deliver(self._conn.notifies.pop(0).payload)

    def _deliver(self, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            log.error("ignoring a malformed event on channel %s: %.200s", self.channel, payload)
            return
        if event == WORKFLOWS_CHANGED:
            try:
                self.engine.refresh_workflows(force=True)
            except Exception:
                log.exception("could not reload the workflow versions; the ones loaded before stay in use")
            return
        self.broker.publish(event)

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


def announce_workflows(db: Any, options: dict[str, Any]) -> None:
    """Tell every server process on this PostgreSQL database that the workflow table changed (``PgRelay``)."""
    with orm.db_session:
        Sql(db).execute("SELECT pg_notify(?, ?)", (channel_name(options), encode(WORKFLOWS_CHANGED)))


def start_publishing(engine: Engine, broker: Broker, to_event: Callable[[Any], Event]) -> Callable[[], None]:
    """Feed ``broker`` with every committed transition of ``engine``; returns the function that stops it."""
    relay = PgRelay(engine, broker) if engine.target.provider == "postgres" else None
    publish = relay.notify if relay is not None else broker.publish

    def listener(record: Any) -> None:
        if not getattr(record, "announced", False):
            publish(to_event(record))

    def in_transaction(sql: Sql, record: Any) -> None:
        relay.send(sql, to_event(record))  # type: ignore[union-attr]
        record.announced = True

    if relay is not None:
        relay.start()
        engine.in_transaction_listeners.append(in_transaction)
    engine.listeners.append(listener)

    def stop() -> None:
        with contextlib.suppress(ValueError):
            engine.listeners.remove(listener)
        with contextlib.suppress(ValueError):
            engine.in_transaction_listeners.remove(in_transaction)
        if relay is not None:
            relay.stop()

    return stop
