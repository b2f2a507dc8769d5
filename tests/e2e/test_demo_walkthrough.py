"""The walkthrough against a real server: from the ticket's session to a passing gate, and the live
order-API alert resolving once live traffic runs the fixed agent (the rules' windows shortened)."""

from __future__ import annotations

import threading
from pathlib import Path

import tracehound
from tracehound.cli.demo import rules_file
from tracehound.demo.traffic import Traffic
from tracehound.demo.walkthrough import run_walkthrough
from tracehound.testing import running_server


def test_walkthrough_ends_with_a_passing_gate_and_a_resolved_alert(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(rules_file().read_text().replace('window = "2m"', 'window = "4s"'))
    env = {"TRACEHOUND_ALERT_RULES_FILE": str(rules), "TRACEHOUND_ALERT_INTERVAL_S": "0.5"}
    with running_server(tmp_path / "data", env=env) as port:
        endpoint = f"http://127.0.0.1:{port}"
        traffic = Traffic(endpoint)
        traffic.configure_sdk()
        stop = threading.Event()
        live = threading.Thread(target=traffic.run_live, args=(stop,), kwargs={"sessions_per_s": 8}, daemon=True)
        try:
            report = traffic.backfill(hours=24)
            assert report.ticket_session is not None
            live.start()
            lines: list[str] = []
            result = run_walkthrough(endpoint, traffic, report.ticket_session, echo=lines.append,
                                     resolve_timeout_s=90)
        finally:
            stop.set()
            if live.is_alive():
                live.join(10)
            tracehound.shutdown()
    assert result.replay_verdict == "matches"  # the stored failure reproduces, every time
    assert result.counts["fixed"] == 1 and result.counts["regressed"] == 0
    assert result.gate_passed, "\n".join(lines)
    assert result.alert_states[0] == "firing" and result.alert_states[-1] in ("resolved", "ok"), result.alert_states
