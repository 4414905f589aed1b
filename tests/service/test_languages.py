"""Mails in the person's language where the map offers it: the API's language, else the
browser's Accept-Language among the map's organization.languages, else the default; dates,
request labels and the service's own sentences in that language too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from custos.service import languages
from tests import shop
from tests.service.conftest import Harness, start
from tests.service.test_lifecycle import ALICE_POINTS, DECLARATION, WRITE


@pytest.fixture
def harness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setattr(shop, "MAP", shop.MAP.replace(
        "  privacy_contact: privacy@test.example\n", "  privacy_contact: privacy@test.example\n  languages: [en, de]\n", 1))
    yield from start(tmp_path, jurisdictions="[gdpr]")


def _text(mail: Any) -> str:
    return str(mail.get_body(("plain",)).get_content())


def test_a_request_in_german_is_answered_in_german(harness: Harness) -> None:
    receipt = harness.submit(type="erasure", email=shop.ALICE, jurisdiction="gdpr", language="de")
    [code] = harness.mails(shop.ALICE, "code")
    assert code["Subject"].startswith("Ihr Bestätigungscode")
    body = _text(code)
    assert "Antrag (Löschung)" in body and "Wir antworten bis zum" in body
    assert any(month in body for month in languages._MONTHS["de"])
    html = code.get_body(("html",)).get_content()
    assert '<html lang="de">' in html and "Bestätigungscode" in html
    harness.verify(receipt, shop.ALICE, data_points=ALICE_POINTS, declaration=DECLARATION)
    harness.client.post(f"/v1/admin/requests/{receipt['id']}/approve", headers=harness.key(*WRITE))
    harness.run_jobs()
    completion = _text(harness.mails(shop.ALICE, "completion")[-1])
    assert "wir haben Ihren Antrag (Löschung" in completion
    assert "Hello" not in completion


def test_the_browser_s_language_counts_when_the_request_names_none(harness: Harness) -> None:
    answer = harness.client.post("/v1/requests", json={"type": "access", "email": shop.BOB, "jurisdiction": "gdpr"},
                                 headers={"Accept-Language": "fr-CH, de;q=0.8, en;q=0.5"})
    assert answer.status_code == 202, answer.text
    assert harness.mails(shop.BOB, "code")[-1]["Subject"].startswith("Ihr Bestätigungscode")


def test_a_language_the_map_does_not_offer_is_answered_in_its_default(harness: Harness) -> None:
    harness.submit(type="access", email=shop.ALICE, jurisdiction="gdpr", language="fr")
    assert harness.mails(shop.ALICE, "code")[-1]["Subject"].startswith("Your confirmation code")


def _map(*offered: str) -> Any:
    return SimpleNamespace(organization=SimpleNamespace(languages=list(offered)))


def test_choosing_a_language() -> None:
    datamap = _map("en", "de", "fr")
    assert languages.choose(datamap, "DE-at") == "de"
    assert languages.choose(datamap, None, "es, fr;q=0.9, de;q=0.95") == "de"
    assert languages.choose(datamap, None, "es, *;q=0.5") == "en"
    assert languages.choose(datamap, None, "de;q=0, fr;q=x, fr;q=0.2") == "fr"
    assert languages.choose(_map("de", "en"), None, None) == "de"
    moment = datetime(2026, 3, 4, tzinfo=UTC)
    assert languages.day(moment, "de") == "4. März 2026" and languages.day(moment, "en") == "04 March 2026"
    assert languages.day(moment, "fr") == "04 March 2026"  # no French mails: English dates with them
    assert languages.say("as soon as we can", "de") == "so bald wie möglich"
    assert languages.say("a sentence nobody translated", "de") == "a sentence nobody translated"


def test_every_german_mail_renders_with_the_english_one_s_context() -> None:
    from custos.service.mail import KINDS, render

    context = {"language": "de", "org_name": "Shop", "privacy_contact": "p@shop.example", "request_id": "r1",
               "request_label": "Löschung", "due": "4. März 2026", "status_url": "https://x/s", "received": "1. März",
               "code": "123456", "minutes": 15, "verify_url": "https://x/v", "answered_as": None,
               "package_url": None, "categories": None, "summary": "", "kept": [], "notice": "n", "reason": "r",
               "exception": None, "appeal_info": "", "complaint_info": "", "appealed_id": "r0", "granted": False,
               "upheld": False, "purposes": ["Betrugsschutz"]}
    for kind in KINDS:
        english, german = render(kind, {**context, "language": "en"}), render(kind, context)
        assert german.subject != english.subject, kind
        assert "Guten Tag" in german.text and "Hello" not in german.text, kind


def test_validate_warns_of_a_language_without_mails(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from custos.cli import app

    path = shop.write_map(tmp_path, f"sqlite:///{tmp_path / 's.db'}", f"sqlite:///{tmp_path / 'c.db'}",
                          shop.MAP.replace("  jurisdictions: [ccpa, gdpr]\n",
                                           "  jurisdictions: [ccpa, gdpr]\n  languages: [en, fr]\n", 1))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0 and "names 'fr'" in result.stderr
