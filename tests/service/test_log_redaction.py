"""Bearer secrets never reach the access log: package links, privacy-center and account tokens."""

from __future__ import annotations

import logging

import pytest

from custos.service.http.security import RedactSecrets

SECRET = "s3cr3t-Zx9_abcdefghijklmnop"


@pytest.mark.parametrize("target", [
    f"/v1/packages/{SECRET}",
    f"/privacy-center?token={SECRET}",
    f"/privacy-center?lang=de&account_token={SECRET}",
    f"/email/confirm/{SECRET}",
    f"/unsubscribe/{SECRET}?list=news",
    f"/email/preferences/{SECRET}",
])
def test_the_access_log_line_carries_no_secret(target: str) -> None:
    # the record uvicorn's access logger writes: client, method, target, version, status
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", target, "1.1", 200), None)
    assert RedactSecrets().filter(record)
    line = record.getMessage()
    assert SECRET not in line and "[redacted]" in line and "GET" in line


def test_the_service_installs_the_filter(harness: object) -> None:
    assert any(isinstance(f, RedactSecrets) for f in logging.getLogger("uvicorn.access").filters)
