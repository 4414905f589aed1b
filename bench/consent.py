"""Consent under load: POST /v1/consent and GET /v1/consent against a real uvicorn process.

    python bench/consent.py [--requests 3000] [--concurrency 32] [--rate-events 2000] [--get-rate 1000]

Starts, on loopback, the service as ``custos serve`` runs it (uvicorn, one process, the
control plane on SQLite) with consent installed, and a baseline: a minimal FastAPI app
whose endpoint inserts one row per event into SQLite. Loads both the same way, with the
light raw-asyncio client of ``loadgen.py`` so that the load generator takes little of the
CPU the servers share with it, and prints each figure with its ratio against the baseline
measured in the same run. Each consent POST is a banner's "Accept all": one event per
purpose offered (five here).

Two kinds of figures, ``--requests`` POSTs and as many GETs each:

- saturation (closed loop, ``--concurrency`` keep-alive connections each sending its next
  request when the last is answered): the most each server answers per second, and its
  latency when that busy. No target is judged on these.
- at the target rate (open loop): POSTs at ``--rate-events`` events/s (``rate / 5`` POSTs
  per second), then GETs at ``--get-rate`` per second, sent on schedule whatever the
  server does, latency counted from each request's scheduled send time.

Targets (issue 4), judged at the target rate: 2,000 events/s sustained (achieved within
1%), POST p99 < 50 ms, GET p99 < 10 ms; and the events stored equal the events sent by
every POST of every phase (warm-up included).
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
from dataclasses import dataclass
from pathlib import Path

import httpx

from loadgen import LATE_SECONDS, OpenResult, Request, Result, closed_loop, free_port, open_loop

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
from custos.server import create_app
from custos.server import freeze_startup_objects
folder, port = sys.argv[1], int(sys.argv[2])
settings = get_settings(database_url=f"sqlite:///{folder}/custos.db", datamap=f"{folder}/map.yaml",
                        state_dir=f"{folder}/state", outbox_dir=f"{folder}/outbox", secret_key="b" * 40,
                        rate_limit_per_minute=10_000_000)
app = create_app(settings, run_jobs=False, pages=False, extensions=False)
install(app, settings=ConsentSettings(webhook_worker=False, rate_limit_per_minute=10_000_000))
freeze_startup_objects()  # as custos serve does
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
WARM_UP = 200


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


def post(n: int) -> Request:
    """A banner's "Accept all" (or "Reject all"): one event per purpose."""
    body = {"subject": f"bench-device-{n % 5000:06d}", "choices": dict.fromkeys(PURPOSES, n % 2 == 0),
            "method": "banner"}
    return "POST", "/v1/consent", json.dumps(body).encode()


def get(n: int) -> Request:
    return "GET", f"/v1/consent?subject=bench-device-{n % 5000:06d}", b""


def created(status: int) -> bool:
    return status == 201


def answered(status: int) -> bool:
    return status == 200


def stored(path: Path, table: str) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608 - fixed name


@dataclass(frozen=True)
class Figures:
    """One server's figures: saturation (closed loop) and at the target rates (open loop)."""

    post: Result
    get: Result
    post_at_rate: OpenResult
    get_at_rate: OpenResult

    @property
    def posts_sent(self) -> int:
        return WARM_UP + self.post.count + self.post_at_rate.count

    @property
    def failures(self) -> int:
        return self.post.failures + self.get.failures + self.post_at_rate.failures + self.get_at_rate.failures


def run(code: str, folder: Path, options: argparse.Namespace) -> Figures:
    process, url = start(code, folder)
    post_rate = options.rate_events / len(PURPOSES)
    try:
        asyncio.run(closed_loop(url, WARM_UP, options.concurrency, post, created))
        saturation_post = asyncio.run(closed_loop(url, options.requests, options.concurrency, post, created))
        saturation_get = asyncio.run(closed_loop(url, options.requests, options.concurrency, get, answered))
        time.sleep(0.5)
        post_at_rate = asyncio.run(open_loop(url, options.requests, post_rate, post, created))
        time.sleep(0.5)
        get_at_rate = asyncio.run(open_loop(url, options.requests, options.get_rate, get, answered))
    finally:
        process.terminate()
        process.wait(timeout=20)
    return Figures(saturation_post, saturation_get, post_at_rate, get_at_rate)


