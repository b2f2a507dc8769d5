"""``tracehound demo`` startup: process start → week backfilled and committed → URLs printed, against 10 s.

    python bench/demo_startup.py [--runs 3]

Starts the real command (``python -m tracehound demo``) on a free port and a fresh data dir, times
until it prints its "ready" line, stops it with SIGINT (Ctrl-C) and checks it exits cleanly. Prints
each run, the median, and the ratio to the 10 s target; the demo's own figure (time inside the
process, from its "ready in" line) is printed beside the wall-clock one.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
from tracehound.testing import free_port

TARGET_S = 10.0


def one_run() -> tuple[float, str]:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "tracehound", "demo", "--port", str(port), "--data-dir",
                                tempfile.mkdtemp(prefix="bench-demo-")], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    ready_line = ""
    for line in process.stdout:
        if "ready in" in line:
            ready_line = line.strip()
            break
    elapsed = time.perf_counter() - started
    process.send_signal(signal.SIGINT)
    try:
        code = process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        raise SystemExit("demo did not stop on Ctrl-C within 20 s") from None
    if not ready_line:
        raise SystemExit(f"demo exited ({code}) without printing its URLs")
    return elapsed, ready_line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times = []
    for index in range(args.runs):
        elapsed, line = one_run()
        times.append(elapsed)
        print(f"run {index + 1}: {elapsed:.2f} s to URLs  ({line.split(' (data')[0]})", flush=True)
    median = statistics.median(times)
    print(f"demo startup median {median:.2f} s over {args.runs} runs (target <= {TARGET_S:.0f} s:"
          f" {median / TARGET_S:.2f}x of the target) {'OK' if median <= TARGET_S else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
