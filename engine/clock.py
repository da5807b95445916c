"""The one clock all code reads. Tests set it; nothing calls ``datetime.now()`` directly."""
from __future__ import annotations

import datetime as dt
import threading


class Clock:
    """Wall-clock time in UTC, or a fixed instant when a test has frozen it."""

    def __init__(self) -> None:
        self._frozen: dt.datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        frozen = self._frozen
        if frozen is not None:
            return frozen
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)

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
        with self._lock:
            self._frozen = None


clock = Clock()
