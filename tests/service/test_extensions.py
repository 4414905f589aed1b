"""Extension points used as a company would use them: a law added as a file, a request type
added as one module, a plug-in's own error answered by its class."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import typer
from fastapi import APIRouter, FastAPI

from custos import plugins
from custos.errors import CustosError
from custos.hooks import hookimpl
from custos.notice.labels import labels
from custos.notice.rights import rights_catalogue
from custos.rules import RuleSetError
from custos.service import Service
from custos.service.http.pages.center import choices
from tests import shop
from tests.service import profiling_type
from tests.service.conftest import Harness, make_settings, start

ACME = """\
# The Acme Personal Data Act: a law Custos does not ship, added by the company as one file.
label: Acme Republic (APDA)
rights:
  know: APDA §7
policy_cues: ['\\bacme republic\\b']
extends: gdpr
rules:
  name: Acme Personal Data Act
  region: AC
  requests:
    access:
      respond: {amount: 10, unit: calendar_days, source: "APDA §7(2)"}
"""

CTDPA_PROFILING = """\
extends: ctdpa
rules:
  requests:
    opt_out_profiling:
      verification:
        level: none
        note: opt-out requests need no authentication
        source: "Conn. Gen. Stat. §42-518(c)(4)"
      note: profiling in furtherance of solely automated decisions with legal or similarly significant effects
"""


def laws(tmp: Path, **files: str) -> Path:
    folder = tmp / "laws"
    folder.mkdir(exist_ok=True)
    for key, text in files.items():
        (folder / f"{key}.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def acme(tmp_path: Path) -> Iterator[Harness]:
    yield from start(tmp_path, jurisdictions="[acme]", rules_dir=str(laws(tmp_path, acme=ACME)))


def test_a_law_added_as_a_file_answers_requests_on_its_own_clock(acme: Harness) -> None:
    receipt = acme.submit(type="access", email=shop.ALICE, jurisdiction="acme")
    assert receipt["jurisdiction"] == "acme"
    due = datetime.fromisoformat(receipt["due_at"]).astimezone(ZoneInfo("Europe/Brussels"))
    # received on 2 March 2026: ten calendar days from the next day, on the clock of the law it extends
    assert due.date().isoformat() == "2026-03-12"
    # the rest of the law comes from the GDPR it extends: an erasure keeps the one-month clock
    erasure = acme.submit(type="erasure", email=shop.ALICE, jurisdiction="acme")
    assert datetime.fromisoformat(erasure["due_at"]).astimezone(ZoneInfo("Europe/Brussels")).date().isoformat() \
        == "2026-04-02"


def test_a_law_file_gives_the_notice_its_words(acme: Harness) -> None:
    assert labels().jurisdiction("acme") == "Acme Republic (APDA)"
    know = next(right for right in rights_catalogue() if right.key == "know")
    assert know.citations["acme"] == "APDA §7"


def test_a_law_file_that_does_not_hold_stops_the_service_naming_it(tmp_path: Path) -> None:
    folder = laws(tmp_path, acme=ACME.replace("unit: calendar_days", "unit: fortnights"))
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'custos.db'}", rules_dir=str(folder))
    with pytest.raises(RuleSetError) as caught:
        Service(settings)
    assert caught.value.file == str(folder / "acme.yaml")
    assert "rules.requests.access.respond.unit" in str(caught.value)


@pytest.fixture
def profiling(tmp_path: Path) -> Iterator[Harness]:
    plugins.register(profiling_type, name="profiling")
    try:
        yield from start(tmp_path, jurisdictions="[ctdpa, gdpr]",
                         rules_dir=str(laws(tmp_path, ctdpa=CTDPA_PROFILING)))
    finally:
        plugins.unregister("profiling")


def test_a_request_type_added_in_one_module_is_taken_and_run(profiling: Harness) -> None:
    assert ("opt_out_profiling", "opt-out of profiling") in choices(profiling.service)
    receipt = profiling.submit(type="opt_out_profiling", email=shop.ALICE, jurisdiction="ctdpa")
    assert receipt["status"] == "in_progress"  # no verification under the law's row
    profiling.run_jobs()
    assert profiling.status(receipt["id"]) == "completed"
    body = profiling.mails(shop.ALICE, "completion")[-1].get_body(("plain",)).get_content()
    assert "opt-out of profiling" in body and "We no longer use your personal information for profiling." in body


def test_a_law_without_a_row_for_the_new_type_does_not_provide_for_it(profiling: Harness) -> None:
    answer = profiling.client.post("/v1/requests", json={"type": "opt_out_profiling", "email": shop.ALICE,
                                                          "jurisdiction": "gdpr"})
    assert answer.status_code == 422
    assert "gdpr does not provide for opt_out_profiling requests" in answer.json()["error"]["message"]


class PaymentRequired(CustosError):
    """A plug-in's own error: its class says how the service answers it."""

    code = "payment_required"
    status = 402
    public = True


class Billing:
    @hookimpl
    def custos_install(self, app: FastAPI) -> None:
        router = APIRouter()

        @router.get("/v1/billing")
        def billing() -> None:
            raise PaymentRequired("this plan does not include bulk exports")

        app.include_router(router)


def test_a_plugin_adds_routes_and_its_errors_answer_by_their_class(tmp_path: Path) -> None:
    plugins.register(Billing(), name="billing")
    try:
        harness = next(start(tmp_path))
        answer = harness.client.get("/v1/billing")
    finally:
        plugins.unregister("billing")
    assert answer.status_code == 402
    assert answer.json() == {"error": {"code": "payment_required",
                                       "message": "this plan does not include bulk exports"}}


class Decisions:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []

    @hookimpl
    def custos_request_decided(self, request: Any, status: str, actor: str) -> None:
        self.seen.append((request.id, status, actor))


def test_plugins_hear_of_each_decision_once_it_is_committed(harness: Harness) -> None:
    from tests.service.test_lifecycle import ALICE_POINTS, DECLARATION, WRITE

    listener = Decisions()
    plugins.register(listener, name="decisions")
    try:
        approved = harness.submit(type="erasure", email=shop.ALICE)
        harness.verify(approved, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
        harness.client.post(f"/v1/admin/requests/{approved['id']}/approve", headers=harness.key(*WRITE))
        denied = harness.submit(type="access", email=shop.BOB)
        harness.client.post(f"/v1/admin/requests/{denied['id']}/deny", headers=harness.key(*WRITE),
                            json={"reason": "we could not confirm who is asking"})
    finally:
        plugins.unregister("decisions")
    assert [(rid, status) for rid, status, _ in listener.seen] == [(approved["id"], "in_progress"),
                                                                   (denied["id"], "denied")]


class Commands:
    @hookimpl
    def custos_cli(self, app: typer.Typer) -> None:
        @app.command("hello-plugin")
        def hello() -> None:
            """Say that plug-in commands work."""
            typer.echo("hello from a plug-in")


def test_a_plugin_adds_a_command_to_the_command_line() -> None:
    from typer.testing import CliRunner

    from custos.cli import app as cli_app
    from custos.cli.app import with_plugins

    plugins.register(Commands(), name="commands")
    before = list(cli_app.registered_commands)
    try:
        result = CliRunner().invoke(with_plugins(), ["hello-plugin"])
    finally:
        cli_app.registered_commands[:] = before
        plugins.unregister("commands")
    assert result.exit_code == 0 and "hello from a plug-in" in result.stdout
