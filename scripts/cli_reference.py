"""Write docs/cli.md, the command-line reference, from the commands themselves.

    python3 scripts/cli_reference.py          # rewrite docs/cli.md
    python3 scripts/cli_reference.py --check  # exit 1 when docs/cli.md is out of date

tests/test_docs.py runs the check, so a command or an option added without its page fails.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from typer.main import get_command

from custos.cli import app

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"

HEAD = """\
# Command-line reference

Every `custos` command with its options, as `custos COMMAND --help` prints them. This page is
written from the commands themselves (`python3 scripts/cli_reference.py`); a test fails when
it is out of date.

Settings come from `CUSTOS_*` environment variables (docs/service.md lists them); `--map`
overrides `CUSTOS_DATAMAP` where a command takes it.

## Exit codes

| code | meaning |
| --- | --- |
| 0 | done |
| 1 | the command ran and found a problem it reports: a broken audit chain, a policy finding at `--fail-on`, a retention sweep with a collection that failed, a path that cannot be written, an error of Custos that is not one of the below |
| 2 | bad input: a data map, an identity, a setting, a law file or an option that does not hold (`invalid_datamap`, `invalid_identity`, `invalid_config`, `invalid_rule_set`, `request_not_covered`) |
| 3 | a data store failed or refused (`store_error`); the message names the system, never its credentials |
| 4 | an erasure or a batch (`erase`, `erase --from`, `access --from`) did not complete for everyone: see its report and run it again, it resumes |

Every error is one line starting with `error:` on standard error, without a traceback; where a
flag resolves it, the line names the flag.
"""


def commands(group: Any, prefix: list[str]) -> Iterator[tuple[list[str], Any]]:
    subs = getattr(group, "commands", None)
    if subs:
        for name, sub in sorted(subs.items()):
            yield from commands(sub, [*prefix, name])
    else:
        yield prefix, group


def options(command: Any) -> list[tuple[str, str]]:
    """(flags, help) of each option, as ``--help`` shows them."""
    found = []
    for param in command.get_params(click.Context(command)):
        if param.param_type_name != "option" or "--help" in param.opts:
            continue
        flags = ", ".join([*param.opts, *param.secondary_opts])
        found.append((flags, " ".join((param.help or "").split())))
    return found


def arguments(command: Any) -> list[str]:
    return [str(p.name).upper() for p in command.get_params(click.Context(command)) if p.param_type_name == "argument"]


def page() -> str:
    parts = [HEAD]
    for path, command in commands(get_command(app), []):
        usage = " ".join(["custos", *path, *arguments(command)])
        parts.append(f"\n## custos {' '.join(path)}\n\n`{usage}`\n\n{(command.help or '').strip()}\n")
        listed = options(command)
        if listed:
            parts.append("\n| option | what it does |\n| --- | --- |\n")
            parts.extend(f"| `{flags}` | {text.replace('|', '/')} |\n" for flags, text in listed)
    return "".join(parts)


def main() -> int:
    text = page()
    if "--check" in sys.argv[1:]:
        if PAGE.read_text(encoding="utf-8") != text:
            print("docs/cli.md is out of date: run python3 scripts/cli_reference.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
