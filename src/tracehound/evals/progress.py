"""The progress line ``evaluate()`` shows: done/total, pass rate so far, errors; silent off a terminal."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class Progress:
    """A one-line bar redrawn in place (``\\r``); thread-safe; does nothing unless the stream is a TTY."""

    def __init__(self, total: int, *, label: str = "", stream: TextIO | None = None, enabled: bool | None = None,
                 width: int = 24) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled if enabled is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = total
        self.label = label
        self.width = width
        self.done = self.passed = self.errors = 0
        self._lock = threading.Lock()

    def line(self) -> str:
        filled = int(self.width * self.done / self.total) if self.total else self.width
        rate = f"{100 * self.passed / self.done:.0f}%" if self.done else "-"
        errors = f", {self.errors} error{'s' if self.errors != 1 else ''}" if self.errors else ""
        return (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
                f"  pass {rate}{errors}")

    def advance(self, passed: bool, error: bool = False) -> None:
        with self._lock:
            self.done += 1
            self.passed += passed
            self.errors += error
            if self.enabled:
                self.stream.write("\r" + self.line())
                self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
