"""Alerts end to end: a real server evaluates a rules file as spans arrive and posts to a real webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest

from tests.http_servers import serving
from tests.spans import new_id
from tracehound.analytics.evaluator import wait_until
from tracehound.testing import running_server
from tracehound.timefmt import now_us


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, object]]]]:
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with serving(Handler) as url:
        yield f"{url}/hook", received


def _looping_trace(calls: int) -> list[dict[str, object]]:
    root, start = new_id(), now_us()
    spans: list[dict[str, object]] = [{"id": root, "trace_id": root, "name": "agent", "run_type": "chain",
                                       "start_time": start, "end_time": start + 10_000}]
    spans += [{"id": new_id(), "trace_id": root, "parent_id": root, "name": "search", "run_type": "tool",
               "start_time": start + i, "end_time": start + i + 100} for i in range(calls)]
    return spans


def test_loop_fires_notifies_resolves_and_is_recorded(tmp_path: Path, receiver: tuple[str, list]) -> None:
    url, received = receiver
    rules = tmp_path / "alerts.toml"
    rules.write_text(f'[[rules]]\nid = "loops"\nkind = "loop"\nwindow = "2s"\ncooldown_s = 0\n'
                     f'channels = [{{type = "webhook", url = "{url}"}}, {{type = "slack", url = "{url}"}}]\n')
    env = {"TRACEHOUND_ALERT_RULES_FILE": str(rules), "TRACEHOUND_ALERT_INTERVAL_S": "0.2"}
    with running_server(tmp_path / "data", env=env) as port:
        base = f"http://127.0.0.1:{port}"
        assert httpx.post(f"{base}/api/v1/spans", json={"spans": _looping_trace(2)}).status_code == 200
        looping = _looping_trace(4)
        assert httpx.post(f"{base}/api/v1/spans", json={"spans": looping}).status_code == 200
        assert wait_until(lambda: len(received) >= 2)
        webhook = next(r for r in received if "state" in r)
        slack = next(r for r in received if "text" in r)
        assert webhook["state"] == "firing" and webhook["key"] == "search"
        assert webhook["traces"] == [looping[0]["trace_id"]]
        assert webhook["trace_urls"][0].endswith(f"/trace/{looping[0]['trace_id']}")
        assert "FIRING" in slack["text"]
        # The window passes without another loop: resolved, notified, then back to ok.
        assert wait_until(lambda: any(r.get("state") == "resolved" for r in received), timeout_s=10)
        history = httpx.get(f"{base}/api/v1/alerts/history", params={"rule_id": "loops"}).json()["events"]
        assert [(e["from"], e["to"]) for e in reversed(history)][:2] == [("ok", "firing"), ("firing", "resolved")]
        rules_listed = httpx.get(f"{base}/api/v1/alerts/rules").json()["rules"]
        assert rules_listed[0]["source"] == "file"
