"""LangSmith runs → spans: interrupts, usage details, model (the translator alone; the API is tested end to end)."""

from __future__ import annotations

from typing import Any

from tests.spans import new_id
from tracehound.server.langsmith.translate import to_span


def run(**fields: Any) -> dict[str, Any]:
    run_id = new_id()
    return {"id": run_id, "trace_id": run_id, "name": "node", "run_type": "chain",
            "start_time": "2026-04-15T10:00:00Z", "end_time": "2026-04-15T10:00:01Z", **fields}


def test_a_langgraph_interrupt_is_interrupted_not_an_error() -> None:
    span = to_span(run(error="GraphInterrupt((Interrupt(value='approve?', resumable=True),))"), "p")
    assert (span.status, span.status_reason) == ("interrupted", "GraphInterrupt")
    assert span.error is not None and span.error.startswith("GraphInterrupt")
    said = to_span(run(extra={"metadata": {"ls_status": "interrupted", "ls_status_reason": "handoff"}}), "p")
    assert (said.status, said.status_reason) == ("interrupted", "handoff")
    failed = to_span(run(error="ValueError('boom')"), "p")
    assert failed.status == "error"
    running = to_span(run(error=None, end_time=None, extra={"metadata": {"ls_status": "interrupted"}}), "p")
    assert running.status == "running"  # an interrupt is a way of ending


def test_usage_metadata_details_and_ls_model_name() -> None:
    usage = {"input_tokens": 1250, "output_tokens": 20, "total_tokens": 1270,
             "input_token_details": {"cache_read": 1000, "cache_creation": 200},
             "output_token_details": {"reasoning": 0}}
    span = to_span(run(run_type="llm", extra={"metadata": {"ls_model_name": "claude-sonnet-4-20250514",
                                                           "ls_provider": "anthropic"}},
                       outputs={"content": "hi", "usage_metadata": usage}), "p")
    assert (span.model, span.prompt_tokens, span.completion_tokens, span.total_tokens) == (
        "claude-sonnet-4-20250514", 1250, 20, 1270)
    assert span.metadata["usage_details"] == {"cache_read": 1000, "cache_write": 200}
