"""The minors sweep in the service: children found without a parent's consent are erased or
sent to an operator as an erasure request, as the map says, once each, holds respected."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from custos.config import get_settings
from custos.controlplane import AuditEntry, Request
from custos.service import Service, holds, sweeps
from tests.clock import Clock
from tests.engine.test_minors import build, document


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    url = f"sqlite:///{tmp_path / 'club.db'}"
    build(url)
    path = tmp_path / "club.yaml"
    path.write_text(yaml.safe_dump(document(url)), encoding="utf-8")
    settings = get_settings(database_url=f"sqlite:///{tmp_path / 'custos.db'}", datamap=str(path),
                            state_dir=str(tmp_path / "state"), outbox_dir=str(tmp_path / "outbox"))
    built = Service(settings, clock=Clock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)))
    yield built
    built.close()


def test_children_are_erased_or_sent_for_review_once(service: Service, tmp_path: Path) -> None:
    report = sweeps.minors(service)
    assert report is not None and (report.age, report.source) == (16, "GDPR Art. 8(1)")
    assert (report.found, report.erased, report.reviews_opened) == (4, 2, 2)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'club.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from players where handle is not null and age < 16")).scalar() == 0
    engine.dispose()
    with service.plane.read() as session:
        requests = session.scalars(sa.select(Request).where(Request.source == "minors")).all()
        assert [(r.type, r.status, r.needs_approval) for r in requests] == [("erasure", "verified", True)] * 2
        actions = list(session.scalars(sa.select(AuditEntry.action)))
    assert actions.count("minor.erased") == 2 and actions.count("minor.review_opened") == 2
    assert "request.acknowledged" not in actions  # nobody mailed a child about a request they did not make
    again = sweeps.minors(service)
    assert again is not None and (again.erased, again.reviews_opened, again.already_open) == (0, 0, 2)


def test_a_held_child_is_left_for_the_hold(service: Service) -> None:
    holds.place(service, scope="subject", identities={"email": ["fifteen@example.com"]}, reason="claim",
                matter="C-1", actor="test")
    report = sweeps.minors(service)
    assert report is not None and report.held == 1 and report.reviews_opened == 1
