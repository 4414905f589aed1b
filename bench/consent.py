"""Consent under load: POST /v1/consent and GET /v1/consent against a real uvicorn process.

    python bench/consent.py [--requests 4000] [--concurrency 32]

Starts, on loopback, the service as ``custos serve`` runs it (uvicorn, one process, the
control plane on SQLite) with consent installed, and a baseline: a minimal FastAPI app
whose endpoint inserts one row per request into SQLite. Sends the same load to both (from a
small keep-alive HTTP/1.1 client on raw asyncio streams, so that the load generator takes
little of the CPU the servers share with it) and prints throughput and latency, with each
figure also as a ratio against the baseline measured in the same run. Each consent POST is a banner's "Accept all": one event per
purpose offered. Targets (issue 4): 2,000 events/s, POST p99 < 50 ms, GET p99 < 10 ms,
and the count stored equals the count sent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

MAP = """
organization: {name: Bench Shop, address: 1 Main St, privacy_contact: privacy@bench.example, jurisdictions: [ccpa]}
systems: [{key: shop_db, name: Shop, url: "sqlite:///:memory:", datasets: [shop]}]
datasets:
  - key: shop
    collections:
      - name: customers
        fields:
          - {name: id, primary_key: true}
          - {name: email, categories: [user.contact.email], identity: email, erase: mask_null}
purposes:
  - {key: analytics, name: Analytics, lawful_basis: consent, uses: [analytics.reporting], categories: [user.contact]}
  - {key: advertising, name: Ads, lawful_basis: consent, uses: [marketing.advertising.third_party.targeted],
     categories: [user.contact]}
"""

CONSENT_SERVER = """
import sys, uvicorn
from custos.config import get_settings
from custos.consent import ConsentSettings, install
from custos.service import create_app
folder, port = sys.argv[1], int(sys.argv[2])
settings = get_settings(database_url=f"sqlite:///{folder}/custos.db", datamap=f"{folder}/map.yaml",
                        state_dir=f"{folder}/state", outbox_dir=f"{folder}/outbox", secret_key="b" * 40,
                        rate_limit_per_minute=10_000_000)
app = create_app(settings, run_jobs=False, pages=False, extensions=False)
install(app, settings=ConsentSettings(webhook_worker=False, rate_limit_per_minute=10_000_000))
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""

BASELINE_SERVER = """
import sqlite3, sys, threading, uuid
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel
folder, port = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(f"{folder}/baseline.db", check_same_thread=False, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, subject TEXT, purpose TEXT, granted INT)")
db.execute("CREATE INDEX IF NOT EXISTS ix ON events (subject, purpose, id)")
lock = threading.Lock()
app = FastAPI()
class Body(BaseModel):
    subject: str
    choices: dict[str, bool]
@app.post("/v1/consent", status_code=201)
def post(body: Body) -> dict[str, int]:
    with lock:
        db.execute("BEGIN")
        for purpose, granted in body.choices.items():
            db.execute("INSERT INTO events (subject, purpose, granted) VALUES (?, ?, ?)", (body.subject, purpose, granted))
        db.execute("COMMIT")
    return {"recorded": len(body.choices)}
@app.get("/v1/consent")
def get(subject: str) -> dict[str, object]:
    rows = db.execute("SELECT purpose, granted FROM events WHERE id IN (SELECT max(id) FROM events "
                      "WHERE subject = ? GROUP BY purpose)", (subject,)).fetchall()
    return {"choices": {p: bool(g) for p, g in rows}}
uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
"""

