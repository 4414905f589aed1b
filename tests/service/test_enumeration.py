"""No answer and no mail reveals whether an identity is known before the person proves the address."""

from __future__ import annotations

import statistics
import time

import pytest

from tests import shop
from tests.service.conftest import Harness

UNKNOWN = "nobody@example.com"
VARIABLE = {"id", "token", "received_at"}


@pytest.mark.parametrize("kind", ["access", "categories", "erasure", "opt_out_sale_sharing"])
def test_known_and_unknown_identities_get_the_same_answer(harness: Harness, kind: str) -> None:
    known = harness.client.post("/v1/requests", json={"type": kind, "email": shop.ALICE})
    unknown = harness.client.post("/v1/requests", json={"type": kind, "email": UNKNOWN})
    assert known.status_code == unknown.status_code == 202
    def strip(body: dict[str, object]) -> dict[str, object]:
        return {k: v for k, v in body.items() if k not in VARIABLE}

    assert strip(known.json()) == strip(unknown.json())
    assert set(known.json()) == set(unknown.json())
    assert known.headers.keys() == unknown.headers.keys()


def test_mail_to_unknown_addresses_says_the_same(harness: Harness) -> None:
    harness.submit(type="access", email=shop.ALICE)
    harness.submit(type="access", email=UNKNOWN)
    harness.submit(type="opt_out_sale_sharing", email=shop.ALICE)  # acknowledged in a mail of its own
    harness.submit(type="opt_out_sale_sharing", email=UNKNOWN)
    for kind in ("acknowledgement", "code"):
        mine = harness.mails(shop.ALICE, kind)[-1].get_body(("plain",)).get_content()
        theirs = harness.mails(UNKNOWN, kind)[-1].get_body(("plain",)).get_content()
        assert len(mine.splitlines()) == len(theirs.splitlines())
        same_lines = [a == b for a, b in zip(mine.splitlines(), theirs.splitlines(), strict=True)]
        # Only the lines with the reference, the code and the link differ.
        assert same_lines.count(False) <= 3, (mine, theirs)


def test_intake_takes_as_long_for_unknown_identities(harness: Harness) -> None:
    """Medians over interleaved tries: load on the machine hits both alike, so only a real gap shows.

    Intake does the same work whoever asks (it never touches the data stores), so the
    medians differ only by noise; the bound is generous (half again, or 3 ms) so a busy
    two-core machine does not fail it, while a lookup in the stores would still show.
    """
    times: dict[str, list[float]] = {shop.ALICE: [], UNKNOWN: []}
    for email in (shop.ALICE, UNKNOWN):  # warm up both paths
        harness.client.post("/v1/requests", json={"type": "access", "email": email})
    for round_ in range(20):
        order = (shop.ALICE, UNKNOWN) if round_ % 2 else (UNKNOWN, shop.ALICE)
        for email in order:
            start = time.perf_counter()
            answer = harness.client.post("/v1/requests", json={"type": "access", "email": email})
            times[email].append(time.perf_counter() - start)
            assert answer.status_code == 202
    known, unknown = statistics.median(times[shop.ALICE]), statistics.median(times[UNKNOWN])
    slower, faster = max(known, unknown), min(known, unknown)
    assert slower <= faster * 1.5 or slower - faster < 0.003, (known, unknown)


def test_wrong_codes_answer_the_same_for_known_and_unknown(harness: Harness) -> None:
    answers = []
    for email in (shop.ALICE, UNKNOWN):
        receipt = harness.submit(type="access", email=email)
        code = "000000" if harness.code(email) != "000000" else "111111"
        answer = harness.client.post(f"/v1/requests/{receipt['id']}/verify", json={"code": code})
        answers.append((answer.status_code, answer.json()))
    assert answers[0] == answers[1]
