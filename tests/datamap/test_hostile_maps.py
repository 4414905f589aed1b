"""Hostile and mutated data maps: every one is a one-line error naming the file, never a traceback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from custos.datamap import load_datamap, parse_datamap
from custos.errors import CustosError, DataMapError
from tests import shop

GOOD = shop.MAP.replace("${SHOP_URL}", "sqlite:///shop.db").replace("${CRM_URL}", "sqlite:///crm.db")


@pytest.mark.parametrize(("text", "expected"), [
    ("version: " + "9" * 5000 + "\n", "characters; at most"),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 64 levels"),
    ("a: " + "{b: " * 200 + "1" + "}" * 200 + "\n", "nested more than 64 levels"),
    ("version: 99999999999999999999999999\n" + GOOD.split("\n", 1)[1], ""),
])
def test_hostile_yaml_is_one_error_with_its_line(text: str, expected: str) -> None:
    with pytest.raises(CustosError) as caught:
        parse_datamap(text, file="hostile.yaml")
    message = str(caught.value)
    assert expected in message and "hostile.yaml" in message
    assert "Traceback" not in message and len(message.splitlines()) <= 40


def test_dev_zero_and_folders_are_refused_without_reading_forever(tmp_path: Path) -> None:
    with pytest.raises(DataMapError, match="larger than 16 MiB|not a regular file"):
        load_datamap(Path("/dev/zero"))
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (17 * 1024 * 1024))
    with pytest.raises(DataMapError, match="larger than 16 MiB"):
        load_datamap(big)


def mutate(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        kind = rng.randrange(6)
        at = rng.randrange(len(chars))
        if kind == 0:
            del chars[at:at + rng.randint(1, 40)]
        elif kind == 1:
            chars.insert(at, rng.choice(["[", "{", "]", "}", ":", "- ", "&a ", "*a", "!!python/object ", "\t",
                                         "\x00", "'", '"', "9" * 4500, "\n  ", "${NOPE}", "%"]))
        elif kind == 2:
            chars[at] = chr(rng.randrange(32, 0x2FFF))
        elif kind == 3:
            line = "".join(chars).splitlines()
            j = rng.randrange(len(line))
            line.insert(rng.randrange(len(line)), line[j])
            chars = list("\n".join(line))
        elif kind == 4:
            chars[at:at] = list(" " * rng.randint(1, 8))
        else:
            chars[at:at] = list(rng.choice(["yes", "no", "~", "1e400", "0x1F", "-.inf", "2026-13-45"]))
    return "".join(chars)


def test_hundreds_of_mutated_maps_give_errors_not_tracebacks() -> None:
    rng = random.Random(20261202)
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(400):
        text = mutate(GOOD, rng)
        try:
            parse_datamap(text, file="mutated.yaml")
            outcomes["loaded"] += 1
        except CustosError as exc:
            assert str(exc).strip(), text
            outcomes["refused"] += 1
    assert outcomes["refused"] > 200  # the mutations do break maps, and each break is named
