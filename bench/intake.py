"""Benchmark of request intake through HTTP under concurrent load (not a test).

Starts ``custos serve`` (a real uvicorn process) on loopback with the embedded SQLite
control plane and the sample shop's data map, and sends ``--requests`` access requests
(``POST /v1/requests``) from ``--concurrency`` concurrent clients. Alongside it, in the same
run and the same way, it loads the baseline: a minimal FastAPI endpoint served by uvicorn
that inserts one row into SQLite (WAL, ``synchronous=NORMAL``, as the control plane is
configured). Prints requests per second, median and p99 latency for both, the ratio, and
checks that none was lost (the rows in the store equal the 2xx answers and the requests
sent).

    python bench/intake.py                          # 3,000 requests, 32 concurrent clients
    python bench/intake.py --requests 10000 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TARGET_PER_SECOND = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def start_custos(folder: Path, port: int) -> subprocess.Popen[bytes]:
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
    process = subprocess.Popen([str(custos) if custos.exists() else "custos", "serve", "--host", "127.0.0.1",
                                "--port", str(port)], cwd=folder, env=env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT)
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

async def load(url: str, total: int, concurrency: int, tag: str) -> tuple[float, list[float], int]:
    """Send ``total`` requests from ``concurrency`` clients; seconds taken, latencies, 2xx answers."""
    latencies: list[float] = []
    ok = 0
    next_index = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal ok, next_index
        while next_index < total:
            index = next_index
            next_index += 1
            body = {"type": "access", "email": f"bench-{tag}-{index}@example.com"}
            started = time.perf_counter()
            answer = await http.post(url, json=body)
            latencies.append(time.perf_counter() - started)
            if 200 <= answer.status_code < 300:
                ok += 1
            elif answer.status_code >= 400:
                raise SystemExit(f"{url} answered {answer.status_code}: {answer.text[:300]}")

    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        for index in range(min(concurrency, 20)):  # warm up connections and code paths
            await http.post(url, json={"type": "access", "email": f"warm-{tag}-{index}@example.com"})
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
        return time.perf_counter() - started, latencies, ok + min(concurrency, 20)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def count_rows(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT count(*) FROM requests").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="requests to send to each server")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients")
    parser.add_argument("--serve-baseline", nargs=2, metavar=("PORT", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(int(args.serve_baseline[0]), args.serve_baseline[1])
        return
    with tempfile.TemporaryDirectory(prefix="custos-bench-intake-") as name:
        folder = Path(name)
        figures = {}
        for which in ("baseline", "custos"):
            port = free_port()
            print(f"  starting {which} on 127.0.0.1:{port} ...", flush=True)
            process = start_baseline(folder, port) if which == "baseline" else start_custos(folder, port)
            try:
                seconds, latencies, ok = asyncio.run(
                    load(f"http://127.0.0.1:{port}/v1/requests", args.requests, args.concurrency, which))
            finally:
                stop(process)
            stored = count_rows(folder / ("baseline.db" if which == "baseline" else "custos.db"))
            sent = args.requests + min(args.concurrency, 20)
            figures[which] = (args.requests / seconds, statistics.median(latencies), percentile(latencies, 0.99))
            rate, median, p99 = figures[which]
            lost = sent - stored
            print(f"  {which:8}  {rate:8,.0f} requests/s   median {median * 1000:6.1f} ms   "
                  f"p99 {p99 * 1000:6.1f} ms   sent {sent}, 2xx {ok}, in the store {stored}"
                  f"{'' if lost == 0 and ok == sent else '   LOST ' + str(lost)}")
            if lost or ok != sent:
                raise SystemExit(f"{which}: {lost} requests lost")
    custos_rate, base_rate = figures["custos"][0], figures["baseline"][0]
    print(f"\nintake: {custos_rate:,.0f} requests/s ({custos_rate / base_rate:.2f}x the baseline's "
          f"{base_rate:,.0f}/s), p99 {figures['custos'][2] * 1000:.1f} ms, none lost; "
          f"target {TARGET_PER_SECOND:,}/s: {'met' if custos_rate >= TARGET_PER_SECOND else 'NOT met'}")


if __name__ == "__main__":
    main()
