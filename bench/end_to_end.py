"""Benchmark from verification to package ready for one subject of the large sample shop (not a test).

Uses the sample shop of bench/engine.py (``custos.demo.build_shop(fast=True)``, built once
and cached under bench/data/), a fresh control plane on SQLite and the service as
``custos serve`` runs it. For each of ``--samples`` random customers it makes an access
request, reads the code from the outbox, then times what the person waits for: the code
and the details checked against the stores (``verification.submit``), the job that runs
the access through the engine, builds the zip and stores it encrypted, until the request
is ``completed`` with its package link. Prints the median, p90 and the engine's access
alone (the part of the work that reads the stores) as the baseline in the same run.

    python bench/end_to_end.py                      # 1,000,000 customers
    python bench/end_to_end.py --customers 50000    # a quick run
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from custos.config import get_settings
from custos.controlplane import Request
from custos.demo import demo_map_text
from custos.engine import Subject
from custos.server import create_app
from custos.service.http.api.public import receipt
from custos.service.mail import read_outbox
from custos.service.packages import latest_link
from custos.service.requests import verification
from custos.service.requests.intake import Intake
from custos.service.work.jobs import run_pending
from custos.stores.sql import normalize_url
from engine import DATA, live_subjects, prepare

TARGET_SECONDS = 1.0


def details(url: str, email: str) -> dict[str, str]:
    """What the person knows about themself: name, phone, birth date."""
    engine = sa.create_engine(normalize_url(url))
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT full_name, phone, birth_date FROM customers WHERE email = :e"),
                           {"e": email}).one()
    engine.dispose()
    points = {"shop.customers.full_name": row[0], "shop.customers.phone": row[1],
              "shop.customers.birth_date": str(row[2])[:10]}
    return {k: v for k, v in points.items() if v}


def code_for(outbox: Path, email: str) -> str:
    for message in reversed(read_outbox(outbox)):
        if message["To"] == email and message["X-Custos-Mail"] == "code":
            match = re.search(r"^\s+(\d{6})\s*$", message.get_body(("plain",)).get_content(), re.M)
            if match:
                return match.group(1)
    raise SystemExit(f"no code mailed to {email}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=15)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    url = f"sqlite:///{DATA / f'shop-{args.customers}.db'}"
    print(f"== end to end: {args.customers:,} customers")
    prepare(url, args.customers)
    subjects = live_subjects(url, args.samples + 6, seed=int(time.time()))
    with tempfile.TemporaryDirectory(prefix="custos-bench-e2e-") as name:
        folder = Path(name)
        map_path = folder / "custos.yaml"
        map_path.write_text(demo_map_text().replace("${SHOP_DB_URL:-sqlite:///shop.db}", url))
        settings = get_settings(
            database_url=f"sqlite:///{folder / 'custos.db'}", datamap=str(map_path),
            secret_key="bench-end-to-end-secret-key-0123456789", state_dir=str(folder / "state"),
            outbox_dir=str(folder / "outbox"), public_url="http://127.0.0.1:8000")
        app = create_app(settings, run_jobs=False)
        service = app.state.service
        outbox = Path(settings.outbox_dir)
        totals: list[float] = []
        engine_only: list[float] = []
        try:
            for index, email in enumerate(subjects):
                made = receipt(service, Intake(type="access", identities={"email": email},
                                                        jurisdiction="ccpa", source="api"))
                code = code_for(outbox, email)
                points = details(url, email)
                declaration = verification.Declaration(points.get("shop.customers.full_name", "me"), True)
                started = time.perf_counter()
                verification.submit(service, made.id, code=code, data_points=points, declaration=declaration)
                while run_pending(service):
                    pass
                elapsed = time.perf_counter() - started
                with service.plane.read() as session:
                    stored = session.get(Request, made.id)
                    status, answered_as = (stored.status, stored.answered_as) if stored else ("missing", None)
                link = latest_link(service, made.id)
                if status == "completed" and answered_as is not None:
                    print(f"  {email:48} skipped: too few details on file, answered as {answered_as}")
                    continue
                if status != "completed" or link is None:
                    raise SystemExit(f"request for {email} is {status}, package {link}")
                with service.engine_lock:  # the baseline: the engine's access alone, on a warm cache
                    begun = time.perf_counter()
                    rows = service.engine.access(Subject.of(email=email)).row_count
                    access = time.perf_counter() - begun
                if index == 0:
                    continue  # the first one warms the caches and compiles the statements
                totals.append(elapsed)
                engine_only.append(access)
                print(f"  {email:48} {elapsed * 1000:8.1f} ms   ({rows} rows; engine access {access * 1000:.1f} ms)")
        finally:
            service.close()
    median = statistics.median(totals)
    p90 = sorted(totals)[int(0.9 * (len(totals) - 1))]
    base = statistics.median(engine_only)
    print(f"\nverification to package ready: median {median * 1000:.0f} ms, p90 {p90 * 1000:.0f} ms over "
          f"{len(totals)} subjects ({median / base:.1f}x the engine's access alone, {base * 1000:.0f} ms); "
          f"target under {TARGET_SECONDS:.0f} s: {'met' if median < TARGET_SECONDS else 'NOT met'}")


if __name__ == "__main__":
    main()
