"""The public surface of ``import tracehound``: pinned names, and nothing from the server side."""

from __future__ import annotations

import subprocess
import sys

import tracehound

PUBLIC = [
    "BatchExporter", "Client", "GuardTripped", "Guards", "InMemoryExporter", "LocalStoreExporter", "LoopDetected",
    "Redactor", "Run", "Sampling", "Session", "SpanBlock", "SpanExporter", "StepBudgetExceeded",
    "TokenBudgetExceeded", "__version__", "configure", "evaluate", "extract", "flush", "get_current_span", "inject",
    "keep", "llm_call", "otel_context", "register_price", "session", "shutdown", "span", "traceable", "wrap_anthropic",
    "wrap_openai",
]


def test_all_is_pinned_and_sorted() -> None:
    assert tracehound.__all__ == PUBLIC
    assert tracehound.__all__ == sorted(tracehound.__all__)


def test_every_public_name_resolves() -> None:
    for name in tracehound.__all__:
        assert getattr(tracehound, name) is not None, name


def test_import_is_light_and_never_loads_the_server_side() -> None:
    code = (
        "import sys, tracehound\n"
        "loaded = set(sys.modules)\n"
        "assert not [m for m in loaded if m.startswith('tracehound.')], sorted(loaded)\n"
        "@tracehound.traceable\n"
        "def f(x): return x\n"
        "tracehound.configure(exporter=tracehound.InMemoryExporter())\n"
        "f(1)\n"
        "with tracehound.span('s'), tracehound.session('x'): pass\n"
        "tracehound.get_current_span()\n"
        "forbidden = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'jinja2', 'uvicorn', 'starlette')\n"
        "             or m.startswith(('tracehound.store', 'tracehound.server', 'tracehound.ui', 'tracehound.cli'))]\n"
        "assert not forbidden, forbidden\n"
        "import threading\n"
        "assert [t.name for t in threading.enumerate()] == ['MainThread'], threading.enumerate()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
