"""Benchmark of request intake through HTTP under concurrent load (not a test).

Starts ``custos serve`` (a real uvicorn process) on loopback with the embedded SQLite
control plane and the sample shop's data map, and sends it access requests
(``POST /v1/requests``). Alongside it, in the same run and the same way, it loads the
baseline: a minimal FastAPI endpoint served by uvicorn that inserts one row into SQLite
(WAL, ``synchronous=NORMAL``, as the control plane is configured). The load comes from the
light raw-asyncio client of ``loadgen.py`` (httpx only waits for the server to come up), so
that on a small machine the client does not take the CPU the server needs. Two phases of
``--requests`` requests each, for both servers:

- saturation (closed loop): ``--concurrency`` keep-alive connections, each sending its next
  request when the last is answered. Prints requests per second, p50 and p99 latency; the
  target of 1,000 requests/s is judged on this throughput.
- at ``--rate`` requests/s (open loop, 1,000 by default): requests sent on schedule whatever
  the server does, latency from each one's scheduled send time. Prints the rate achieved
  (answers per second), p50 and p99, and how many sends the client itself got out late.

Then it checks that none was lost: the rows in the store equal the 2xx answers and the
requests sent (warm-up and both phases).

    python bench/intake.py                          # 3,000 requests per phase, 32 connections, 1,000/s
    python bench/intake.py --requests 10000 --concurrency 64 --rate 1500
    python bench/intake.py --workers 2              # custos serve --workers 2 (one per core)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from loadgen import (
    LATE_SECONDS,
    Build,
    OpenResult,
    Request,
    Result,
    closed_loop,
    free_port,
    open_loop,
)

TARGET_PER_SECOND = 1000


# --- the baseline: one endpoint, one insert ---------------------------------------------

def baseline_app(database: str) -> object:
    import json
    import uuid

    from fastapi import FastAPI

    app = FastAPI()
    conn = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS requests (id TEXT PRIMARY KEY, type TEXT, email TEXT, body TEXT)")
    import threading

    lock = threading.Lock()

    @app.post("/v1/requests", status_code=202)
    def create(body: dict[str, str]) -> dict[str, str]:
        ident = str(uuid.uuid4())
        with lock:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO requests VALUES (?, ?, ?, ?)",
                         (ident, body.get("type"), body.get("email"), json.dumps(body)))
            conn.execute("COMMIT")
        return {"id": ident, "status": "received"}

    return app


def serve_baseline(port: int, database: str) -> None:
    import uvicorn

    uvicorn.run(baseline_app(database), host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]


# --- servers ----------------------------------------------------------------------------

def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"the server did not answer:\n{log.read_text()}")


def start_custos(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    from custos.demo import build_shop, demo_map_text

    shop_url = f"sqlite:///{folder / 'shop.db'}"
    build_shop(shop_url, customers=200)
    map_path = folder / "custos.yaml"
    map_path.write_text(demo_map_text().replace("${SHOP_DB_URL:-sqlite:///shop.db}", shop_url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env.update({
        "CUSTOS_DATABASE_URL": f"sqlite:///{folder / 'custos.db'}", "CUSTOS_DATAMAP": str(map_path),
        "CUSTOS_SECRET_KEY": "bench-intake-secret-key-0123456789abcdef", "CUSTOS_STATE_DIR": str(folder / "state"),
        "CUSTOS_OUTBOX_DIR": str(folder / "outbox"), "CUSTOS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "CUSTOS_RATE_LIMIT_PER_MINUTE": "100000000",
    })
    custos = Path(sys.executable).with_name("custos")
    log = folder / "custos.log"
    # no access log, as the baseline writes none
    process = subprocess.Popen([str(custos) if custos.exists() else "custos", "serve", "--host", "127.0.0.1",
                                "--port", str(port), "--workers", str(workers), "--no-access-log"],
                               cwd=folder, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/v1/discovery", process, log)
    return process


def start_baseline(folder: Path, port: int) -> subprocess.Popen[bytes]:
    log = folder / "baseline.log"
    process = subprocess.Popen([sys.executable, __file__, "--serve-baseline", str(port), str(folder / "baseline.db")],
                               cwd=folder, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/docs", process, log)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the load ---------------------------------------------------------------------------

WARM_UP = 20


def access_requests(tag: str) -> Build:
    """Request ``i``: an access request from an address no other request uses."""
    def build(index: int) -> Request:
        body = {"type": "access", "email": f"bench-{tag}-{index}@example.com"}
        return "POST", "/v1/requests", json.dumps(body).encode()
    return build


def accepted(status: int) -> bool:
    return 200 <= status < 300


def measure(url: str, args: argparse.Namespace, which: str) -> tuple[Result, OpenResult, int]:
    """Warm up, then the closed loop, then the open loop; their figures and the requests sent."""
    warm = asyncio.run(closed_loop(url, WARM_UP, min(args.concurrency, WARM_UP), access_requests(f"{which}-warm"),
                                   accepted))
    closed = asyncio.run(closed_loop(url, args.requests, args.concurrency, access_requests(which), accepted))
    time.sleep(0.5)
    opened = asyncio.run(open_loop(url, args.requests, args.rate, access_requests(f"{which}-open"), accepted))
    for result in (warm, closed, opened):
        if result.first_failure:
            print(f"  {which}: first failure: {result.first_failure}")
    return closed, opened, warm.ok + closed.ok + opened.ok


def count_rows(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM requests").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests to send to each server, per phase")
    parser.add_argument("--concurrency", type=int, default=32, help="connections of the closed loop")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests/s of the open loop")
    parser.add_argument("--workers", type=int, default=1,
                        help="server processes of custos serve (the baseline always runs one)")
    parser.add_argument("--serve-baseline", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(int(args.serve_baseline[0]), args.serve_baseline[1])
        return
    with tempfile.TemporaryDirectory(prefix="custos-bench-intake-") as name:
        folder = Path(name)
        figures: dict[str, tuple[Result, OpenResult]] = {}
        for which in ("baseline", "custos"):
            port = free_port()
            processes = f" with {args.workers} processes" if which == "custos" and args.workers > 1 else ""
            print(f"  starting {which} on 127.0.0.1:{port}{processes} ...", flush=True)
            process = start_baseline(folder, port) if which == "baseline" else start_custos(folder, port, args.workers)
            try:
                closed, opened, ok = measure(f"http://127.0.0.1:{port}", args, which)
            finally:
                stop(process)
            stored = count_rows(folder / ("baseline.db" if which == "baseline" else "custos.db"))
            sent = WARM_UP + closed.count + opened.count
            figures[which] = (closed, opened)
            lost = sent - stored
            print(f"  {which:8}  saturation  {closed.per_second:7,.0f} requests/s   p50 {closed.p50_ms:6.1f} ms   "
                  f"p99 {closed.p99_ms:6.1f} ms   (closed loop, {args.concurrency} connections)\n"
                  f"  {'':8}  at {opened.rate:,.0f}/s  achieved {opened.achieved_per_second:5,.0f}/s   "
                  f"p50 {opened.p50_ms:6.1f} ms   p99 {opened.p99_ms:6.1f} ms   (open loop, from the scheduled "
                  f"send; {opened.late} sends late by > {LATE_SECONDS * 1000:.0f} ms)\n"
                  f"  {'':8}  sent {sent}, 2xx {ok}, in the store {stored}"
                  f"{'' if lost == 0 and ok == sent else '   LOST ' + str(lost)}")
            if lost or ok != sent:
                raise SystemExit(f"{which}: {lost} requests lost, {sent - ok} not accepted")
    (closed, opened), (base_closed, base_opened) = figures["custos"], figures["baseline"]
    print(f"\nintake at saturation: {closed.per_second:,.0f} requests/s ({closed.per_second / base_closed.per_second:.2f}x "
          f"the baseline's {base_closed.per_second:,.0f}/s), p99 {closed.p99_ms:.1f} ms, none lost; "
          f"target {TARGET_PER_SECOND:,}/s: {'met' if closed.per_second >= TARGET_PER_SECOND else 'NOT met'}")
    print(f"intake at {opened.rate:,.0f} requests/s: achieved {opened.achieved_per_second:,.0f}/s "
          f"(baseline {base_opened.achieved_per_second:,.0f}/s), p50 {opened.p50_ms:.1f} ms "
          f"({opened.p50_ms / base_opened.p50_ms:.2f}x the baseline's {base_opened.p50_ms:.1f}), "
          f"p99 {opened.p99_ms:.1f} ms ({opened.p99_ms / base_opened.p99_ms:.2f}x the baseline's "
          f"{base_opened.p99_ms:.1f})")


if __name__ == "__main__":
    main()
