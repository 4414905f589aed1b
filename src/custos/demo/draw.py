"""Cheap random draws for the sample shop's generator.

``random.Random.randrange`` costs about four times as much as ``random()``, and a million
customers draw tens of millions of values. These draws are as reproducible (same seed,
same values) and their bias, below one part in 2**40 for the ranges used, does not matter
for fake data.
"""

from __future__ import annotations

import bisect
import random


def below(rng: random.Random, stop: int) -> int:
    """An integer in ``[0, stop)``."""
    return int(rng.random() * stop)


def between(rng: random.Random, start: int, stop: int) -> int:
    """An integer in ``[start, stop)``."""
    return start + int(rng.random() * (stop - start))


def pick(cumulative: tuple[int, ...], rng: random.Random) -> int:
    """An index drawn with the weights whose running sums are ``cumulative``."""
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])