def table(rows: list[tuple[str, float, float, float | None, bool | None]]) -> None:
    """Print ``(figure, consent, baseline, target, met)`` rows; ``met`` None where no target."""
    print(f"  {'figure':<24}{'consent':>10}{'baseline':>10}{'ratio':>8}{'target':>9}  met")
    for name, ours, theirs, target, met in rows:
        print(f"  {name:<24}{ours:>10.1f}{theirs:>10.1f}{ours / theirs:>8.2f}"
              f"{'' if target is None else f'{target:,.0f}':>9}  {'' if met is None else 'yes' if met else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="POSTs and GETs per phase")
    parser.add_argument("--concurrency", type=int, default=32, help="connections of the saturation phases")
    parser.add_argument("--rate-events", type=float, default=2000.0, help="consent events/s of the open-loop POSTs")
    parser.add_argument("--get-rate", type=float, default=1000.0, help="GETs/s of the open-loop GETs")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="custos-bench-") as temporary:
        folder = Path(temporary)
        (folder / "map.yaml").write_text(MAP)
        os.environ.pop("CUSTOS_SMTP_URL", None)
        baseline = run(BASELINE_SERVER, folder, options)
        consent = run(CONSENT_SERVER, folder, options)
        consent_stored = stored(folder / "custos.db", "consent_events")
        baseline_stored = stored(folder / "baseline.db", "events")
    per = len(PURPOSES)
    print(f"{options.requests} POSTs ({per} events each) and {options.requests} GETs per phase, "
          f"loopback, SQLite control plane")
    print(f"saturation (closed loop, {options.concurrency} keep-alive connections; no targets here):")
    table([
        ("POST requests/s", consent.post.per_second, baseline.post.per_second, None, None),
        ("POST events/s", consent.post.per_second * per, baseline.post.per_second * per, None, None),
        ("POST p50 ms", consent.post.p50_ms, baseline.post.p50_ms, None, None),
        ("POST p99 ms", consent.post.p99_ms, baseline.post.p99_ms, None, None),
        ("GET requests/s", consent.get.per_second, baseline.get.per_second, None, None),
        ("GET p50 ms", consent.get.p50_ms, baseline.get.p50_ms, None, None),
        ("GET p99 ms", consent.get.p99_ms, baseline.get.p99_ms, None, None),
    ])
    ours_post, theirs_post = consent.post_at_rate, baseline.post_at_rate
    ours_get, theirs_get = consent.get_at_rate, baseline.get_at_rate
    events = options.rate_events
    print(f"at the target rate (open loop: {ours_post.rate:,.0f} POSTs/s = {events:,.0f} events/s, "
          f"{ours_get.rate:,.0f} GETs/s; latency from the scheduled send):")
    table([
        ("POST events/s achieved", ours_post.achieved_per_second * per, theirs_post.achieved_per_second * per,
         events, ours_post.achieved_per_second * per >= 0.99 * events),
        ("POST p50 ms", ours_post.p50_ms, theirs_post.p50_ms, None, None),
        ("POST p99 ms", ours_post.p99_ms, theirs_post.p99_ms, 50.0, ours_post.p99_ms < 50.0),
        ("GET requests/s achieved", ours_get.achieved_per_second, theirs_get.achieved_per_second, None, None),
        ("GET p50 ms", ours_get.p50_ms, theirs_get.p50_ms, None, None),
        ("GET p99 ms", ours_get.p99_ms, theirs_get.p99_ms, 10.0, ours_get.p99_ms < 10.0),
    ])
    late = {name: f.post_at_rate.late + f.get_at_rate.late for name, f in (("consent", consent), ("baseline", baseline))}
    print(f"  sends late by more than {LATE_SECONDS * 1000:.0f} ms (client behind schedule): "
          f"consent {late['consent']}, baseline {late['baseline']}")
    sent_events = consent.posts_sent * per
    print(f"events sent {sent_events}, stored {consent_stored} (baseline sent {baseline.posts_sent * per}, "
          f"stored {baseline_stored}); failed calls {consent.failures} (baseline {baseline.failures}); "
          f"count stored equals count sent: {'yes' if consent_stored == sent_events else 'NO'}")
    for name, figures in (("consent", consent), ("baseline", baseline)):
        for result in (figures.post, figures.get, figures.post_at_rate, figures.get_at_rate):
            if result.first_failure:
                print(f"  {name}: first failure: {result.first_failure}")
                break


if __name__ == "__main__":
    main()
