"""Run every benchmark in turn and print their figures.

    python bench/run.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter measurements, 100k-span store for look-ups")
    args = parser.parse_args()
    scripts = sorted(path for path in HERE.glob("*.py") if not path.name.startswith("_") and path.name != "run.py")
    quick_args = {"ingest.py": ["--seconds", "2"], "lookup.py": ["--spans", "100000"]}
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        extra = quick_args.get(script.name, []) if args.quick else []
        if subprocess.run([sys.executable, str(script), *extra]).returncode != 0:
            failed.append(script.name)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
