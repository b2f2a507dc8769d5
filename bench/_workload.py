"""Span dicts shaped like one agent turn: a chain root, an llm plan, tools, a retriever, an llm answer."""

from __future__ import annotations

import random
import time
import uuid

_SHAPE = (  # (parent index, run_type, name)
    (None, "chain", "support_agent"),
    (0, "llm", "plan"),
    (0, "tool", "lookup_order"),
    (0, "retriever", "search_kb"),
    (3, "embedding", "embed_query"),
    (0, "tool", "get_account"),
    (0, "llm", "answer"),
    (6, "parser", "format_reply"),
)
_BASE_US = int(time.time() * 1e6) - 86_400_000_000


def uuid7(at_us: int, rand: int) -> str:
    """A UUIDv7 string for a moment (ms precision) and 74 random bits."""
    value = (at_us // 1000) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def agent_turn_spans(seed: int, *, base_us: int = _BASE_US, project: str = "bench") -> list[dict]:
    """Eight spans of one turn, deterministic for a seed, with ~300-byte inputs and outputs."""
    rng = random.Random(seed)
    start = base_us + seed * 1000
    # Time-ordered (UUIDv7) ids, as the langsmith SDK and ours generate them.
    ids = [uuid7(start + index * 100, rng.getrandbits(74)) for index in range(len(_SHAPE))]
    trace_id = ids[0]
    spans = []
    for index, (parent, run_type, name) in enumerate(_SHAPE):
        begin = start + index * 100
        span = {
            "id": ids[index], "trace_id": trace_id, "parent_id": None if parent is None else ids[parent],
            "name": name, "run_type": run_type, "project": project,
            "start_time": begin, "end_time": begin + rng.randint(500, 50_000) + (8 - index) * 1000,
            "session_id": f"session-{seed // 5}", "user_id": f"user-{seed % 97}", "step": index,
            "inputs": {"query": "where is my order " + "x" * 260, "order_id": seed},
            "outputs": {"answer": "your order ships tomorrow " + "y" * 250},
            "metadata": {"prompt_version": "v12", "tenant": f"t{seed % 7}"}, "tags": ["prod"],
        }
        if run_type == "llm":
            span.update(model="gpt-4o-mini", prompt_tokens=400 + rng.randint(0, 200), completion_tokens=80)
        spans.append(span)
    return spans
