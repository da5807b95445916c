"""The one clock all code reads. Tests set it; nothing calls ``datetime.now()`` directly."""
from __future__ import annotations

import datetime as dt
import threading


class Clock:
    """Wall-clock time in UTC, or a fixed instant when a test has frozen it, or wall-clock time shifted so that it
    runs on from a chosen instant (the demo server: ``run_from``)."""

    def __init__(self) -> None:
        self._frozen: dt.datetime | None = None
        self._shift = dt.timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        frozen = self._frozen
        if frozen is not None:
            return frozen
        return (_utc_now() + self._shift).replace(microsecond=0)

    def today(self) -> dt.date:
        return self.now().date()

    def set(self, instant: dt.datetime | dt.date | str) -> None:
        """Freeze the clock at ``instant`` (a datetime, a date, or an ISO string)."""
        if isinstance(instant, str):
            instant = dt.datetime.fromisoformat(instant)
        elif not isinstance(instant, dt.datetime):
            instant = dt.datetime.combine(instant, dt.time())
        with self._lock:
            self._frozen = instant.replace(tzinfo=None)

    def advance(self, **delta: float) -> None:
        """Move a frozen clock forward, e.g. ``clock.advance(days=3)``."""
        with self._lock:
            if self._frozen is None:
                raise RuntimeError("advance() needs a frozen clock: call set() first")
            self._frozen += dt.timedelta(**delta)

    def unfreeze(self) -> None:
        """Back to wall-clock time (without any shift ``run_from`` made)."""
        with self._lock:
            self._frozen, self._shift = None, dt.timedelta(0)

    def run_from(self, instant: dt.datetime) -> None:
        """Let the clock run with real time from ``instant`` on: ``now()`` is ``instant`` plus the time elapsed
        since this call (the demo server's clock starts on the demo's date and advances from there)."""
        with self._lock:
            self._frozen, self._shift = None, instant.replace(tzinfo=None) - _utc_now()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


clock = Clock()
