"""The service's commands through the CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from custos.cli.service_commands import register


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("CUSTOS_DATABASE_URL", f"sqlite:///{tmp_path / 'custos.db'}")
    app = typer.Typer()
    register(app)
    return app


def test_user_create_and_apikey_create(cli: typer.Typer) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["user", "create", "--email", "Ops@Test.example", "--role", "auditor"],
                         input="a long enough password\na long enough password\n")
    assert made.exit_code == 0, made.output
    assert "created auditor ops@test.example" in made.output
    again = runner.invoke(cli, ["user", "create", "--email", "ops@test.example", "--role", "auditor",
                                "--password", "a long enough password"])
    assert again.exit_code == 1 and "exists already" in again.output
    bad = runner.invoke(cli, ["user", "create", "--email", "x@test.example", "--role", "root",
                              "--password", "a long enough password"])
    assert bad.exit_code == 1 and "unknown role" in bad.output
    key = runner.invoke(cli, ["apikey", "create", "--name", "crm", "--scope", "opendsr"])
    assert key.exit_code == 0 and key.output.startswith("ck_")


@pytest.mark.parametrize(("email", "password", "expected"), [
    ("ops2@test.example", "aaaaaaaaaaaa", "choose another password"),
    ("ops2@test.example", "password1234", "choose another password"),
    ("ops2@test.example", "ops2@test.example!", "choose another password"),
    ("ops2@test.example", "short", "at least 12"),
    ("", "a long enough password", "not an email address"),
    ("nobody", "a long enough password", "not an email address"),
])
def test_user_create_refuses_weak_passwords_and_non_addresses(
        cli: typer.Typer, email: str, password: str, expected: str) -> None:
    made = CliRunner().invoke(cli, ["user", "create", "--email", email, "--role", "auditor", "--password", password])
    assert made.exit_code != 0 and expected in made.output


def test_worker_once_runs_due_jobs(cli: typer.Typer, tmp_path: Path) -> None:
    from tests.service.conftest import make_settings

    (tmp_path / "w").mkdir()
    settings = make_settings(tmp_path / "w", f"sqlite:///{tmp_path / 'custos.db'}")
    result = CliRunner().invoke(cli, ["worker", "--once", "--map", settings.datamap])
    assert result.exit_code == 0, result.output


def test_requests_purge(cli: typer.Typer) -> None:
    runner = CliRunner()
    done = runner.invoke(cli, ["requests", "purge", "--older-than", "24m", "--dry-run"])
    assert done.exit_code == 0, done.output
    assert "would purge 0 request(s)" in done.output
    bad = runner.invoke(cli, ["requests", "purge", "--older-than", "soon"])
    assert bad.exit_code != 0 and "not a period" in bad.output


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_refuses_to_start_without_a_data_map(cli: typer.Typer, tmp_path: Path, workers: str) -> None:
    answer = CliRunner().invoke(cli, ["serve", "--map", str(tmp_path / "missing.yaml"), "--workers", workers,
                                      "--port", "1"])
    assert answer.exit_code == 2
    assert "missing.yaml: no such file or folder" in answer.output
