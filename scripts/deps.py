"""Keep the pinned dependencies true: write the lock, or list what is behind.

    python3 scripts/deps.py lock       # requirements/lock.txt from pyproject.toml's ranges
    python3 scripts/deps.py outdated   # newer versions within the ranges, and beyond them

Both use ``uv`` (a dev dependency) from the same environment as this Python.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
PYTHON = "3.11"


def _uv() -> str:
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        raise SystemExit("uv is not installed here; install the dev extra (pip install -e '.[dev]')")
    return found


def compile_lock(out: Path, *, upgrade: bool) -> None:
    command = [_uv(), "pip", "compile", str(ROOT / "pyproject.toml"), "--extra", "all", "--extra", "dev",
               "--python-version", PYTHON, "--no-header", "--annotation-style", "line", "-o", str(out)]
    if upgrade:
        command.append("--upgrade")
    subprocess.run(command, check=True, capture_output=True, text=True)


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#]+)", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def outdated() -> int:
    locked = pins(LOCK)
    with tempfile.TemporaryDirectory() as tmp:
        newest = Path(tmp) / "lock.txt"
        compile_lock(newest, upgrade=True)
        allowed = pins(newest)
    within = {name: (locked.get(name, "-"), version) for name, version in allowed.items()
              if locked.get(name) != version}
    listed = subprocess.run([sys.executable, "-m", "pip", "list", "--outdated", "--format", "json"],
                            capture_output=True, text=True, check=False)
    beyond = {}
    for item in json.loads(listed.stdout or "[]"):
        name = item["name"].lower().replace("_", "-")
        if name in locked and item["latest_version"] != allowed.get(name):
            beyond[name] = (locked[name], item["latest_version"])
    for title, rows in (("newer within the ranges (run: scripts/deps.py lock)", within),
                        ("released beyond an upper bound (check, then widen the range)", beyond)):
        print(f"{title}: {len(rows) or 'none'}")
        for name, (old, new) in sorted(rows.items()):
            print(f"  {name:<28} {old:>12} -> {new}")
    return 1 if within or beyond else 0


def main(argv: list[str]) -> int:
    if argv == ["lock"]:
        compile_lock(LOCK, upgrade=False)
        print(f"wrote {LOCK.relative_to(ROOT)} ({len(pins(LOCK))} packages)")
        return 0
    if argv == ["outdated"]:
        return outdated()
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
