"""Helpers for tests and benchmarks that need a real tracehound server process.

    with running_server(tmp_path) as port:
        httpx.get(f"http://127.0.0.1:{port}/healthz")
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(port: int, timeout_s: float = 20.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``/healthz`` until the server answers.

    Raises:
        RuntimeError: the process exited or did not answer in time.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"server on port {port} did not become healthy in {timeout_s} s")


@contextmanager
def running_server(data_dir: str | Path, *, port: int | None = None, env: dict[str, str] | None = None,
                   args: tuple[str, ...] = ()) -> Iterator[int]:
    """Run ``python -m tracehound serve`` on 127.0.0.1 for the duration of the block; yields the port."""
    port = port or free_port()
    command = [sys.executable, "-m", "tracehound", "serve", "--data-dir", str(data_dir), "--port", str(port), *args]
    process = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    try:
        wait_healthy(port, process=process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
