"""A LangSmith SDK client run as a subprocess by the LangSmith e2e tests: ``python langsmith_client.py SCENARIO``.

It imports only ``langsmith`` (and ``pandas`` when present), so it runs in a venv holding another SDK
version. The environment points the SDK at the server (``LANGSMITH_ENDPOINT``...); the scenario's
findings are printed as one JSON line prefixed ``RESULT `` for the test to assert on.
"""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from typing import Any

import langsmith
from langsmith import Client, traceable
from langsmith.run_trees import get_cached_client


def trace(project: str) -> dict[str, Any]:
    """Nested @traceable functions with metadata and tags, then list_runs / read_run."""

    @traceable(run_type="tool", name="lookup_order", tags=["tool-tag"], metadata={"tool_version": "2"})
    def lookup(order_id: str) -> dict[str, Any]:
        return {"status": "shipped", "order_id": order_id}

    @traceable(run_type="llm", name="chat_model", metadata={"ls_model_name": "gpt-test", "ls_provider": "openai"})
    def llm(prompt: str) -> dict[str, Any]:
        return {"content": "It shipped.", "usage_metadata": {"input_tokens": 11, "output_tokens": 5,
                                                              "total_tokens": 16}}

    @traceable(run_type="tool", name="failing_tool")
    def failing() -> None:
        raise ValueError("boom")

    @traceable(name="support_agent", tags=["prod"], metadata={"customer": "acme", "thread_id": "t-1"})
    def agent(question: str) -> str:
        lookup("o-1")
        lookup("o-2")
        with contextlib.suppress(ValueError):
            failing()
        return llm(question)["content"]

    agent("where is my order?")
    get_cached_client().flush()
    client = Client()
    every = list(client.list_runs(project_name=project))
    tools = list(client.list_runs(project_name=project, run_type="tool",
                                  filter='and(eq(metadata_key, "tool_version"), eq(metadata_value, "2"))'))
    errors = list(client.list_runs(project_name=project, error=True))
    roots = list(client.list_runs(project_name=project, is_root=True))
    traced = list(client.list_runs(project_name=project, trace_filter='has(tags, "prod")', run_type="llm"))
    paged = list(client.list_runs(project_name=project, limit=2))
    root = client.read_run(roots[0].id, load_child_runs=True)
    llm_run = client.read_run(next(r.id for r in every if r.run_type == "llm"))
    feedback = client.create_feedback(run_id=root.id, key="helpfulness", score=0.8, comment="good",
                                      trace_id=root.trace_id)
    client.flush()
    listed = list(client.list_feedback(run_ids=[root.id]))
    return {
        "compressed": getattr(get_cached_client(), "compressed_traces", None) is not None,
        "runs": [{"name": r.name, "run_type": r.run_type, "parent_run_id": str(r.parent_run_id or ""),
                  "trace_id": str(r.trace_id), "tags": r.tags, "metadata": (r.extra or {}).get("metadata", {}),
                  "status": r.status, "error": r.error} for r in every],
        "tools": sorted(r.name for r in tools), "tool_count": len(tools),
        "errors": [r.name for r in errors], "roots": [r.name for r in roots], "traced_llm": [r.name for r in traced],
        "paged": len(paged), "root_id": str(root.id),
        "children": sorted(child.name for child in root.child_runs or []),
        "llm_tokens": [llm_run.prompt_tokens, llm_run.completion_tokens, llm_run.total_tokens],
        "feedback_id": str(feedback.id), "listed_feedback": [(f.key, f.score) for f in listed],
    }


