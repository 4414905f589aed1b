"""A background thread that runs a unit of work over and over, waiting when there was none."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Poller:
    """Calls ``work()`` until stopped; sleeps ``interval`` seconds whenever it did nothing.

    ``work`` returns how many items it handled. An exception is logged and the loop goes
    on: the store or the network may be briefly unavailable, and nothing is lost because
    the work itself stays queued in the store.
    """

    def __init__(self, name: str, work: Callable[[], int | None], interval: float) -> None:
        self.name = name
        self.work = work
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                handled = self.work()
            except Exception:  # see the class docstring
                log.exception("%s: could not run", self.name)
                handled = 0
            if not handled:
                self._stop.wait(self.interval)
