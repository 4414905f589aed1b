"""A one-time code cannot be guessed by asking for new ones: re-issues, guesses and the mail one
address receives are bounded (100 re-issues once gave 500 guesses and 100 mails)."""

from __future__ import annotations

from tests import shop
from tests.service.conftest import Harness


def test_reissues_are_bounded_per_request(harness: Harness) -> None:
    receipt = harness.submit(type="access", email=shop.ALICE)
    answers = [harness.client.post(f"/v1/requests/{receipt['id']}/code").status_code for _ in range(10)]
    assert answers[:3] == [202, 202, 202] and set(answers[3:]) == {429}
    assert len(harness.mails(shop.ALICE, "code")) == 4  # the first code and three more, not eleven
    harness.clock.advance(hours=1, seconds=1)
    assert harness.client.post(f"/v1/requests/{receipt['id']}/code").status_code == 202


def test_total_guesses_per_request_are_bounded(harness: Harness) -> None:
    receipt = harness.submit(type="access", email=shop.ALICE)
    guesses = 0
    for _round in range(6):
        for _ in range(5):
            answer = harness.client.post(f"/v1/requests/{receipt['id']}/verify", json={"code": "000000"})
            guesses += answer.status_code == 422
        harness.clock.advance(hours=1, seconds=1)
        if harness.client.post(f"/v1/requests/{receipt['id']}/code").status_code != 202:
            break
    assert guesses <= 10


def test_codes_to_one_address_are_bounded_over_many_requests(harness: Harness) -> None:
    for _ in range(8):
        receipt = harness.submit(type="access", email=shop.BOB)
        harness.client.post(f"/v1/requests/{receipt['id']}/code")
    assert len(harness.mails(shop.BOB, "code")) <= 6 + 8  # intake codes plus at most six re-issues an hour
    receipt = harness.submit(type="access", email=shop.BOB)
    assert harness.client.post(f"/v1/requests/{receipt['id']}/code").status_code == 429
