"""Requests for many people from a CSV file, and the dry run's keys.

One result per person (found, changed, kept, residual), a person the stores do not hold
reported as such, a malformed file refused with its line before anything changes, and the
Python API returning the same results."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from custos.batch import erase_each, read_people
from custos.cli import app
from custos.datamap import load_datamap
from custos.engine import Engine, Journal
from tests import shop
from tests.cli.test_cli import shop_map  # noqa: F401 - the fixture

runner = CliRunner()


def test_erase_from_a_file_gives_one_result_per_person(shop_map: Path, tmp_path: Path) -> None:  # noqa: F811
    people = tmp_path / "people.csv"
    people.write_text(f"email,phone\n{shop.ALICE.upper()},\n\nnobody@example.com,\n,+1 415 555 0103\n",
                      encoding="utf-8")
    result = runner.invoke(app, ["erase", "--map", str(shop_map), "--from", str(people), "--yes", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["line"], r["status"]) for r in rows] == [(2, "completed"), (4, "nothing_found"), (5, "completed")]
    alice = rows[0]
    assert alice["found"] > 0 and alice["changed"] > 0 and alice["residual_ok"] is True
    assert "shop.orders.total" in alice["kept"]
    assert shop.snapshot(f"sqlite:///{shop_map.parent / 'shop.db'}")["customers"][0][1] != shop.ALICE


def test_a_malformed_file_changes_nothing(shop_map: Path, tmp_path: Path) -> None:  # noqa: F811
    before = shop.snapshot(f"sqlite:///{shop_map.parent / 'shop.db'}")
    people = tmp_path / "people.csv"
    people.write_text(f"email\n{shop.ALICE}\nnot an email\n", encoding="utf-8")
    result = runner.invoke(app, ["erase", "--map", str(shop_map), "--from", str(people), "--yes"])
    assert result.exit_code == 1 and f"{people}:3:" in result.stderr
    people.write_text(f"email,shoe_size\n{shop.ALICE},42\n", encoding="utf-8")
    result = runner.invoke(app, ["erase", "--map", str(shop_map), "--from", str(people), "--yes"])
    assert result.exit_code == 1 and "unknown: shoe_size" in result.stderr
    assert shop.snapshot(f"sqlite:///{shop_map.parent / 'shop.db'}") == before


def test_access_from_a_file_writes_a_package_per_person(shop_map: Path, tmp_path: Path) -> None:  # noqa: F811
    people = tmp_path / "people.csv"
    people.write_text(f"email\n{shop.ALICE}\n{shop.BOB}\n", encoding="utf-8")
    out = tmp_path / "packages"
    result = runner.invoke(app, ["access", "--map", str(shop_map), "--from", str(people), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["line-2.zip", "line-3.zip"]
    with zipfile.ZipFile(out / "line-3.zip") as package:
        data = json.loads(package.read("data.json"))
    assert data["subject"] == {"email": shop.BOB}


def test_the_python_api_returns_the_same_results(shop_map: Path, tmp_path: Path) -> None:  # noqa: F811
    people = tmp_path / "people.csv"
    people.write_text(f"email\n{shop.BOB}\n", encoding="utf-8")
    datamap = load_datamap(shop_map)
    engine = Engine(datamap, secret_key=b"batch", journal=Journal(tmp_path / "j.db"))
    try:
        [result] = list(erase_each(engine, read_people(people, datamap)))
    finally:
        engine.close()
        engine.journal.close()
    assert (result.line, result.status, result.residual_ok) == (2, "completed", True)


def test_the_dry_run_can_show_the_keys(shop_map: Path) -> None:  # noqa: F811
    result = runner.invoke(app, ["plan", "--map", str(shop_map), "--email", shop.ALICE, "--keys", "1"])
    assert result.exit_code == 0, result.output
    assert "keys (id): 1 and 1 more" in result.stdout  # Alice's own account and the one merged into it
    data = json.loads(runner.invoke(app, ["plan", "--map", str(shop_map), "--email", shop.ALICE, "--keys", "5",
                                          "--json"]).stdout)
    customers = next(c for c in data["collections"] if c["collection"] == "shop.customers")
    assert customers["keys"] == [[1], [2]] and customers["key_columns"] == ["id"]
