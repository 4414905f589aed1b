"""``notice``, ``ropa``, ``policy-check`` and ``report metrics`` through the CLI runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from custos.cli.notice_commands import register
from tests.notice.conftest import MAPS, POLICIES, policy_text

runner = CliRunner()
DEMO = str(MAPS / "demo.yaml")


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    application = typer.Typer(pretty_exceptions_enable=False)
    register(application)
    return application


def invoke(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help(app: typer.Typer) -> None:
    for command in (["notice"], ["ropa"], ["policy-check"], ["report", "metrics"], ["report"]):
        code, out, _ = invoke(app, *command, "--help")
        assert code == 0 and "Usage" in out, command


def test_notice_renders_records_and_keeps_its_date(app: typer.Typer, state_dir: Path) -> None:
    code, out, err = invoke(app, "notice", "--map", DEMO, "--format", "md", "--date", "2026-01-15")
    assert code == 0, err
    assert out.startswith("# Privacy notice of Acme Shop, Inc.") and "Last updated: January 15, 2026." in out
    assert "recorded in" in err
    index = json.loads((state_dir / "notices" / "index.json").read_text())
    (entry,) = index["versions"]
    assert entry["updated"] == "2026-01-15" and entry["format"] == "md"
    # unchanged map, no --date: the same version, with its date
    code, again, _ = invoke(app, "notice", "--map", DEMO, "--format", "md")
    assert code == 0 and again == out
    assert len(json.loads((state_dir / "notices" / "index.json").read_text())["versions"]) == 1


def test_notice_to_a_file_and_without_recording(app: typer.Typer, state_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "notice.html"
    code, out, err = invoke(app, "notice", "--map", DEMO, "--out", str(target), "--no-record", "--date", "2026-01-15")
    assert code == 0 and out == "" and f"wrote {target}" in err and "not recorded" in err
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert not (state_dir / "notices").exists()


def test_notice_list_and_diff(app: typer.Typer, state_dir: Path, tmp_path: Path) -> None:
    code, out, _ = invoke(app, "notice", "--list")
    assert code == 0 and "no notice version recorded yet" in out
    invoke(app, "notice", "--map", DEMO, "-f", "md", "--date", "2026-01-15")
    invoke(app, "notice", "--map", DEMO, "-f", "md", "--date", "2026-02-01")
    code, out, _ = invoke(app, "notice", "--list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and "updated 2026-01-15" in lines[0] and "updated 2026-02-01" in lines[1]
    first, second = (line.split()[0] for line in lines)
    code, out, _ = invoke(app, "notice", "--diff", first, second)
    assert code == 0 and "-Last updated: January 15, 2026." in out and "+Last updated: February 1, 2026." in out
    code, out, _ = invoke(app, "notice", "--diff", first, first)
    assert code == 0 and "identical" in out
    code, _, err = invoke(app, "notice", "--diff", "abc", first)
    assert code == 2 and err.startswith("error: name a version by at least 6 hex digits")


def test_notice_errors_are_one_line(app: typer.Typer, state_dir: Path, tmp_path: Path) -> None:
    code, _, err = invoke(app, "notice", "--map", DEMO, "--date", "15/01/2026")
    assert code != 0 and err.strip() == "error: --date takes a date as YYYY-MM-DD, not '15/01/2026'"
    code, _, err = invoke(app, "notice", "--map", str(tmp_path / "missing.yaml"))
    assert code != 0 and err.startswith("error:") and "Traceback" not in err
    code, _, err = invoke(app, "notice", "--map", DEMO, "--format", "pdf")
    assert code == 2


def test_ropa_csv_and_html(app: typer.Typer, tmp_path: Path) -> None:
    code, out, _ = invoke(app, "ropa", "--map", DEMO)
    assert code == 0 and out.startswith("Processing activity,(a) Controller,")
    assert len(out.splitlines()) == 6
    target = tmp_path / "ropa.html"
    code, _, err = invoke(app, "ropa", "--map", DEMO, "--format", "html", "-o", str(target))
    assert code == 0 and "wrote" in err and "(g) Technical and organisational" in target.read_text()


def test_policy_check_text_json_and_exit_codes(app: typer.Typer, tmp_path: Path) -> None:
    policy = POLICIES / "003_4b4c2bde9410e7d9.txt"
    policy_text(policy.name)  # skips when the policies are not there
    maicro = str(MAPS / "maicro.yaml")
    code, out, _ = invoke(app, "policy-check", str(policy), "--map", maicro, "--as-of", "2026-11-21")
    assert code == 0, out
    assert "0 contradiction, 0 undisclosed practice, 1 missing disclosure" in out
    code, out, _ = invoke(app, "policy-check", str(policy), "--map", maicro, "--json", "--fail-on", "any")
    assert code == 1 and json.loads(out)["summary"]["missing_disclosure"] == 1
    edited = tmp_path / "policy.txt"
    edited.write_text(policy.read_text().replace("CONTACT US\n", "CONTACT US\nWe respond within 90 days to requests.\n"))
    code, out, _ = invoke(app, "policy-check", str(edited), "--map", maicro, "--json")
    assert code == 1
    (finding,) = [f for f in json.loads(out)["findings"] if f["kind"] == "contradiction"]
    assert finding["quote"] == "We respond within 90 days to requests." and finding["topic"] == "deadline:gdpr"
    code, _, _ = invoke(app, "policy-check", str(edited), "--map", maicro, "--fail-on", "never")
    assert code == 0
    code, _, err = invoke(app, "policy-check", str(tmp_path / "none.txt"), "--map", maicro)
    assert code == 2 and err.startswith("error:") and "cannot read the policy" in err


def test_report_metrics_table_json_and_html(app: typer.Typer, tmp_path: Path) -> None:
    records = tmp_path / "records.json"
    records.write_text(json.dumps([
        {"type": "access", "received_at": "2025-03-01", "closed_at": "2025-03-11", "outcome": "complied_full"},
        {"type": "erasure", "received_at": "2025-03-02", "closed_at": "2025-03-04", "outcome": "denied"},
        {"type": "access", "received_at": "2024-12-31", "closed_at": "2025-01-02", "outcome": "denied"},
    ]))
    period = ["--records", str(records), "--from", "2025-01-01", "--to", "2025-12-31"]
    code, out, err = invoke(app, "report", "metrics", *period)
    assert code == 0, err
    know = next(line for line in out.splitlines() if line.startswith("Requests to know"))
    assert know.split()[-6:] == ["1", "1", "0", "0", "10.0", "10.0"]
    code, out, _ = invoke(app, "report", "metrics", *period, "--json")
    data = json.loads(out)
    assert data["requests"]["delete"] == {
        "type": "delete", "received": 1, "complied": 0, "complied_in_whole": 0, "complied_in_part": 0,
        "denied": 1, "open": 0, "median_days": 2.0, "mean_days": 2.0,
    }
    page = tmp_path / "metrics.html"
    code, _, _ = invoke(app, "report", "metrics", *period, "--format", "html", "--map", DEMO, "--out", str(page))
    text = page.read_text()
    assert code == 0 and "<svg" in text and "Request metrics of Acme Shop, Inc." in text
    code, _, err = invoke(app, "report", "metrics", "--records", str(tmp_path / "missing.csv"))
    assert code == 2 and err.startswith("error:")


GERMAN = ("Datenschutzerklärung. Wir verarbeiten Ihre personenbezogenen Daten nur im Rahmen der gesetzlichen "
          "Bestimmungen. Sie haben jederzeit das Recht auf Auskunft über Ihre gespeicherten Daten, deren Herkunft "
          "und Empfänger und den Zweck der Datenverarbeitung sowie ein Recht auf Berichtigung, Sperrung oder "
          "Löschung dieser Daten. Hierzu sowie zu weiteren Fragen zum Thema Datenschutz können Sie sich jederzeit "
          "unter der im Impressum angegebenen Adresse an uns wenden.\n")


@pytest.mark.parametrize(("content", "said"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00", "a Word document or another archive"),
    (b"", "is empty"),
    (b"   \n\t\n", "is empty"),
    (bytes(range(256)) * 40, "binary data"),
    (b"We " + b"x" * (21 * 1024 * 1024), "larger than 10 MB"),
    (GERMAN.encode(), "does not read as English"),
])
def test_what_is_no_policy_text_is_refused_in_one_line(app: typer.Typer, tmp_path: Path, content: bytes,
                                                       said: str) -> None:
    policy = tmp_path / "policy.bin"
    policy.write_bytes(content)
    code, out, err = invoke(app, "policy-check", str(policy), "--map", str(MAPS / "maicro.yaml"))
    assert code == 2, out
    assert err.startswith("error:") and said in err and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err + out


def test_a_bilingual_policy_is_read(app: typer.Typer, tmp_path: Path) -> None:
    policy = tmp_path / "policy.txt"
    policy.write_text("Privacy Policy\n\nWe collect your email address and use it to answer you. You may ask us "
                      "to delete your personal data at any time by writing to privacy@maicro.example.\n\n" + GERMAN)
    code, out, err = invoke(app, "policy-check", str(policy), "--map", str(MAPS / "maicro.yaml"))
    assert code in (0, 1) and not err.startswith("error:"), err
