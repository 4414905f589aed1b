"""The column classifier on the labelled set (tests/discovery/labelled.py): macro F1 of at
least 0.95 and no category under 0.90, on two seeds it was not tuned on one by one."""

from __future__ import annotations

import pytest

from tests.discovery.labelled import evaluate, tables


@pytest.mark.parametrize("seed", [7, 11])
def test_the_labelled_set_is_classified_to_target(seed: int) -> None:
    scores = evaluate(tables(seed, rows=200, rounds=2))
    worst = min(scores.per_category.items(), key=lambda item: item[1][2])
    assert scores.macro_f1 >= 0.95, scores.wrong
    assert worst[1][2] >= 0.90, (worst, scores.wrong)


def test_the_traps_are_not_personal_data() -> None:
    data = tables(3, rows=150, rounds=1)
    from tests.discovery.labelled import predict

    for table in data:
        if table.name in ("orders", "products"):
            found = {c.name: p for c, p in zip(table.columns, predict(table), strict=True) if p is not None}
            assert found == {}, (table.name, found)