def datasets(name: str) -> dict[str, Any]:
    """Datasets and examples: create, read by name, bulk, list with splits and metadata."""
    client = Client()
    dataset = client.create_dataset(name, description="refund questions")
    again = client.read_dataset(dataset_name=name)
    one = client.create_example(inputs={"q": "refund?"}, outputs={"a": "yes"}, dataset_id=dataset.id,
                                metadata={"topic": "refund"}, split="train")
    client.create_examples(dataset_id=dataset.id, examples=[
        {"inputs": {"q": f"q{i}"}, "outputs": {"a": f"a{i}"}, "metadata": {"topic": "other", "i": i},
         "split": "test" if i % 2 else "train"} for i in range(5)])
    listed = list(client.list_examples(dataset_name=name))
    train = list(client.list_examples(dataset_id=dataset.id, splits=["train"]))
    by_metadata = list(client.list_examples(dataset_id=dataset.id, metadata={"topic": "refund"}))
    by_id = list(client.list_examples(dataset_id=dataset.id, example_ids=[one.id]))
    client.update_example(one.id, outputs={"a": "yes, within 30 days"})
    updated = client.read_example(one.id)
    has = client.has_dataset(dataset_name=name)
    names = [d.name for d in client.list_datasets()]
    return {"id": str(dataset.id), "read_id": str(again.id), "count": len(listed), "train": len(train),
            "by_metadata": [e.inputs for e in by_metadata], "by_id": len(by_id),
            "updated": updated.outputs, "split": one.metadata.get("dataset_split"), "has": has,
            "listed_names": name in names}


def evaluate(name: str) -> dict[str, Any]:
    """``langsmith.evaluate`` with custom evaluators over a fresh dataset; ``to_pandas()``."""
    client = Client()
    dataset = client.create_dataset(name)
    client.create_examples(dataset_id=dataset.id, examples=[
        {"inputs": {"x": i}, "outputs": {"y": i * 2}} for i in range(4)])

    @traceable(run_type="tool")
    def double(x: int) -> int:
        return x * 2 if x != 3 else -1

    def target(inputs: dict[str, Any]) -> dict[str, Any]:
        return {"y": double(inputs["x"])}

    def exact(outputs: dict[str, Any], reference_outputs: dict[str, Any]) -> bool:
        return outputs["y"] == reference_outputs["y"]

    def positive(outputs: dict[str, Any]) -> dict[str, Any]:
        return {"key": "positive", "score": 1.0 if outputs["y"] >= 0 else 0.0}

    results = langsmith.evaluate(target, data=name, evaluators=[exact, positive], experiment_prefix=name,
                                 max_concurrency=2, client=client)
    client.flush()
    get_cached_client().flush()
    rows = list(results)
    out: dict[str, Any] = {"experiment": results.experiment_name, "rows": len(rows),
                           "scores": sorted((r["example"].inputs["x"], [e.score for e in r["evaluation_results"]
                                                                        ["results"]]) for r in rows)}
    try:
        frame = results.to_pandas()
    except ImportError as exc:
        out["pandas"] = str(exc)
    else:
        out["pandas"] = {"shape": list(frame.shape), "columns": sorted(frame.columns)}
    return out


class GraphInterrupt(Exception):
    """What LangGraph raises when a node waits for a human; the client defines its own to stay langsmith-only."""


def same_turn(project: str) -> dict[str, Any]:
    """The agent turn of ``test_same_turn_three_sources``: OpenAI-format outputs, usage_metadata, ls_model_name."""
    turn = json.loads(sys.argv[3])

    @traceable(run_type="llm", name="plan")
    def plan(question: str) -> dict[str, Any]:
        return turn["openai_completion"]  # what `client.chat.completions.create(...).model_dump()` returns

    @traceable(run_type="tool", name="lookup_order")
    def lookup(order_id: str) -> dict[str, Any]:
        return {"status": "shipped"}

    @traceable(run_type="tool", name="refund")
    def refund(order_id: str) -> None:
        raise GraphInterrupt("Interrupt(value='approve refund?')")

    @traceable(run_type="llm", name="answer",
               metadata={"ls_model_name": turn["answer_model"], "ls_provider": "anthropic"})
    def answer(question: str) -> dict[str, Any]:
        return {"content": "A refund is waiting for approval.", "usage_metadata": turn["answer_usage_metadata"]}

    @traceable(name="support_agent", metadata={"tenant": "acme", "prompt_version": "v3"})
    def agent(question: str) -> str:
        plan(question)
        lookup("o-1")
        with contextlib.suppress(GraphInterrupt):
            refund("o-1")
        return str(answer(question)["content"])

    agent("refund my order")
    get_cached_client().flush()
    return {"ok": True}


def main() -> None:
    scenario, name = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else uuid.uuid4().hex[:8]
    result = {"trace": trace, "datasets": datasets, "evaluate": evaluate, "same_turn": same_turn}[scenario](name)
    result["version"] = langsmith.__version__
    print("RESULT " + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
