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
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

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
    ("POST", "/v1/recipient-notices/969585606022031515655827766607085568/ack"),
])
def test_integers_beyond_64_bits_are_refused_before_the_database(
        fuzzed: tuple[Any, dict[str, str]], method: str, path: str) -> None:
    """Both answered 500 (the driver's overflow) under schemathesis with every check on."""
    from starlette.testclient import TestClient

    api, headers = fuzzed
    client = TestClient(api.app)
    response = client.request(method, path, headers=headers, json={"token": "t" * 20} if "ack" in path else None)
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
    """schemathesis with every check on, against the running service, stateful links included:
    every status code, content type and ``Allow`` header an operation answers with is
    documented, no schema-violating input is accepted, and schema-valid input is accepted
    except on the operations ``schemathesis.toml`` lists, each with the rule a JSON Schema
    cannot state (the clock, the stores, another field, a phone number that parses). It found
    15 undocumented status codes, 8 ``Allow`` mismatches, one undocumented content type, and
    15 operations whose document was looser than their validation."""
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
            [str(Path(sys.executable).with_name("schemathesis")), "--config-file",
             str(Path(__file__).with_name("schemathesis.toml")), "run", f"{server.url}/openapi.json",
             "--checks", "all", "-H", f"Authorization: Bearer {key}",
             "--max-examples", "5", "--phases", "examples,coverage,fuzzing,stateful", "--seed", "1", "--no-color",
             "--request-timeout", "10"],
            capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-6000:]


def test_the_document_links_what_an_operation_creates_to_where_it_is_used(
        fuzzed: tuple[Any, dict[str, str]]) -> None:
    """Stateful tests and generated clients follow OpenAPI links; there were none."""
    from starlette.testclient import TestClient

    document = TestClient(fuzzed[0].app).get("/openapi.json").json()
    links = document["paths"]["/v1/requests"]["post"]["responses"]["202"]["links"]
    targets = {link["operationId"]: link["parameters"] for link in links.values()}
    approve = document["paths"]["/v1/admin/requests/{request_id}/approve"]["post"]["operationId"]
    assert targets[approve] == {"request_id": "$response.body#/id"}
    breach = document["paths"]["/v1/admin/breaches"]["post"]["responses"]["201"]["links"]
    assert any(v["parameters"] == {"breach_id": "$response.body#/id"} for v in breach.values())


def test_the_document_states_the_map_s_values_and_closed_maps(fuzzed: tuple[Any, dict[str, str]]) -> None:
    """Schema-valid requests were refused: a topic, a system, a breach target not in the map,
    an identity map with keys the validation refuses, an account token nobody configured."""
    from starlette.testclient import TestClient

    document = TestClient(fuzzed[0].app).get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert schemas["SubjectLinkCreate"]["properties"]["identities"]["additionalProperties"] is False
    assert "shop.orders" in schemas["BreachCreate"]["properties"]["targets"]["items"]["enum"]
    systems = schemas["ScanCreate"]["properties"]["systems"]["anyOf"][0]["items"]["enum"]
    assert systems == sorted(fuzzed[0].app.state.service.datamap.systems)
    parameters = document["paths"]["/v1/requests"]["post"].get("parameters", [])
    assert "x-account-token" not in {p["name"] for p in parameters}


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_the_email_pattern_is_the_service_s_rule(text: str) -> None:
    """The document's pattern and ``normalize_email`` agree on every string (JSON Schema's
    ``\\s`` is not Python's, so the pattern names the space characters one by one)."""
    import re

    from custos.engine.subject import normalize_email
    from custos.errors import IdentityError
    from custos.service.http.api.schemas import EMAIL_PATTERN

    candidate = text if "@" in text else text + "@" + text[::-1]
    try:
        normalize_email(candidate)
        accepted = True
    except IdentityError:
        accepted = False
    if len(candidate.strip()) <= 320:
        assert bool(re.match(EMAIL_PATTERN, candidate)) == accepted, repr(candidate)


@pytest.mark.parametrize("body", [{"encrypted": 0}, {"detected_at": 0}])
def test_a_breach_takes_no_numbers_for_flags_and_moments(fuzzed: tuple[Any, dict[str, str]],
                                                         body: dict[str, object]) -> None:
    """``0`` was accepted as ``false`` and as 1 January 1970."""
    from starlette.testclient import TestClient

    api, headers = fuzzed
    answer = TestClient(api.app).post("/v1/admin/breaches", headers=headers, json={
        "summary": "s", "aware_at": "2026-12-01T00:00:00Z", "targets": ["shop.orders"], **body})
    assert answer.status_code == 422, answer.text


def test_a_period_that_ends_before_it_starts_is_refused_as_input(fuzzed: tuple[Any, dict[str, str]]) -> None:
    """It answered 400 ``bad_request``; a rule between two parameters is refused as input (422)."""
    from starlette.testclient import TestClient

    api, headers = fuzzed
    answer = TestClient(api.app).get("/v1/admin/reports/metrics?from=2026-06-21&to=2026-01-22", headers=headers)
    assert answer.status_code == 422 and "before 'from'" in answer.json()["error"]["message"]
