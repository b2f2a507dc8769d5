"""Scheduled detectors: a daemon thread that runs the configured detectors every ``interval_s`` and saves results.

Which detectors and with what parameters comes from the rules file's ``[detectors.NAME]`` tables;
without any, every detector that needs no user list runs with its defaults over the last interval
(``hallucination`` needs lists, so it runs only when configured).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from tracehound.analytics import detectors
from tracehound.analytics.detectors.results import DetectorResultStore
from tracehound.store.base import SpanStore

log = logging.getLogger("tracehound.detectors")
NEEDS_LISTS = ("hallucination",)


def default_plan(interval_s: float) -> dict[str, dict[str, Any]]:
    window = f"{max(int(interval_s), 60)}s"
    return {name: {"window": window} for name in detectors.DETECTORS if name not in NEEDS_LISTS}


class DetectorScheduler:
    """Runs ``plan`` (detector → params) every ``interval_s`` seconds, off the request path."""

    def __init__(self, spans: SpanStore, results: DetectorResultStore, plan: dict[str, dict[str, Any]],
                 interval_s: float) -> None:
        self.spans, self.results, self.plan, self.interval_s = spans, results, plan, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0
        self.on_result: list[Any] = []  # called with each result (the review loop feeds pools and queues)

    def start(self) -> None:
        if self._thread is None and self.interval_s > 0 and self.plan:
            self._thread = threading.Thread(target=self._loop, name="tracehound-detectors", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def run_once(self) -> list[dict[str, Any]]:
        """Run every planned detector now and save each result; a failing detector is logged and skipped."""
        saved = []
        for name, params in self.plan.items():
            try:
                result = detectors.run(name, self.spans, params)
                saved.append({"id": self.results.save(result), "detector": name, "fired": result.fired})
                if result.fired:
                    log.warning("detector %s fired: %s", name, result.summary)
                for hook in self.on_result:
                    hook(result)
            except Exception:  # one bad detector must not stop the others or the thread
                log.exception("scheduled detector %s failed", name)
        self.runs += 1
        return saved

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.run_once()
