"""``tracehound demo``: the server plus a live, instrumented support agent to look at."""

from __future__ import annotations

import tempfile
import threading
import time

import click

from tracehound.cli.root import load_settings, main


def drive_traffic(endpoint: str, stop: threading.Event, *, sessions_per_s: float = 2.0,
                  max_sessions: int | None = None) -> int:
    """Run demo sessions through the SDK against ``endpoint`` until ``stop`` (or ``max_sessions``)."""
    import tracehound
    from tracehound.demo.agent import SupportAgent, run_session
    from tracehound.testing import wait_healthy

    port = int(endpoint.rsplit(":", 1)[1])
    wait_healthy(port)
    tracehound.configure(endpoint=endpoint, project="demo-support")
    agent = SupportAgent()
    count = 0
    while not stop.is_set() and (max_sessions is None or count < max_sessions):
        run_session(agent, count)
        count += 1
        stop.wait(1 / sessions_per_s)
    tracehound.flush()
    return count


@main.command()
@click.option("--data-dir", default=None, help="Where to keep the demo store [default: a fresh temp dir].")
@click.option("--port", type=int, default=None, help="Port [TRACEHOUND_PORT, default 6180].")
@click.option("--sessions", type=int, default=None, help="Stop the traffic after this many sessions.")
def demo(data_dir: str | None, port: int | None, sessions: int | None) -> None:
    """Start the server on a fresh store with a live demo agent sending traffic. Ctrl-C stops it."""
    from tracehound.cli.serve import run_server

    settings = load_settings(data_dir=data_dir or tempfile.mkdtemp(prefix="tracehound-demo-"), port=port)
    stop = threading.Event()
    endpoint = f"http://{settings.host}:{settings.port}"
    traffic = threading.Thread(target=drive_traffic, args=(endpoint, stop), kwargs={"max_sessions": sessions},
                               name="demo-traffic", daemon=True)
    traffic.start()
    click.echo(f"demo: traces at {endpoint}/api/v1/projects — try `tracehound trace <id> "
               f"--data-dir {settings.data_dir}`")
    started = time.monotonic()
    try:
        run_server(settings)
    finally:
        stop.set()
        traffic.join(timeout=5)
        click.echo(f"demo stopped after {time.monotonic() - started:.0f} s")
