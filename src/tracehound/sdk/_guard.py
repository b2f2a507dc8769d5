"""What the SDK does with its own bugs: log once, keep the user's code running.

Tracing must never change what the traced program does. A failure inside the SDK is logged once per
place (with its traceback) and swallowed; under pytest it is re-raised instead, so our own tests see
SDK bugs instead of a quiet log line (logfire does the same).
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger("tracehound.sdk")

# Read at call time, so a test can turn it off to check that internal errors are swallowed.
RERAISE: bool = "PYTEST_VERSION" in os.environ

_reported: set[str] = set()


def internal_error(where: str) -> None:
    """Report the exception being handled, once per ``where``; call from an ``except`` block.

    Raises:
        Exception: the exception being handled, re-raised when ``RERAISE`` is set (under pytest).
    """
    if where not in _reported:
        _reported.add(where)
        log.exception("tracehound: internal error in %s (your code still runs; tracing may be incomplete)", where)
    if RERAISE:
        raise
