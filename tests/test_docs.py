"""The documentation keeps up with the code: every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

from custos.cli import app
from custos.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "README.md").read_text(encoding="utf-8") + "".join(
    path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))
)


def test_every_setting_is_documented() -> None:
    missing = [f"CUSTOS_{name.upper()}" for name in Settings.model_fields if f"CUSTOS_{name.upper()}" not in DOCS]
    assert missing == []


def test_the_command_line_reference_lists_every_command_and_option() -> None:
    """docs/cli.md is written from the commands (scripts/cli_reference.py); a command or an
    option added without it, or a page edited by hand, fails here."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "scripts" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert page == reference.page(), "docs/cli.md is out of date: run python3 scripts/cli_reference.py"
    for path, command in reference.commands(get_command(app), []):
        section = page.split(f"\n## custos {' '.join(path)}\n", 1)[1].split("\n## ", 1)[0]
        for flags, _ in reference.options(command):
            assert f"`{flags}`" in section
    assert "## Exit codes" in page and "| 4 |" in page


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = sorted(get_command(app).commands)  # type: ignore[attr-defined]
    assert len(commands) >= 15
    assert [c for c in commands if f"custos {c}" not in readme] == []


SETUP = 'python3 -m venv .venv && .venv/bin/pip install -c requirements/lock.txt -e ".[all,dev]" && .venv/bin/custos demo'
TESTS = ".venv/bin/python -m pytest"


def test_readme_gives_the_two_commands_and_ci_runs_them_word_for_word() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert f"```sh\n{SETUP}\n```" in readme
    assert f"```sh\n{TESTS}\n```" in readme
    assert SETUP in ci and TESTS in ci  # whole lines: CI proves what a new user gets


def test_every_dependency_is_pinned_in_the_lock() -> None:
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in ("all", "dev"):
        wanted += project["optional-dependencies"][extra]
    pinned = {
        re.split(r"==", line)[0].strip().lower().replace("_", "-")
        for line in (ROOT / "requirements" / "lock.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    names = {re.split(r"[\[<>=!~; ]", spec, maxsplit=1)[0].lower().replace("_", "-") for spec in wanted}
    assert sorted(names - pinned) == []
