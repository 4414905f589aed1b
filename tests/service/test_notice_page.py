"""``GET /privacy`` serves the notice rendered from the service's own data map."""

from __future__ import annotations

from tests.service.conftest import Harness


def test_privacy_notice_is_served_from_the_map_and_versioned(harness: Harness) -> None:
    answer = harness.client.get("/privacy")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "Test Shop" in answer.text  # the organization of the service's data map
    version = answer.headers["X-Notice-Version"]
    assert len(version) == 64
    again = harness.client.get("/privacy")
    assert again.headers["X-Notice-Version"] == version  # same map, same version
    markdown = harness.client.get("/privacy", params={"format": "md"})
    assert markdown.status_code == 200 and markdown.text.startswith("#")
    assert harness.client.get("/privacy", params={"format": "pdf"}).status_code == 422
