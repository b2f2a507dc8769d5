"""Silent retrieval miss: a retriever returned nothing and the next llm span of the trace answered anyway.

An empty retrieval is fine when the model then says it does not know; it is a silent miss when the
next llm call (the first one starting after the retriever) finished ``ok`` with a non-empty answer
that contains none of the ``abstain_phrases``, since that answer came from the model's own memory.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tracehound.analytics.detectors.base import (
    MAX_EVIDENCE,
    DetectorResult,
    Finding,
    Param,
    as_list,
    payload_text,
    scope_of,
    window_of,
)
from tracehound.analytics.evaluator import is_empty_output
from tracehound.store.base import SpanStore

NAME = "silent_retrieval_miss"
DESCRIPTION = "A retriever returned nothing and the next llm span answered anyway (no 'I don't know')."
ABSTAIN = ("i don't know", "i do not know", "i couldn't find", "i could not find", "no information",
           "not sure", "unable to find", "don't have information", "do not have information")
PARAMS = {
    "abstain_phrases": Param(list(ABSTAIN), "Phrases that make an answer an honest abstention (list).", as_list),
    "min_misses": Param(1, "Least silent misses of one retriever to flag it.", int),
}


def detect(store: SpanStore, params: dict[str, Any]) -> DetectorResult:
    window = window_of(params)
    empty = [(trace_id, name, start) for trace_id, name, start, outputs in
             store.detectors.retrievals(scope_of(params, window)) if is_empty_output(outputs)]
    phrases = [p.lower() for p in params["abstain_phrases"]]
    misses: dict[str, list[str]] = defaultdict(list)
    for trace_id, name, start in empty:
        nxt = store.detectors.next_llm(trace_id, start)
        if nxt is None or nxt[0] != "ok":
            continue
        answer = payload_text(nxt[1]).strip().lower()
        if answer and not any(phrase in answer for phrase in phrases):
            misses[name].append(trace_id)
    findings = [Finding(name, f"{name} returned nothing and the model answered anyway in {len(traces)} trace(s)",
                        value=len(traces), traces=traces[:MAX_EVIDENCE], details={"misses": len(traces)})
                for name, traces in sorted(misses.items(), key=lambda item: -len(item[1]))
                if len(traces) >= params["min_misses"]]
    total = sum(len(t) for t in misses.values())
    return DetectorResult(NAME, params, findings, f"{len(empty)} empty retrieval(s), {total} answered anyway",
                          scanned=len(empty))