PURPOSES = ["analytics", "advertising", "sale", "sharing", "targeted_advertising"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(code: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", code, str(folder), str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/v1/consent", params={"subject": "warmup-00"}, timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server on {url} did not start")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Connection:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams: a load generator light
    enough that the client does not take the CPU the servers under test need."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, method: str, target: str, body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        close = False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        await self.reader.readexactly(length)
        if close:
            await self.close()
        return int(status_line.split()[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def load(url: str, method: str, count: int, concurrency: int) -> dict[str, Any]:
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(count):
        queue.put_nowait(n)
    host, port = url.removeprefix("http://").split(":")

    async def worker() -> None:
        nonlocal failures
        connection = Connection(host, int(port))
        try:
            while not queue.empty():
                n = queue.get_nowait()
                subject = f"bench-device-{n % 5000:06d}"
                began = time.perf_counter()
                if method == "POST":
                    body = json.dumps({"subject": subject, "choices": dict.fromkeys(PURPOSES, n % 2 == 0),
                                       "method": "banner"}).encode()
                    ok = await connection.call("POST", "/v1/consent", body) == 201
                else:
                    ok = await connection.call("GET", f"/v1/consent?subject={subject}") == 200
                latencies.append(time.perf_counter() - began)
                failures += not ok
        finally:
            await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {"count": count, "failures": failures, "seconds": elapsed, "per_second": count / elapsed,
            "p50_ms": percentile(latencies, 0.50) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000}


def stored(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed name


def run(code: str, folder: Path, requests: int, concurrency: int) -> dict[str, dict[str, Any]]:
    process, url = start(code, folder)
    try:
        asyncio.run(load(url, "POST", min(200, requests), concurrency))  # warm up
        post = asyncio.run(load(url, "POST", requests, concurrency))
        get = asyncio.run(load(url, "GET", requests, concurrency))
    finally:
        process.terminate()
        process.wait(timeout=20)
    return {"post": post, "get": get}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="custos-bench-") as temporary:
        folder = Path(temporary)
        (folder / "map.yaml").write_text(MAP)
        os.environ.pop("CUSTOS_SMTP_URL", None)
        baseline = run(BASELINE_SERVER, folder, options.requests, options.concurrency)
        consent = run(CONSENT_SERVER, folder, options.requests, options.concurrency)
        warm = min(200, options.requests)
        sent_events = (options.requests + warm) * len(PURPOSES)
        consent_stored = stored(folder / "custos.db", "consent_events")
        baseline_stored = stored(folder / "baseline.db", "events")
    per = len(PURPOSES)
    rows = [
        ("POST requests/s", consent["post"]["per_second"], baseline["post"]["per_second"], None),
        ("POST events/s", consent["post"]["per_second"] * per, baseline["post"]["per_second"] * per, 2000.0),
        ("POST p50 ms", consent["post"]["p50_ms"], baseline["post"]["p50_ms"], None),
        ("POST p99 ms", consent["post"]["p99_ms"], baseline["post"]["p99_ms"], 50.0),
        ("GET p50 ms", consent["get"]["p50_ms"], baseline["get"]["p50_ms"], None),
        ("GET p99 ms", consent["get"]["p99_ms"], baseline["get"]["p99_ms"], 10.0),
    ]
    print(f"{options.requests} POSTs ({per} events each) and {options.requests} GETs, "
          f"concurrency {options.concurrency}, loopback, SQLite control plane")
    print(f"{'figure':<18}{'consent':>12}{'baseline':>12}{'ratio':>10}{'target':>10}  met")
    for name, ours, theirs, target in rows:
        lower_is_better = "ms" in name
        met = "" if target is None else ("yes" if (ours <= target if lower_is_better else ours >= target) else "NO")
        print(f"{name:<18}{ours:>12.1f}{theirs:>12.1f}{ours / theirs:>10.2f}"
              f"{'' if target is None else f'{target:.0f}':>10}  {met}")
    failures = consent["post"]["failures"] + consent["get"]["failures"]
    print(f"events sent {sent_events}, stored {consent_stored} (baseline stored {baseline_stored}); "
          f"failed calls {failures}; count stored equals count sent: {'yes' if consent_stored == sent_events else 'NO'}")


if __name__ == "__main__":
    main()
