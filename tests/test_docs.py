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


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = sorted(get_command(app).commands)  # type: ignore[attr-defined]
    assert len(commands) >= 15
    assert [c for c in commands if f"custos {c}" not in readme] == []


def test_readme_gives_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'pip install -e ".[all,dev]" && custos demo' in readme
    assert "python3 -m pytest" in readme
    assert "python3 -m pytest" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
