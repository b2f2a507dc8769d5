"""``tracehound demo``: a server with a week of support-agent traffic and its incidents, plus a live trickle.

Startup: the server (a child process on the demo's rules file) accepts traffic at once; the week is
backfilled through the SDK on a simulated clock; the URLs are printed once the server has committed
it (well under 10 s on two cores: ``bench/demo_startup.py``). Live sessions then keep coming, with the
order-API outage still under way, until Ctrl-C. ``--walkthrough`` then walks the loop from a support
ticket to a gated fix (``tracehound.demo.walkthrough``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import click

from tracehound.cli.root import main


def drive_traffic(endpoint: str, stop: threading.Event, *, sessions_per_s: float = 2.0,
                  max_sessions: int | None = None) -> int:
    """Live demo sessions (no backfill) against ``endpoint`` until ``stop`` or ``max_sessions``; returns how many."""
    from tracehound.demo.traffic import Traffic
    from tracehound.testing import wait_healthy

    wait_healthy(int(endpoint.rsplit(":", 1)[1]))
    traffic = Traffic(endpoint)
    traffic.configure_sdk()
    return traffic.run_live(stop, sessions_per_s=sessions_per_s, max_sessions=max_sessions)


def rules_file() -> Path:
    """The demo's alert rules, shipped in the package."""
    return Path(__file__).resolve().parent.parent / "demo" / "rules.toml"


def start_server(data_dir: str, port: int, *, rules: Path | None = None) -> subprocess.Popen[bytes]:
    """``tracehound serve`` on the demo's rules, alerts evaluated every second."""
    env = {**os.environ, "TRACEHOUND_ALERT_RULES_FILE": str(rules or rules_file()),
           "TRACEHOUND_ALERT_INTERVAL_S": "1", "TRACEHOUND_DETECT_INTERVAL_S": "300"}
    return subprocess.Popen([sys.executable, "-m", "tracehound", "serve", "--data-dir", data_dir,
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL)


@main.command()
@click.option("--data-dir", default=None, help="Where to keep the demo store [default: a fresh temp dir].")
@click.option("--port", type=int, default=6180, show_default=True, help="Port of the demo server.")
@click.option("--sessions-per-s", type=float, default=2.0, show_default=True, help="Live sessions started a second.")
@click.option("--sessions", type=int, default=None, help="Stop the live traffic after this many sessions.")
@click.option("--walkthrough", is_flag=True, help="Then walk the loop: ticket → replay → dataset → eval → gate.")
@click.option("--yes", is_flag=True, help="With --walkthrough: do not wait for Enter between steps.")
def demo(data_dir: str | None, port: int, sessions_per_s: float, sessions: int | None, walkthrough: bool,
         yes: bool) -> None:
    """A server with a week of support-agent traffic, its incidents, and live traffic. Ctrl-C stops it."""
    import tracehound
    from tracehound.demo.traffic import Traffic
    from tracehound.testing import wait_healthy

    started = time.perf_counter()
    data_dir = data_dir or tempfile.mkdtemp(prefix="tracehound-demo-")
    server = start_server(data_dir, port)
    endpoint = f"http://127.0.0.1:{port}"
    stop = threading.Event()
    try:
        wait_healthy(port, process=server)
        traffic = Traffic(endpoint)
        traffic.configure_sdk()
        report = traffic.backfill()
        ready_s = time.perf_counter() - started
        click.echo(f"tracehound demo ready in {ready_s:.1f} s: {report.sessions} sessions, {report.turns} turns"
                   f" over 7 days (data: {data_dir})")
        click.echo(f"  traces      {endpoint}/runs")
        click.echo(f"  dashboard   {endpoint}/dashboard")
        click.echo(f"  alerts      {endpoint}/alerts          (tool-errors on lookup_order fires within seconds)")
        click.echo(f"  triage      {endpoint}/triage?tool=lookup_order")
        click.echo(f"  ticket      {endpoint}/session/{report.ticket_session}")
        click.echo(f"  detectors   {endpoint}/api/v1/detectors   (docs/demo.md: one command per incident)")
        click.echo("live traffic running; Ctrl-C stops" + ("" if walkthrough else
                   "; `tracehound demo --walkthrough` walks the loop from a ticket to a gated fix"))
        live = threading.Thread(target=traffic.run_live, args=(stop,), name="demo-live", daemon=True,
                                kwargs={"sessions_per_s": sessions_per_s, "max_sessions": sessions})
        live.start()
        if walkthrough and report.ticket_session:
            from tracehound.demo.walkthrough import run_walkthrough

            def pause() -> None:
                if not yes:
                    click.prompt("   (Enter for the next step)", default="", show_default=False)

            outcome = run_walkthrough(endpoint, traffic, report.ticket_session, echo=click.echo, pause=pause)
            click.echo(f"\nwalkthrough done: gate {'passed' if outcome.gate_passed else 'FAILED'}; alert "
                       f"{' → '.join(outcome.alert_states)}")
        while live.is_alive():
            live.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        tracehound.shutdown()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        click.echo(f"demo stopped after {time.perf_counter() - started:.0f} s")
