"""The scan in the service: asked for over the API, run as a job with progress, the report
kept and shown, one scan at a time, the scopes, the schedule, the audit log and the table."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from custos.controlplane import Base, migrate
from custos.discovery import service as scans
from tests.service.conftest import Harness, start

READ, WRITE = ("scans:read",), ("scans:read", "scans:write")


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    yield from start(tmp_path)


def _add_unmapped_column(harness: Harness) -> None:
    engine = sa.create_engine(harness.shop_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE customers ADD COLUMN backup_email VARCHAR(200)"))
        conn.execute(sa.text("UPDATE customers SET backup_email = 'b' || id || '@backup.example.net'"))
    engine.dispose()


def test_a_scan_is_queued_run_and_its_report_kept(harness: Harness) -> None:
    _add_unmapped_column(harness)
    assert harness.client.get("/v1/admin/scans/latest", headers=harness.key(*READ)).json() is None
    queued = harness.client.post("/v1/admin/scans", json={"sample": 200}, headers=harness.key(*WRITE))
    assert queued.status_code == 202 and queued.json()["status"] == "queued", queued.text
    again = harness.client.post("/v1/admin/scans", json={}, headers=harness.key(*WRITE))
    assert again.status_code == 409 and "still queued" in again.json()["error"]["message"]
    harness.run_jobs()
    done = harness.client.get(f"/v1/admin/scans/{queued.json()['id']}", headers=harness.key(*READ)).json()
    assert done["status"] == "done" and done["drift_count"] >= 1
    assert done["progress"]["done"] == done["progress"]["total"] == len(done["report"]["tables"])
    assert any(d["kind"] == "unmapped_column" and d["column"] == "backup_email" for d in done["drift"])
    assert "@backup.example.net" not in str(done)
    latest = harness.client.get("/v1/admin/scans/latest", headers=harness.key(*READ)).json()
    assert latest["id"] == done["id"]
    audit = harness.client.get("/v1/admin/audit", headers=harness.key("audit:read")).json()
    actions = [e["action"] for e in (audit["entries"] if isinstance(audit, dict) else audit)]
    assert "scan.requested" in actions and "scan.completed" in actions


def test_scans_need_their_scopes_and_valid_bodies(harness: Harness) -> None:
    assert harness.client.post("/v1/admin/scans", json={}, headers=harness.key(*READ)).status_code == 403
    assert harness.client.get("/v1/admin/scans", headers=harness.key("requests:read")).status_code == 403
    unknown = harness.client.post("/v1/admin/scans", json={"systems": ["nowhere"]}, headers=harness.key(*WRITE))
    assert unknown.status_code == 422 and "no system nowhere" in unknown.json()["error"]["message"]
    assert harness.client.post("/v1/admin/scans", json={"sample": 0}, headers=harness.key(*WRITE)).status_code == 422
    assert harness.client.get("/v1/admin/scans/nope", headers=harness.key(*READ)).status_code == 404


def test_the_schedule_queues_a_scan_only_when_due(harness: Harness) -> None:
    assert scans.scheduled(harness.service) == 0  # off unless scan_every_hours is set
    harness.service.settings.scan_every_hours = 24
    assert scans.scheduled(harness.service) == 1
    assert scans.scheduled(harness.service) == 0  # one is open
    harness.run_jobs()
    assert scans.scheduled(harness.service) == 0
    harness.clock.advance(hours=25)
    assert scans.scheduled(harness.service) == 1


def test_the_scans_table_matches_its_model(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'plane.db'}")
    migrate(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": lambda o, name, type_, *_: (
            (name if type_ == "table" else getattr(getattr(o, "table", None), "name", None)) == "scans")})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_the_console_page_shows_the_report(tmp_path: Path) -> None:
    import time

    from custos.server import create_app
    from tests.consent.browser import CHROMIUM
    from tests.service.conftest import make_settings
    from tests.service.test_retention_pages import _submit, console_in_browser

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (install Debian's chromium)")
    app = create_app(make_settings(tmp_path, f"sqlite:///{tmp_path / 'custos.db'}"), run_jobs=True)
    with console_in_browser(app) as (browser, page, server):
        page.goto(f"{server.url}/admin/scans")
        assert "No scan has finished yet." in page.evaluate("document.body.innerText")
        _submit(page, "form[action='/admin/scans'] button")
        for _ in range(50):
            page.goto(f"{server.url}/admin/scans")
            text = page.evaluate("document.body.innerText")
            if "Last scan finished" in text:
                break
            time.sleep(0.2)
        assert "Last scan finished" in text and "Tables" in text, text[:800]
        for width, name in ((1280, "desktop"), (390, "phone")):
            browser.command("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500},
                            session=page.session)
            shot = browser.command("Page.captureScreenshot", {"format": "png"}, session=page.session)
            (tmp_path / f"scans-{name}.png").write_bytes(base64.b64decode(shot["data"]))
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width + 1, f"the page scrolls sideways at {width}px ({wide}px)"
