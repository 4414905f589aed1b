"""The privacy-center journey in a real headless Chromium against a real ``custos serve`` on loopback.

A person opens the privacy center, asks for a copy of their data, reads the code from the
mail (the outbox folder), confirms with it and the details asked for, waits for the
request to complete, downloads the package through the browser and finds in its
``data.json`` exactly what the shop's databases hold about them.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from custos.service.mail import read_outbox
from tests import shop
from tests.consent.browser import CHROMIUM, Browser, Page, free_port

# The installed command, as a person runs it (beside the interpreter, else on the PATH).
CUSTOS = Path(sys.executable).with_name("custos")
if not CUSTOS.exists():
    CUSTOS = Path(shutil.which("custos") or "custos")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing (install Debian's chromium; .ci/system-packages does)")


@dataclass
class Server:
    url: str
    outbox: Path
    shop_url: str
    crm_url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``custos serve`` in its own process, on a fresh shop and control plane."""
    tmp = tmp_path_factory.mktemp("journey")
    shop_url, crm_url = f"sqlite:///{tmp / 'shop.db'}", f"sqlite:///{tmp / 'crm.db'}"
    shop.build(shop_url, crm_url)
    map_path = shop.write_map(tmp, shop_url, crm_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOS_")}
    env.update({
        "CUSTOS_DATABASE_URL": f"sqlite:///{tmp / 'custos.db'}", "CUSTOS_DATAMAP": str(map_path),
        "CUSTOS_SECRET_KEY": "journey-test-secret-key-0123456789abcdef", "CUSTOS_STATE_DIR": str(tmp / "state"),
        "CUSTOS_OUTBOX_DIR": str(tmp / "outbox"), "CUSTOS_PUBLIC_URL": url,
    })
    log = (tmp / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(CUSTOS), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"custos serve exited: {(tmp / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{url}/privacy-center", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"custos serve did not answer: {(tmp / 'serve.log').read_text()}")
            time.sleep(0.1)
        yield Server(url, tmp / "outbox", shop_url, crm_url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = Browser()
    try:
        yield chromium
    finally:
        chromium.close()


def fill(page: Page, selector: str, value: str) -> None:
    page.evaluate(f"document.querySelector({json.dumps(selector)}).value = {json.dumps(value)}")


def submit_form(page: Page, button: str) -> None:
    """Click the form's button and wait for the page the server answers with."""
    page.evaluate("window.__old = true")
    page.evaluate(f"document.querySelector({json.dumps(button)}).click()")
    page.wait_for("!window.__old && document.readyState === 'complete'", timeout=30)


def mailed_code(outbox: Path, to: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        codes = [m for m in read_outbox(outbox) if m["To"] == to and m["X-Custos-Mail"] == "code"]
        if codes:
            part = codes[-1].get_body(("plain",))
            assert part is not None
            body = part.get_content()
            match = re.search(r"^\s+(\d{6})\s*$", body, re.M)
            assert match, body
            return match.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no code mailed to {to}")


def held_about_alice(shop_url: str, crm_url: str) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """What the databases hold about Alice, read directly (mapped fields only)."""
    shop_db, crm_db = sa.create_engine(shop_url), sa.create_engine(crm_url)
    try:
        with shop_db.connect() as conn:
            customers = [dict(r._mapping) for r in conn.execute(sa.text(
                "select id, email, full_name, phone, birth_date, merged_into from customers "
                "where email = :email or merged_into in (select id from customers where email = :email) "
                "order by id"), {"email": shop.ALICE})]
            ids = [c["id"] for c in customers]
            orders = [dict(r._mapping) for r in conn.execute(sa.text(
                "select id, customer_id, ship_address, total from orders where customer_id in :ids order by id"
            ).bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids})]
            tickets = [dict(r._mapping) for r in conn.execute(sa.text(
                "select id, customer_id, email, body from tickets where email = :email or customer_id in :ids "
                "order by id").bindparams(sa.bindparam("ids", expanding=True)), {"email": shop.ALICE, "ids": ids})]
        with crm_db.connect() as conn:
            contacts = [dict(r._mapping) for r in conn.execute(sa.text(
                "select id, customer_ref, notes from contacts where customer_ref in :refs order by id"
            ).bindparams(sa.bindparam("refs", expanding=True)), {"refs": [str(i) for i in ids]})]
    finally:
        shop_db.dispose()
        crm_db.dispose()
    return {"shop": {"customers": customers, "orders": orders, "tickets": tickets}, "crm": {"contacts": contacts}}


def comparable(value: Any) -> str:
    """A stored value and its JSON rendering compare equal (dates, decimals, numbers as text)."""
    text = str(value)
    return text[:-3] if re.fullmatch(r"\d+\.\d{2}", text) and text.endswith(".00") else text


def test_access_request_from_privacy_center_to_package(server: Server, browser: Browser, tmp_path: Path) -> None:
    page = browser.page()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.command("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads),
                                                    "browserContextId": page.context})
    try:
        page.goto(f"{server.url}/privacy-center")
        assert page.evaluate("document.querySelector('h1').textContent") == "Privacy center"
        page.evaluate("document.querySelector('#type').value = 'access'")
        fill(page, "#email", shop.ALICE)
        if page.evaluate("!!document.querySelector('#jurisdiction')"):
            page.evaluate("document.querySelector('#jurisdiction').value = 'ccpa'")
        submit_form(page, "form button[type=submit]")
        status_url = page.evaluate("location.href")
        assert "/privacy-center/requests/" in status_url and "token=" in status_url
        assert page.evaluate("document.querySelector('#status').textContent") == "identity unverified"

        fill(page, "#code", mailed_code(server.outbox, shop.ALICE))
        fill(page, "input[name='dp:shop.customers.full_name']", "Alice Liddell")
        fill(page, "input[name='dp:shop.customers.phone']", "+1 415 555 0101")
        fill(page, "#signed_name", "Alice Liddell")
        page.evaluate("document.querySelector('input[name=declare]').checked = true")
        submit_form(page, "form[action$='/verify'] button[type=submit]")
        assert not page.evaluate("!!document.querySelector('.error')"), page.evaluate("document.body.innerText")

        deadline = time.monotonic() + 60
        while not page.evaluate("!!document.querySelector('#download')"):
            status = page.evaluate("document.querySelector('#status').textContent")
            assert status in ("verified", "in progress", "completed"), page.evaluate("document.body.innerText")
            assert time.monotonic() < deadline, f"the request is still {status}"
            time.sleep(0.2)
            page.reload()
        assert page.evaluate("document.querySelector('#status').textContent") == "completed"

        page.evaluate("document.querySelector('#download').click()")
        deadline = time.monotonic() + 30
        while not (done := [p for p in downloads.iterdir() if p.suffix == ".zip"]):
            assert time.monotonic() < deadline, list(downloads.iterdir())
            time.sleep(0.1)
        content = done[0].read_bytes()
    finally:
        page.close()

    completion = [m for m in read_outbox(server.outbox) if m["To"] == shop.ALICE
                  and m["X-Custos-Mail"] == "completion"]
    assert completion, "no completion mail"

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = set(archive.namelist())
        assert {"data.json", "report.html"} <= names
        assert "shop.customers.csv" in names or any(n.endswith(".csv") for n in names)
        data = json.loads(archive.read("data.json"))
    held = held_about_alice(server.shop_url, server.crm_url)
    for dataset, collections in held.items():
        for collection, rows in collections.items():
            packaged = data["datasets"][dataset][collection]
            got = sorted(tuple(sorted((k, comparable(v)) for k, v in row.items())) for row in packaged)
            want = sorted(tuple(sorted((k, comparable(v)) for k, v in row.items())) for row in rows)
            assert got == want, (dataset, collection)
    bob = "Bob Builder"
    assert bob not in json.dumps(data["datasets"]["shop"]["customers"])
    assert "internal_score" not in json.dumps(data)
