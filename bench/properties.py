"""The long run of the property-based differential tests (not part of the test suite).

The engine's access and erasure are compared with an independent brute-force model on
random schemas and messy stored identities, as in ``tests/engine/test_properties.py``, but
with many more cases. It prints the number of cases and the time per store.

    python bench/properties.py                 # 20 times the CI cases, on every store configured
    python bench/properties.py --scale 100     # longer

PostgreSQL and MariaDB join when CUSTOS_TEST_POSTGRES_URL / CUSTOS_TEST_MYSQL_URL are set.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = {"sqlite": 300, "postgresql": 60, "mysql": 60}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=20)
    args = parser.parse_args()
    env = {**os.environ, "CUSTOS_PROPERTY_SCALE": str(args.scale)}
    failed = 0
    for kind in BASE:
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/engine/test_properties.py", "-k", kind], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        seconds = time.perf_counter() - started
        last = (run.stdout.strip().splitlines() or ["?"])[-1]
        cases = 2 * BASE[kind] * args.scale
        print(f"{kind:<11} {cases:>7} cases  {seconds:8.1f} s  {last}")
        failed |= run.returncode not in (0, 5)
        if run.returncode not in (0, 5):
            print(run.stdout[-4000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
