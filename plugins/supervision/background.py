"""The server's background tick: ``run_tick`` every ``interval`` seconds in its own thread (never on the event
loop). The first tick runs one interval after start-up; a failing tick is logged and the next one runs on time.
Several server processes may each run one: the tick's locks and unique key issue every notice once."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger("minsheng.supervision")


def start(engine: Engine, interval: float) -> Callable[[], None]:
    """Start ticking; return the function that stops the thread (and waits for a running tick to end)."""
    from plugins.supervision.tick import run_tick

    stopping = threading.Event()

    def loop() -> None:
        try:
            while not stopping.wait(interval):
                try:
                    result = run_tick(engine)
                    log.info("tick %s: %d notice(s) issued%s", result.on, len(result.issued),
                             " (another tick was running)" if result.busy else "")
                except Exception:
                    log.exception("the background tick failed; the next one runs in %s s", interval)
        finally:
            engine.close()  # this thread's database connection

    thread = threading.Thread(target=loop, name="minsheng-tick", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join()

    return stop
