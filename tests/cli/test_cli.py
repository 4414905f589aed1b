"""Every command through the CLI runner, as a user would call it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from custos.cli import app
from tests import shop

runner = CliRunner()


@pytest.fixture
def shop_map(tmp_path: Path) -> Path:
    shop_url, crm_url = f"sqlite:///{tmp_path / 'shop.db'}", f"sqlite:///{tmp_path / 'crm.db'}"
    shop.build(shop_url, crm_url)
    return shop.write_map(tmp_path, shop_url, crm_url)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help() -> None:
    for command in ("demo", "init", "validate", "taxonomy", "plan", "access", "erase", "correct"):
        code, out, _ = invoke(command, "--help")
        assert code == 0 and "Usage" in out, command


def test_init_writes_a_map_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "custos.yaml"
    code, out, _ = invoke("init", str(target))
    assert code == 0 and target.exists()
    code, out, err = invoke("validate", str(target))
    assert code == 0, err
    assert "ok:" in out and "identities email" in out
    code, _, err = invoke("init", str(target))
    assert code != 0 and "already exists" in err


def test_validate_connect_reports_live_mismatch_on_one_line_per_problem(shop_map: Path) -> None:
    code, out, _ = invoke("validate", "--map", str(shop_map), "--connect")
    assert code == 0 and "live stores match" in out
    shop_map.write_text(shop_map.read_text().replace("{name: ship_address,", "{name: ship_addr,"))
    code, out, err = invoke("validate", "--map", str(shop_map), "--connect")
    assert code == 2
    assert "column 'ship_addr' does not exist" in err and "Traceback" not in err + out


def test_plan_changes_nothing(shop_map: Path) -> None:
    before = shop.snapshot(f"sqlite:///{shop_map.parent / 'shop.db'}")
    code, out, _ = invoke("plan", "--map", str(shop_map), "--email", shop.ALICE)
    assert code == 0
    assert "shop.sessions: 2 row(s) -> delete the rows" in out
    assert "kept: total (tax_records: legal_obligation" in out
    code, out, _ = invoke("plan", "--map", str(shop_map), "--email", shop.ALICE, "--json")
    assert json.loads(out)["subject"] == {"email": shop.ALICE}
    assert shop.snapshot(f"sqlite:///{shop_map.parent / 'shop.db'}") == before


def test_access_prints_data_json_or_writes_the_package(shop_map: Path, tmp_path: Path) -> None:
    code, out, _ = invoke("access", "--map", str(shop_map), "--email", shop.ALICE)
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"subject", "generated_at", "datasets"}
    assert sorted(r["id"] for r in data["datasets"]["shop"]["customers"]) == [1, 2]
    package = tmp_path / "alice.zip"
    code, _, _ = invoke("access", "--map", str(shop_map), "--email", shop.ALICE, "--out", str(package))
    assert code == 0
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        assert {"data.json", "report.html", "csv/shop.customers.csv", "csv/crm.contacts.csv"} <= names
        report = archive.read("report.html").decode()
        assert "Deliver orders" in report and "Parcel carriers" in report
        assert "Content-Security-Policy" in report and "default-src 'none'" in report  # no script runs
        assert json.loads(archive.read("data.json"))["datasets"] == data["datasets"]


def test_erase_asks_unless_yes_and_reports_json(shop_map: Path) -> None:
    code, _, err = invoke("erase", "--map", str(shop_map), "--email", shop.ALICE)
    assert code != 0 and "nothing was changed" in err
    code, out, _ = invoke("erase", "--map", str(shop_map), "--email", shop.ALICE, "--yes", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["status"] == "completed" and result["residual"]["ok"] is True
    by_name = {c["collection"]: c for c in result["collections"]}
    assert by_name["shop.sessions"]["rows_deleted"] == 2
    assert by_name["shop.orders"]["fields_kept"][0]["exception"] == "tax_records"
    code, out, _ = invoke("erase", "--map", str(shop_map), "--email", shop.ALICE, "--yes")
    assert code == 0 and "nothing was changed" in out


def test_correct_sets_a_value(shop_map: Path) -> None:
    code, out, _ = invoke("correct", "--map", str(shop_map), "--email", shop.BOB,
                          "--set", "shop.customers.full_name=Robert")
    assert code == 0 and "1 changed" in out
    code, out, _ = invoke("access", "--map", str(shop_map), "--email", shop.BOB)
    assert json.loads(out)["datasets"]["shop"]["customers"][0]["full_name"] == "Robert"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "--email", "not-an-email"), "not an address"),
        (("plan",), "no identity given"),
        (("plan", "--id", "novalue"), "NAME=VALUE"),
        (("correct", "--email", "a@b.c", "--set", "shop.nope.x=1"), "no field 'shop.nope.x'"),
    ],
)
def test_user_errors_are_one_line_without_traceback(shop_map: Path, args: tuple[str, ...], message: str) -> None:
    code, out, err = invoke(*args[:1], "--map", str(shop_map), *args[1:])
    assert code != 0
    assert message in err and "Traceback" not in err + out


def test_an_error_names_the_flag_that_resolves_it_on_the_command_line(shop_map: Path) -> None:
    code, _, err = invoke("plan", "--map", str(shop_map))
    assert code == 2 and "no identity given" in err and "--email" in err
    code, _, err = invoke("plan", "--map", str(shop_map.with_name("missing.yaml")), "--email", "a@b.c")
    assert code == 2 and "CUSTOS_DATAMAP" in err and "--map" in err


def test_unreachable_store_names_the_system_not_the_password(shop_map: Path) -> None:
    text = shop_map.read_text()
    crm_url = next(line for line in text.splitlines() if "crm_db" in line and "url" in line)
    shop_map.write_text(text.replace(crm_url, '  - {key: crm_db, url: "postgresql://u:hunter2@127.0.0.1:1/x", datasets: [crm]}'))
    code, out, err = invoke("access", "--map", str(shop_map), "--email", shop.ALICE)
    assert code == 3
    assert "crm_db" in err and "hunter2" not in err + out


def test_taxonomy_prints_the_tree_and_json() -> None:
    code, out, _ = invoke("taxonomy")
    assert code == 0 and "user.contact.email" in out
    code, out, _ = invoke("taxonomy", "--json")
    assert code == 0 and json.loads(out)


def test_demo_runs_end_to_end_and_the_second_erasure_changes_nothing(tmp_path: Path) -> None:
    code, out, err = invoke("demo", "--dir", str(tmp_path / "demo"), "--customers", "40")
    assert code == 0, err
    assert "the map fits the live database" in out
    assert "shop.sessions" in out and "delete the rows" in out
    assert "erasure for email jordan.avery@example.com: completed" in out
    assert "residual check: ok" in out
    assert "kept: placed_at, total (tax_records: legal_obligation" in out
    assert "nothing_found: 0 row(s) changed, 0 deleted" in out
    for name in ("shop.db", "custos.yaml", "access.zip", "notice.html"):
        assert (tmp_path / "demo" / name).exists(), name
    with zipfile.ZipFile(tmp_path / "demo" / "access.zip") as archive:
        data = json.loads(archive.read("data.json"))
    assert data["subject"] == {"email": "jordan.avery@example.com"}
    assert len(data["datasets"]["shop"]["customers"]) == 2  # the account and the one merged into it


def test_an_unknown_identity_type_names_the_declared_ones(shop_map: Path) -> None:
    code, out, err = invoke("access", "--map", str(shop_map), "--id", "nosuch=1")
    assert code != 0 and "declares no identity nosuch" in err and "its identities: " in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize(("args", "env", "expected"), [
    (("access", "--email", shop.ALICE, "--out", "/proc/no/such.zip"), {}, "cannot use /proc/no/such.zip"),
    (("access", "--email", shop.ALICE, "--out", "{tmp}"), {}, "Is a directory"),
    (("demo", "--dir", "/proc/no/such"), {}, "cannot use /proc/no"),
    (("audit", "verify"), {"CUSTOS_DATABASE_URL": "nope://x"}, "bad database URL"),
    (("plan", "--email", shop.ALICE), {"CUSTOS_BATCH_SIZE": "0"}, "setting CUSTOS_BATCH_SIZE"),
    (("erase", "--yes", "--email", shop.ALICE), {"CUSTOS_STATE_DIR": "/proc/no/such"}, "cannot use"),
    (("audit", "verify"), {"CUSTOS_DATABASE_URL": "sqlite:///{tmp}/none.db"}, "no control-plane database"),
    (("validate", "/dev/zero"), {}, "not a regular file"),
])
def test_bad_input_is_one_line_and_no_traceback(
        shop_map: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], env: dict[str, str],
        expected: str) -> None:
    tmp = str(shop_map.parent)
    for name, value in env.items():
        monkeypatch.setenv(name, value.replace("{tmp}", tmp))
    monkeypatch.setenv("CUSTOS_DATAMAP", str(shop_map))
    code, out, err = invoke(*(a.replace("{tmp}", tmp) for a in args))
    assert code != 0 and expected in err, (code, out, err)
    assert "Traceback" not in out + err and len(err.strip().splitlines()) <= 3
    assert not Path(tmp, "none.db").exists()  # verifying created no database


def test_retention_that_cannot_start_its_clock_is_refused_by_validate_and_run(
        shop_map: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOS_DATABASE_URL", f"sqlite:///{tmp_path / 'custos.db'}")
    shop_map.write_text(shop_map.read_text().replace("{name: subscribed_at, activity: true}", "{name: subscribed_at}"))
    code, _, err = invoke("validate", "--map", str(shop_map))
    assert code == 2 and "shop.newsletter" in err and "activity: true" in err and "custos.yaml:" in err
    code, out, err = invoke("retention", "run", "--map", str(shop_map), "--yes")
    assert code == 1 and "failed" in (out + err) and "activity: true" in (out + err)


def test_retention_plan_and_run_from_the_command_line(shop_map: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTOS_DATABASE_URL", f"sqlite:///{tmp_path / 'custos.db'}")
    code, out, err = invoke("retention", "plan", "--map", str(shop_map), "--json")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["dry_run"] is True and {r["collection"] for r in plan["rules"]} >= {"shop.customers", "shop.orders"}
    code, out, err = invoke("retention", "run", "--map", str(shop_map), "--yes")
    assert code == 0, err
    assert "total: 0 due" in out and "without a date (not swept)" in out
