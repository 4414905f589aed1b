"""The nearest existing key to a mistyped one, for "did you mean" hints."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6
"""Similarity (0..1, difflib ratio) below which no key is suggested."""


def nearest(key: str, candidates: Iterable[str]) -> str | None:
    """The candidate most similar to ``key``, or None when none is close enough."""
    matches = difflib.get_close_matches(key.strip(), list(candidates), n=1, cutoff=CUTOFF)
    return matches[0] if matches else None
