"""tracehound: tracing and evaluation for LLM agents.

    import tracehound

    @tracehound.traceable(run_type="tool")
    def search(query: str) -> list[str]: ...

    with tracehound.session("sess-42", user_id="u-7"):
        search("refund policy")
    tracehound.flush()

Names are imported on first use (module ``__getattr__``), so ``import tracehound`` loads no SDK
module, starts no thread and never imports the server side.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from tracehound.errors import GuardTripped, LoopDetected, StepBudgetExceeded, TokenBudgetExceeded
    from tracehound.evals.runner import evaluate
    from tracehound.sdk.block import SpanBlock, span
    from tracehound.sdk.client import Client
    from tracehound.sdk.config import configure, flush, shutdown
    from tracehound.sdk.exporter import BatchExporter, LocalStoreExporter, SpanExporter
    from tracehound.sdk.guards import Guards
    from tracehound.sdk.integrations.anthropic import wrap_anthropic
    from tracehound.sdk.integrations.llm import llm_call
    from tracehound.sdk.integrations.openai import wrap_openai
    from tracehound.sdk.memory import InMemoryExporter
    from tracehound.sdk.pricing import register_price
    from tracehound.sdk.propagation import extract, inject, otel_context
    from tracehound.sdk.redaction import Redactor
    from tracehound.sdk.run import Run, get_current_span
    from tracehound.sdk.sampling import Sampling, keep
    from tracehound.sdk.session import Session, session
    from tracehound.sdk.traceable import traceable

_LAZY = {
    "BatchExporter": "tracehound.sdk.exporter",
    "Client": "tracehound.sdk.client",
    "GuardTripped": "tracehound.errors",
    "Guards": "tracehound.sdk.guards",
    "InMemoryExporter": "tracehound.sdk.memory",
    "LocalStoreExporter": "tracehound.sdk.exporter",
    "LoopDetected": "tracehound.errors",
    "Redactor": "tracehound.sdk.redaction",
    "Run": "tracehound.sdk.run",
    "Sampling": "tracehound.sdk.sampling",
    "Session": "tracehound.sdk.session",
    "SpanBlock": "tracehound.sdk.block",
    "SpanExporter": "tracehound.sdk.exporter",
    "StepBudgetExceeded": "tracehound.errors",
    "TokenBudgetExceeded": "tracehound.errors",
    "configure": "tracehound.sdk.config",
    "evaluate": "tracehound.evals.runner",
    "extract": "tracehound.sdk.propagation",
    "flush": "tracehound.sdk.config",
    "get_current_span": "tracehound.sdk.run",
    "inject": "tracehound.sdk.propagation",
    "keep": "tracehound.sdk.sampling",
    "llm_call": "tracehound.sdk.integrations.llm",
    "otel_context": "tracehound.sdk.propagation",
    "register_price": "tracehound.sdk.pricing",
    "session": "tracehound.sdk.session",
    "shutdown": "tracehound.sdk.config",
    "span": "tracehound.sdk.block",
    "traceable": "tracehound.sdk.traceable",
    "wrap_anthropic": "tracehound.sdk.integrations.anthropic",
    "wrap_openai": "tracehound.sdk.integrations.openai",
}

__all__ = [
    "BatchExporter",
    "Client",
    "GuardTripped",
    "Guards",
    "InMemoryExporter",
    "LocalStoreExporter",
    "LoopDetected",
    "Redactor",
    "Run",
    "Sampling",
    "Session",
    "SpanBlock",
    "SpanExporter",
    "StepBudgetExceeded",
    "TokenBudgetExceeded",
    "__version__",
    "configure",
    "evaluate",
    "extract",
    "flush",
    "get_current_span",
    "inject",
    "keep",
    "llm_call",
    "otel_context",
    "register_price",
    "session",
    "shutdown",
    "span",
    "traceable",
    "wrap_anthropic",
    "wrap_openai",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tracehound' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute read
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
