"""Run every benchmark in turn and print their figures, then a summary of the lines against a target.

    python bench/run.py [--quick]

Every script prints its own same-run baseline and ratio; the summary repeats the lines that name a
target or goal (``OK`` / ``OVER TARGET`` where the script judges), so the verdicts are on one screen.
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
    quick_args = {"ingest.py": ["--seconds", "2"], "lookup.py": ["--spans", "100000"],
                  "scale_out.py": ["--spans", "50000"]}
    failed = []
    summary: list[str] = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        extra = quick_args.get(script.name, []) if args.quick else []
        process = subprocess.Popen([sys.executable, str(script), *extra], stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:  # echoed as it comes, kept for the summary
            print(line, end="", flush=True)
            if any(word in line for word in ("target", "goal", "OVER TARGET")):
                summary.append(f"{script.name}: {line.strip()}")
        if process.wait() != 0:
            failed.append(script.name)
    print("== summary (lines naming a target)")
    print("\n".join(summary))
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
