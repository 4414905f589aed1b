"""Group commit: items that arrive together are written in one transaction by one thread.

A busy endpoint (consent choices, request intake) hands each item to a ``WriteBehind``
queue and waits for its future. One thread takes whatever has queued up (at most
``max_batch``) and writes it with ``write_batch`` in one transaction, so a burst of
callers costs one commit, not one each. A caller's future resolves only once its item's
transaction has committed, so nothing acknowledged can be lost. If a whole batch fails,
its items are written again one at a time, so one bad item never takes others with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

log = logging.getLogger("custos.service.work.batching")

Item = TypeVar("Item")
Result = TypeVar("Result")

# Writes items in one transaction; per item its result, or the error that refused it alone.
BatchWriter = Callable[[Sequence[Item]], Sequence[Result | BaseException]]


class WriteBehind(Generic[Item, Result]):
    """A write-behind queue with one writer thread (started at once, stopped by ``stop``).

    ``wait`` is how long the writer lingers for more items when fewer than ``max_batch``
    are queued (0: write what is there at once; batches still form while a write runs).
    """

    def __init__(self, write_batch: BatchWriter[Item, Result], *, name: str, max_batch: int = 256,
                 wait: float = 0.0) -> None:
        self.write_batch = write_batch
        self.max_batch = max(1, max_batch)
        self.wait = max(0.0, wait)
        self.batches = 0
        self._cond = threading.Condition()
        self._queue: list[tuple[Item, Future[Result]]] = []
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: Item) -> Future[Result]:
        """Queue ``item``; the future gives its result once its transaction has committed."""
        future: Future[Result] = Future()
        with self._cond:
            if not self._stopping:
                self._queue.append((item, future))
                self._cond.notify()
                return future
        self._write([(item, future)])  # stopping: write in the caller's thread
        return future

    def stop(self, timeout: float = 30) -> None:
        """Write what is queued, then end the writer thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                short = len(self._queue) < self.max_batch and not self._stopping
            if short and self.wait:
                time.sleep(self.wait)
            with self._cond:
                batch = self._queue[:self.max_batch]
                del self._queue[:self.max_batch]
            self._write(batch)

    def _write(self, batch: list[tuple[Item, Future[Result]]]) -> None:
        live = [(item, future) for item, future in batch if future.set_running_or_notify_cancel()]
        if not live:
            return
        self.batches += 1
        results: list[Result | BaseException]
        try:
            results = list(self.write_batch([item for item, _ in live]))
        except Exception as error:
            if len(live) == 1:
                live[0][1].set_exception(error)
                return
            log.warning("a batch of %d items failed (%s); writing them one by one", len(live), error)
            results = []
            for item, _ in live:
                try:
                    results.extend(self.write_batch([item]))
                except Exception as single:
                    results.append(single)
        for (_, future), result in zip(live, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
