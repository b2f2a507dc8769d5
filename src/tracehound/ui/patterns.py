"""Sample data for ``/-/patterns``: every component rendered from a small made-up trace and session."""

from __future__ import annotations

from typing import Any

from tracehound.model import RUN_TYPES, STATUSES, Span
from tracehound.store.trees import tree_order
from tracehound.ui.trace_view import trace_view

_T0 = 1_776_247_200_000_000  # 2026-04-15T10:00:00Z
_TRACE = "00000000-0000-4000-8000-000000000001"


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


def sample_spans() -> list[Span]:
    """An agent turn: plan with an LLM, two tools in parallel (one fails), retrieve, answer."""
    def span(n: int, parent: int | None, name: str, run_type: str, start_ms: int, end_ms: int | None,
             **fields: Any) -> Span:
        return Span(id=_id(n), trace_id=_TRACE, parent_id=_id(parent) if parent else None, name=name,
                    run_type=run_type, start_time=_T0 + start_ms * 1000,  # type: ignore[arg-type]
                    end_time=None if end_ms is None else _T0 + end_ms * 1000, project="patterns",
                    session_id="patterns-session", **fields)

    long_text = "The customer asked about order #1042. " * 60
    return [
        span(1, None, "support_agent", "agent", 0, 2400, inputs={"question": "Where is my order #1042?"},
             outputs={"answer": "It ships tomorrow."}, tags=["prod", "v2"]),
        span(2, 1, "plan", "llm", 20, 620, model="gpt-4o-mini", prompt_tokens=412, completion_tokens=38,
             cost=0.00021, inputs={"messages": [{"role": "system", "content": long_text},
                                                {"role": "user", "content": "Where is my order #1042?"}]},
             outputs={"content": "call lookup_order and lookup_shipping"}),
        span(3, 1, "lookup_order", "tool", 640, 1100, inputs={"order_id": 1042}, outputs={"status": "packed"}),
        span(4, 1, "lookup_shipping", "tool", 650, 1500, inputs={"order_id": 1042},
             error='Traceback (most recent call last):\n  File "tools.py", line 12, in lookup_shipping\n'
                   "ConnectionError: carrier API returned 502"),
        span(5, 1, "search_faq", "retriever", 1510, 1700, inputs={"query": "shipping delays"},
             outputs={"documents": [{"id": n, "text": f"FAQ entry {n}"} for n in range(30)]}),
        span(6, 1, "answer", "llm", 1710, 2380, model="gpt-4o-mini", prompt_tokens=980, completion_tokens=64,
             cost=0.00048, outputs={"content": "It ships tomorrow."}),
        span(7, 6, "guard", "guardrail", 2300, 2370),
    ]


def patterns_context() -> dict[str, Any]:
    """Everything ``patterns.html`` shows."""
    trace = trace_view(tree_order(sample_spans()), _id(2))
    return {
        "run_types": RUN_TYPES,
        "statuses": STATUSES,
        "trace": trace,
        "sample_json": {"query": "refund policy", "k": 4, "filters": {"lang": "en", "tags": ["faq", "billing"]},
                        "score": 0.87, "cached": False, "note": None, "long": "lorem ipsum " * 80},
        "turn": {"turn": 1, "trace_id": _TRACE, "root_id": _id(1), "name": "support_agent", "status": "error",
                 "start_us": _T0,
                 "duration_us": 2_400_000, "user_message": "Where is my order #1042?",
                 "answer": "It ships tomorrow.", "inputs": {"question": "Where is my order #1042?"},
                 "outputs": {"answer": "It ships tomorrow."}, "error": "ConnectionError: carrier API returned 502",
                 "span_count": 7, "error_count": 1, "total_tokens": 1494, "cost": 0.00069,
                 "feedback": [{"key": "thumbs", "score": 0.0, "value": None, "comment": "wrong order",
                               "source": "user"},
                              {"key": "helpfulness", "score": 1.0, "value": None, "comment": None,
                               "source": "evaluator"}]},
    }
