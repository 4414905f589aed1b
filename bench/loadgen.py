"""The load generator the HTTP benchmarks share (``consent.py``, ``intake.py``).

A keep-alive HTTP/1.1 client on raw asyncio streams (:class:`Connection`), light enough
that on a small machine the client does not take the CPU the server under test needs, and
two ways to drive it:

- :func:`closed_loop`: ``count`` requests from ``concurrency`` connections, each sending
  its next request as soon as the previous one is answered. Measures saturation: the most
  the server answers per second, and the latency when it is that busy.
- :func:`open_loop`: ``count`` requests at a fixed arrival rate, request ``i`` due at
  ``start + i / rate`` whatever the server does, sent over a pool of keep-alive connections
  that grows whenever all are busy, so a slow answer does not hold back later sends.
  Latency runs from the *scheduled* send time, so a server that falls behind is charged
  for the wait of every request queued behind it (no coordinated omission).

Both take ``build(i) -> (method, target, body)`` for request ``i`` and ``good(status)``
saying which answers count as success.
"""

from __future__ import annotations

import asyncio
import gc
import math
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

Request = tuple[str, str, bytes]
"""One request: method, target (path and query) and body, e.g. ``("GET", "/v1/x?a=1", b"")``."""

Build = Callable[[int], Request]
Good = Callable[[int], bool]

LATE_SECONDS = 0.010
"""An open-loop request sent this much after its scheduled time counts as late."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.5 for the median, 0.99 for p99); NaN if empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


class Connection:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams.

    Opens lazily, reopens after the server closes it, and resends once if a reused
    connection turns out to have been closed by the server while idle. Handles answers
    with ``Content-Length``, chunked, or delimited by the server closing the connection.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.body = b""
        """The body of the last answer."""

    async def open(self) -> None:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def call(self, method: str, target: str, body: bytes = b"") -> int:
        """Send one request and read its answer; the status code (the body is in ``self.body``)."""
        reused = self.writer is not None
        try:
            return await self._exchange(method, target, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            await self.close()
            if not reused:
                raise
            return await self._exchange(method, target, body)  # closed by the server while idle

    async def _exchange(self, method: str, target: str, body: bytes) -> int:
        await self.open()
        assert self.reader is not None and self.writer is not None
        head = (f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection before answering")
        length: int | None = None
        chunked = close = False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                close = value == "close"
        status = int(status_line.split()[1])
        if method == "HEAD" or status in (204, 304) or status < 200:
            self.body = b""
        elif chunked:
            parts = []
            while size := int((await self.reader.readline()).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            while await self.reader.readline() not in (b"\r\n", b""):
                pass  # trailers
            self.body = b"".join(part[:-2] for part in parts)
        elif length is not None:
            self.body = await self.reader.readexactly(length)
        else:
            self.body, close = await self.reader.read(), True
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None


@dataclass(frozen=True)
class Result:
    """Figures of one closed-loop run."""

    count: int
    """Requests sent."""
    failures: int
    """Requests not answered, or answered with a status ``good`` refused."""
    seconds: float
    """From the first send to the last answer."""
    per_second: float
    """``count / seconds``."""
    p50_ms: float
    p99_ms: float
    first_failure: str | None
    """What went wrong with the first failed request, if any."""

    @property
    def ok(self) -> int:
        return self.count - self.failures


@dataclass(frozen=True)
class OpenResult(Result):
    """Figures of one open-loop run; latency is from each request's scheduled send time."""

    rate: float
    """The arrival rate asked for, per second."""
    achieved_per_second: float
    """Answers per second between the first answer and the last: the rate the server kept up
    with (about ``rate`` if it kept up; lower if answers fell behind)."""
    late: int
    """Requests sent more than ``LATE_SECONDS`` after their scheduled time (the client
    fell behind; should be 0)."""


class _Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.failures = 0
        self.first_failure: str | None = None

    async def send(self, connection: Connection, request: Request, good: Good) -> None:
        """Send ``request``, counting a failure if it is not answered or not ``good``."""
        method, target, body = request
        try:
            status = await connection.call(method, target, body)
        except (OSError, asyncio.IncompleteReadError, ValueError) as error:
            await connection.close()
            self._fail(f"{method} {target}: {error!r}")
            return
        if not good(status):
            self._fail(f"{method} {target}: {status} {connection.body[:300].decode(errors='replace')}")

    def _fail(self, what: str) -> None:
        self.failures += 1
        self.first_failure = self.first_failure or what

    def result(self, count: int, seconds: float) -> Result:
        return Result(count=count, failures=self.failures, seconds=seconds, per_second=count / seconds,
                      p50_ms=percentile(self.latencies, 0.50) * 1000,
                      p99_ms=percentile(self.latencies, 0.99) * 1000, first_failure=self.first_failure)


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


async def closed_loop(url: str, count: int, concurrency: int, build: Build, good: Good) -> Result:
    """Send ``count`` requests from ``concurrency`` keep-alive connections to the server at
    ``url``, each connection sending its next request once the last is answered."""
    host, port = _address(url)
    tally = _Tally()
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        connection = Connection(host, port)
        try:
            while next_index < count:
                request = build(next_index)
                next_index += 1
                began = time.perf_counter()
                await tally.send(connection, request, good)
                tally.latencies.append(time.perf_counter() - began)
        finally:
            await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally.result(count, time.perf_counter() - began)


async def open_loop(url: str, count: int, rate: float, build: Build, good: Good, *,
                    connections: int = 16, max_connections: int = 2000) -> OpenResult:
    """Send ``count`` requests to the server at ``url`` at ``rate`` per second, request ``i``
    due at ``start + i / rate`` whether or not earlier ones were answered.

    Starts with ``connections`` open keep-alive connections and opens another whenever all
    are busy (up to ``max_connections``; past that a send waits, and shows as late).
    Requests are built before the clock starts so building costs nothing during the run, and
    the garbage collector is paused during it so its pauses do not delay sends.
    """
    host, port = _address(url)
    requests = [build(index) for index in range(count)]
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    pool = [Connection(host, port) for _ in range(connections)]
    await asyncio.gather(*(connection.open() for connection in pool))
    for connection in pool:
        idle.put_nowait(connection)
    tally = _Tally()
    answered: list[float] = []
    late = 0

    async def one(connection: Connection, index: int, due: float) -> None:
        nonlocal late
        late += time.perf_counter() - due > LATE_SECONDS
        await tally.send(connection, requests[index], good)
        now = time.perf_counter()
        tally.latencies.append(now - due)
        answered.append(now)
        idle.put_nowait(connection)

    tasks = []
    collecting = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for index in range(count):
            due = start + index / rate
            if (wait := due - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            if idle.empty() and len(pool) < max_connections:
                pool.append(connection := Connection(host, port))
            else:
                connection = await idle.get()
            tasks.append(asyncio.create_task(one(connection, index, due)))
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - start
    finally:
        if collecting:
            gc.enable()
    for connection in pool:
        await connection.close()
    span = answered[-1] - answered[0] if count > 1 else math.nan
    return OpenResult(**asdict(tally.result(count, seconds)), rate=rate,
                      achieved_per_second=(count - 1) / span if span > 0 else math.nan, late=late)

