"""IAB GPP strings: US state opt-outs honored, TCF strings refused.

The strings are built here bit by bit from the GPP specification (header: type 3, version
1, Fibonacci-coded section ids; sections: URL-safe base64 of fixed-width fields), with an
encoder independent of the parser under test.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from custos.consent import gpp
from custos.consent.models import ConsentEvent
from tests.consent.conftest import Harness

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
NOT_APPLICABLE, OPTED_OUT, DID_NOT_OPT_OUT = 0, 1, 2
TCF = "CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA"  # a TCF v2 TC string
DEVICE = "device-gpp-00001"


def b64(bits: str) -> str:
    bits += "0" * (-len(bits) % 6)
    return "".join(ALPHABET[int(bits[i:i + 6], 2)] for i in range(0, len(bits), 6))


def fixed(value: int, width: int) -> str:
    return format(value, f"0{width}b")


def fibonacci(value: int) -> str:
    """Zeckendorf bits from 1, 2, 3, 5… upward, ended by an extra 1."""
    numbers = [1, 2]
    while numbers[-1] <= value:
        numbers.append(numbers[-1] + numbers[-2])
    bits = ["0"] * len(numbers)
    rest = value
    for index in range(len(numbers) - 1, -1, -1):
        if numbers[index] <= rest:
            bits[index] = "1"
            rest -= numbers[index]
    return "".join(bits).rstrip("0") + "1"


def header(section_ids: list[int]) -> str:
    bits = fixed(3, 6) + fixed(1, 6) + fixed(len(section_ids), 12)
    last = 0
    for section in section_ids:
        bits += "0" + fibonacci(section - last)
        last = section
    return b64(bits)


def two(*values: int) -> str:
    return "".join(fixed(v, 2) for v in values)


def usnat(sale: int, sharing: int, targeted: int) -> str:
    return b64(fixed(1, 6) + two(1, 1, 1, 1, 1, 1) + two(sale, sharing, targeted) + two(*[0] * 12)
               + two(0, 0) + two(0) + two(1, 2, 2))


def usca(sale: int, sharing: int) -> str:
    return b64(fixed(1, 6) + two(1, 1, 1) + two(sale, sharing) + two(*[0] * 9) + two(0, 0) + two(0)
               + two(1, 2, 2))


def state_section(sale: int, targeted: int, sensitive: int, children: int) -> str:
    """usva (8 sensitive fields, 1 child field), usco (7, 1), usct (8, 3): the same leading fields."""
    return b64(fixed(1, 6) + two(1, 1, 1) + two(sale, targeted) + two(*[0] * sensitive) + two(*[0] * children)
               + two(1, 2, 2))


def gpc_segment(on: bool) -> str:
    return b64(fixed(1, 2) + ("1" if on else "0"))


def test_header_of_the_specification_example_decodes() -> None:
    assert gpp.section_ids("DBACNY") == [2, 6]  # TCF EU v2 and USP v1, the spec's own example
    assert gpp.section_ids(header([7, 8, 9, 10, 12])) == [7, 8, 9, 10, 12]
    assert gpp.parse("DBACNY~" + TCF + "~1YNN").opt_outs == {}  # TCF inside GPP is its own section: fine


@pytest.mark.parametrize(("sections", "expected"), [
    ({7: usnat(OPTED_OUT, DID_NOT_OPT_OUT, DID_NOT_OPT_OUT)}, {"sale": ["usnat"]}),
    ({7: usnat(DID_NOT_OPT_OUT, OPTED_OUT, OPTED_OUT)}, {"sharing": ["usnat"], "targeted_advertising": ["usnat"]}),
    ({8: usca(DID_NOT_OPT_OUT, OPTED_OUT)}, {"sharing": ["usca"]}),
    ({9: state_section(OPTED_OUT, DID_NOT_OPT_OUT, 8, 1)}, {"sale": ["usva"]}),
    ({10: state_section(DID_NOT_OPT_OUT, OPTED_OUT, 7, 1)}, {"targeted_advertising": ["usco"]}),
    ({12: state_section(OPTED_OUT, OPTED_OUT, 8, 3)}, {"sale": ["usct"], "targeted_advertising": ["usct"]}),
    ({7: usnat(DID_NOT_OPT_OUT, DID_NOT_OPT_OUT, NOT_APPLICABLE), 8: usca(OPTED_OUT, DID_NOT_OPT_OUT)},
     {"sale": ["usca"]}),
    ({7: usnat(DID_NOT_OPT_OUT, DID_NOT_OPT_OUT, DID_NOT_OPT_OUT)}, {}),
])
def test_us_sections_opt_outs_are_read(sections: dict[int, str], expected: dict[str, list[str]]) -> None:
    ids = sorted(sections)
    signal = gpp.parse("~".join([header(ids), *(sections[i] for i in ids)]))
    assert signal.section_ids == ids and signal.opt_outs == expected and signal.gpc == []


def test_gpc_segment_is_read() -> None:
    value = f"{header([7])}~{usnat(DID_NOT_OPT_OUT, DID_NOT_OPT_OUT, DID_NOT_OPT_OUT)}.{gpc_segment(True)}"
    assert gpp.parse(value).gpc == ["usnat"]
    value = f"{header([10])}~{state_section(2, 2, 7, 1)}.{gpc_segment(False)}"
    assert gpp.parse(value).gpc == []


@pytest.mark.parametrize("value", [
    TCF,  # a TCF string where a GPP string belongs
    TCF + ".YAAAAAAAAAA",  # TCF with a publisher segment
    "",
    "not a gpp string!",
    header([7]),  # the header names a section that is not there
    f"{header([7])}~{usnat(1, 1, 1)}~{usca(1, 1)}",  # more sections than the header names
    "1YNN",  # a US Privacy (CCPA) string, not GPP
])
def test_malformed_and_tcf_strings_are_refused(value: str) -> None:
    with pytest.raises(gpp.GppError):
        gpp.parse(value)


def events_of(harness: Harness, method: str) -> list[ConsentEvent]:
    with harness.consent.service.plane.read() as session:
        return list(session.scalars(sa.select(ConsentEvent).where(ConsentEvent.method == method)))


def test_api_honors_a_gpp_opt_out(harness: Harness) -> None:
    value = f"{header([7])}~{usnat(OPTED_OUT, DID_NOT_OPT_OUT, DID_NOT_OPT_OUT)}"
    answer = harness.post({"subject": DEVICE, "choices": {"analytics": True, "sale": True}, "gpp": value})
    assert answer["choices"]["sale"]["granted"] is False and answer["choices"]["sale"]["method"] == "gpp"
    assert answer["choices"]["analytics"]["granted"] is True
    assert "sale" in answer["gpp_opt_outs"] and "sharing" not in answer["gpp_opt_outs"]
    assert "sharing" not in answer["choices"]  # only what the string opts out of
    recorded = events_of(harness, "gpp")
    assert recorded[0].evidence["gpp"] == value and recorded[0].evidence["opt_outs"] == {"sale": ["usnat"]}
    again = harness.post({"subject": DEVICE, "choices": {}, "gpp": value})
    assert again["recorded"] == 0  # already off: nothing new to record


def test_api_reads_gpp_from_the_query_and_its_gpc_segment(harness: Harness) -> None:
    value = f"{header([8])}~{usca(DID_NOT_OPT_OUT, DID_NOT_OPT_OUT)}.{gpc_segment(True)}"
    answer = harness.client.post("/v1/consent", params={"gpp": value}, json={"subject": DEVICE, "choices": {}})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    assert {k for k, s in body["choices"].items() if not s["granted"]} == {
        "sale", "sharing", "targeted_advertising", "advertising"}


def test_api_refuses_a_tcf_string_in_gpp_clearly(harness: Harness) -> None:
    answer = harness.client.post("/v1/consent", json={"subject": DEVICE, "choices": {"analytics": True}, "gpp": TCF})
    assert answer.status_code == 422
    assert "TCF" in answer.json()["error"]["message"] and "gpp" in answer.json()["error"]["message"]
    assert events_of(harness, "banner") == [] and events_of(harness, "api") == []
