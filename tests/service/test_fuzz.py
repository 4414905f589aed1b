"""Fuzzing: schemathesis drives every operation of ``/openapi.json`` in-process; none answers 5xx.

Each operation is called anonymously and with an API key holding every scope, so the
generated inputs reach past the guards into the handlers. A few examples per operation
keep the run short; the data-map shop and the control plane are the session template's.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

from custos.config import get_settings
from custos.server import create_app
from custos.service.auth import SCOPES, create_api_key
from tests.service.conftest import Clock, Template

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, template: Template) -> Iterator[tuple[Any, dict[str, str]]]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    map_path, _ = template.reset(tmp)
    service_settings = get_settings(
        database_url=f"sqlite:///{tmp / 'custos.db'}", datamap=map_path, state_dir=str(tmp / "state"),
        outbox_dir=str(tmp / "outbox"), public_url="http://testserver", rate_limit_per_minute=1_000_000)
    app = create_app(service_settings, clock=Clock(), run_jobs=False, datamap=template.datamap)
    key = create_api_key(app.state.service, "fuzz", sorted(SCOPES))
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app), {"Authorization": f"Bearer {key}"}
    finally:
        app.state.service.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[Any, dict[str, str]]) -> Any:
    return fuzzed[0]


@pytest.fixture(scope="module")
def auth_headers(fuzzed: tuple[Any, dict[str, str]]) -> dict[str, str]:
    return fuzzed[1]


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.generate], derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_5xx(case: Any, auth_headers: dict[str, str]) -> None:
    for headers in (None, auth_headers):
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code,
                                             response.text[:500])


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/v1/admin/audit?after=559881867427122380800"),
    ("POST", "/v1/admin/consent/webhooks/deliveries/14717742747466491904/retry"),
])
def test_integers_beyond_64_bits_are_refused_before_the_database(
        fuzzed: tuple[Any, dict[str, str]], method: str, path: str) -> None:
    """Both answered 500 (the driver's overflow) under schemathesis with every check on."""
    from starlette.testclient import TestClient

    api, headers = fuzzed
    client = TestClient(api.app)
    response = client.request(method, path, headers=headers)
    assert response.status_code == 422, response.text
    document = client.get("/openapi.json").json()
    text = str(document)
    assert str(2**63 - 1) in text  # the bound is in the schema a client is generated from


@pytest.mark.parametrize("path", ["/v1/requests", "/v1/consent", "/v1/admin/consent/webhooks", "/v1/data-rights-request"])
def test_one_body_limit_for_every_route(fuzzed: tuple[Any, dict[str, str]], path: str) -> None:
    """JSON routes other than DRP took a 10 MB body; every route now stops at 1 MiB."""
    from starlette.testclient import TestClient

    api, headers = fuzzed
    client = TestClient(api.app)
    answer = client.post(path, content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                         headers={**headers, "Content-Type": "application/json"})
    assert answer.status_code == 413


def test_the_openapi_document_says_what_the_service_does(template: Template, tmp_path: Path) -> None:
    """schemathesis with every check on, against the running service: every status code, content
    type and ``Allow`` header an operation answers with is documented, and no schema-violating
    input is accepted (it found 15 undocumented status codes, 8 ``Allow`` mismatches and one
    undocumented content type). Positive-data acceptance is left out: several inputs carry rules
    a JSON Schema cannot state (a phone number that parses in the region, the map's own topics
    and identity types, a hold's target in the map)."""
    import subprocess
    import sys

    from tests.consent.browser import Served

    map_path, _ = template.reset(tmp_path)
    settings = get_settings(
        database_url=f"sqlite:///{tmp_path / 'custos.db'}", datamap=map_path, state_dir=str(tmp_path / "state"),
        outbox_dir=str(tmp_path / "outbox"), public_url="http://testserver", rate_limit_per_minute=1_000_000)
    app = create_app(settings, run_jobs=False, datamap=template.datamap)
    key = create_api_key(app.state.service, "schemathesis", sorted(SCOPES))
    with Served(app) as server:
        run = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run", f"{server.url}/openapi.json",
             "--checks", "all", "--exclude-checks", "positive_data_acceptance", "-H", f"Authorization: Bearer {key}",
             "--max-examples", "5", "--phases", "examples,coverage,fuzzing", "--seed", "1", "--no-color",
             "--request-timeout", "10"],
            capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:]
