"""A service with consent installed, on a small shop whose map has consent purposes."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from fastapi import FastAPI

from custos.config import get_settings
from custos.consent import ConsentSettings, install
from custos.consent.context import Consent
from custos.datamap import DataMap, parse_datamap
from custos.server import create_app
from custos.service.auth import create_api_key
from tests.clock import Clock

MAP = """
organization:
  name: Acme Shop, Inc.
  address: 1 Main St, Springfield
  privacy_contact: privacy@acme.example
  jurisdictions: [ccpa, gdpr]
systems:
  - {key: shop_db, name: Shop database, url: "sqlite:///:memory:", datasets: [shop]}
datasets:
  - key: shop
    collections:
      - name: customers
        fields:
          - {name: id, primary_key: true}
          - {name: email, categories: [user.contact.email], identity: email, erase: mask_null}
purposes:
  - key: fulfillment
    name: Deliver orders
    lawful_basis: contract
    uses: [essential.service]
    categories: [user.contact]
  - key: analytics
    name: Site analytics
    description: Counting visits to learn which pages help <b>people</b>.
    lawful_basis: consent
    uses: [analytics.reporting]
    categories: [user.contact]
  - key: advertising
    name: Targeted advertising
    description: Ads from partners based on your visits.
    lawful_basis: consent
    uses: [marketing.advertising.third_party.targeted]
    categories: [user.contact]
  - key: newsletter
    name: Newsletter
    description: News and offers, about twice a month.
    lawful_basis: consent
    uses: [marketing.communications.email]
    categories: [user.contact.email]
  - key: product_updates
    name: Product updates
    description: Mail when a product you bought changes.
    lawful_basis: consent
    uses: [marketing.communications.email]
    categories: [user.contact.email]
"""


@pytest.fixture(scope="session")
def datamap() -> DataMap:
    return parse_datamap(MAP, file="consent-test.yaml")


def build_app(tmp: Path, datamap: DataMap, clock: Any = None, **extra: Any) -> FastAPI:
    """The service app with consent installed, as ``create_app`` will do it."""
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp / 'custos.db'}", "state_dir": str(tmp / "state"),
        "outbox_dir": str(tmp / "outbox"), "public_url": "http://testserver", "rate_limit_per_minute": 10_000,
        "secret_key": "k" * 40, **extra,
    }
    app = create_app(get_settings(**values), clock=clock or Clock(), datamap=datamap, run_jobs=False, pages=False, extensions=False)
    install(app, settings=ConsentSettings(webhook_worker=False, webhook_backoff_seconds=30))
    return app


@dataclass
class Harness:
    client: TestClient
    app: FastAPI
    clock: Clock

    @property
    def consent(self) -> Consent:
        consent: Consent = self.app.state.consent
        return consent

    def key(self, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_api_key(self.app.state.service, 'test', list(scopes))}"}

    def sign_up(self, **body: Any) -> Any:
        """A newsletter sign-up, and the queued job that carries it out (as the worker would)."""
        from custos.service.work.jobs import run_pending

        answer = self.client.post("/v1/email/subscriptions", json=body)
        run_pending(self.app.state.service)
        return answer

    def post(self, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        answer = self.client.post("/v1/consent", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        result: dict[str, Any] = answer.json()
        return result


@pytest.fixture
def harness(tmp_path: Path, datamap: DataMap) -> Iterator[Harness]:
    clock = Clock()
    app = build_app(tmp_path, datamap, clock)
    with TestClient(app) as client:
        yield Harness(client, app, clock)
