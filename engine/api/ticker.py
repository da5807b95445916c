"""The server's background tick: ``Engine.tick`` (every plugin's ``minsheng_tick``) every ``interval`` seconds in
its own thread, never on the event loop; also at start-up when asked (``minsheng serve`` asks). A failing tick is
logged and the next one runs on time. Several server processes may each run one: ticks are safe to run at once."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from engine.core import Engine

log = logging.getLogger("minsheng.tick")


def start(engine: Engine, interval: float, at_start: bool = False) -> Callable[[], None]:
    """Start ticking; return the function that stops the thread (and waits for a running tick to end)."""
    stopping = threading.Event()

    def loop() -> None:
        try:
            delay = 0.0 if at_start else interval  # at start-up: today's maintained figures are there at once
            while not stopping.wait(delay):
                delay = interval
                try:
                    for report in engine.tick():
                        log.info("tick (%s): %s", report.plugin, report.summary)
                        for problem in report.problems:
                            log.warning("tick (%s): %s", report.plugin, problem)
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
