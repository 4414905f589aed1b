"""Access packages: encrypted at rest, a signed link that expires and runs out."""

from __future__ import annotations

import sqlalchemy as sa

from tests import shop
from tests.service.conftest import Harness


def completed_access(harness: Harness) -> tuple[str, str]:
    receipt = harness.submit(type="portability", email=shop.ALICE)
    harness.verify(receipt, shop.ALICE, data_points={"shop.customers.full_name": "Alice Liddell",
                                                     "shop.customers.phone": "+14155550101"},
                   declaration={"signed_name": "Alice", "accepted": True})
    harness.run_jobs()
    status = harness.client.get(f"/v1/requests/{receipt['id']}", params={"token": receipt["token"]}).json()
    return receipt["id"], status["package"]["url"].removeprefix("http://testserver")


def test_download_limit(harness: Harness) -> None:
    _, link = completed_access(harness)
    for _ in range(harness.service.settings.package_downloads):
        assert harness.client.get(link).status_code == 200
    gone = harness.client.get(link)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "gone"


def test_link_expires(harness: Harness) -> None:
    _, link = completed_access(harness)
    harness.clock.advance(hours=harness.service.settings.package_ttl_hours, seconds=1)
    assert harness.client.get(link).status_code == 410


def test_tampered_or_unknown_tokens_are_not_found(harness: Harness) -> None:
    _, link = completed_access(harness)
    package_id, stamp, signature = link.removeprefix("/v1/packages/").split(".")
    longer = f"/v1/packages/{package_id}.{int(stamp) + 86400}.{signature}"
    assert harness.client.get(longer).status_code == 404
    assert harness.client.get(f"/v1/packages/{package_id}.{stamp}.{'A' * len(signature)}").status_code == 404
    assert harness.client.get("/v1/packages/garbage").status_code == 404


def test_package_and_identities_are_encrypted_at_rest(harness: Harness) -> None:
    completed_access(harness)
    with harness.service.plane.engine.connect() as conn:
        content = conn.execute(sa.text("select content_encrypted from packages")).scalar()
        identities = [row[0] for row in conn.execute(sa.text("select value_encrypted from identities"))]
    assert content is not None and b"PK" not in content[:4] and b"alice" not in content
    assert identities and all(shop.ALICE.encode() not in value for value in identities)


def test_the_status_needs_the_token(harness: Harness) -> None:
    request_id, _ = completed_access(harness)
    assert harness.client.get(f"/v1/requests/{request_id}").status_code == 404
    assert harness.client.get(f"/v1/requests/{request_id}", params={"token": "wrong"}).status_code == 404
