"""Notification channels: a JSON webhook, a Slack-compatible webhook, the server log."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

log = logging.getLogger("tracehound.alerts")


def slack_text(payload: dict[str, Any]) -> str:
    """One Slack message: state, rule, key, value, and links to the evidence traces."""
    links = " ".join(f"<{url}|trace>" for url in payload.get("trace_urls", [])[:5])
    return (f"[{payload['state'].upper()}] {payload['rule_id']} ({payload['key']}): {payload['message']}"
            + (f" {links}" if links else ""))


def deliver(channel: dict[str, Any], payload: dict[str, Any], *, timeout_s: float = 5.0) -> str:
    """Send one notification; returns ``"ok"`` or the error text (never raises)."""
    kind = channel.get("type", "log")
    if kind == "log":
        log.warning("alert %s", slack_text(payload))
        return "ok"
    body = {"text": slack_text(payload)} if kind == "slack" else payload
    request = urllib.request.Request(channel["url"], data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **channel.get("headers", {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return "ok" if 200 <= response.status < 300 else f"HTTP {response.status}"
    except OSError as exc:
        log.error("alert delivery to %s failed: %s", channel.get("url"), exc)
        return f"error: {exc}"
