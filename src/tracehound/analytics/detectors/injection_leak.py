"""Prompt-injection leak: an injection attempt was refused, yet a later tool call in the session carries it out.

An *attempt* is a span whose inputs contain an injection marker ("ignore previous instructions",
"disregard the system prompt", … or the user's ``patterns``); it was *refused* when its trace holds a
refusing llm answer, a guardrail span that failed or blocked, or a ``refused``/``blocked`` tag. The
injected instruction is the sentence holding the marker, and its payload the words after the marker.
A *leak* is a tool span later in the same session whose name and arguments contain that sentence or
payload (or ``overlap`` of the payload's words): the refusal was only on the surface.
"""

from __future__ import annotations

import re
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
from tracehound.store.base import SpanStore

NAME = "prompt_injection_leak"
DESCRIPTION = "A refused injection attempt whose instruction shows up in a later tool call of the session."
MARKERS = (r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier) (?:instructions|prompts?|rules)",
           r"disregard (?:all |any )?(?:the )?(?:previous|prior|above|system) (?:instructions|prompts?|rules)",
           r"forget (?:all |your )?(?:previous |prior )?instructions", r"you are now (?:in )?(?:developer|dan) mode",
           r"new instructions?:", r"override (?:the |your )?system prompt")
REFUSALS = (r"\bi can(?:no|')t (?:help|do|comply|assist|follow)", r"\bi(?:'m| am) (?:not able|unable) to",
            r"\bi won'?t\b", r"\bcannot comply\b", r"\bnot allowed to\b", r"\bi must decline\b")
PARAMS = {
    "patterns": Param([], "Extra regular expressions that mark an injection attempt (list).", as_list),
    "min_payload_chars": Param(12, "Shortest injected payload matched on its own.", int),
    "overlap": Param(0.8, "Share of the payload's words (3+) found in a tool's arguments that counts as a leak.",
                     float),
}
_STOP = frozenset(("the", "and", "then", "you", "your", "all", "any", "for", "with", "from", "into", "that", "this",
                   "them", "are", "was"))
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w@.:/\-]+", " ", text.lower()).split())


def _instruction(text: str, markers: re.Pattern[str]) -> tuple[str, str] | None:
    """The sentence holding the first marker, and what follows the marker, both normalised."""
    match = markers.search(text)
    if match is None:
        return None
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, match.start())), default=0)
    end_match = _SENTENCE_END.search(text, match.end())
    end = end_match.start() if end_match else len(text)
    payload = re.sub(r"^\W*(?:and|then)?\W*", "", text[match.end():end], flags=re.I)
    return _norm(text[start:end]), _norm(payload)


def _words(text: str) -> set[str]:
    return {w.strip(".:/-") for w in text.split() if len(w) > 2 and w not in _STOP}


def _carries(arguments: str, sentence: str, payload: str, params: dict[str, Any]) -> bool:
    if sentence in arguments or (len(payload) >= params["min_payload_chars"] and payload in arguments):
        return True
    words = _words(payload)
    return len(words) >= 3 and len(words & _words(arguments)) >= params["overlap"] * len(words)


def _refused(rows: list[tuple[Any, ...]], refusals: re.Pattern[str]) -> bool:
    for run_type, status, outputs, tags in rows:
        tagset = {word for tag in tags for word in str(tag).lower().replace(",", " ").split()}
        if tagset & {"refused", "blocked", "injection_refused"}:
            return True
        text = payload_text(outputs).lower()
        if run_type == "guardrail" and (status == "error" or re.search(r"\b(blocked|refused|flagged)\b", text)):
            return True
        if run_type == "llm" and refusals.search(text):
            return True
    return False


def detect(store: SpanStore, params: dict[str, Any]) -> DetectorResult:
    window = window_of(params)
    markers = re.compile("|".join([*MARKERS, *params["patterns"]]), re.I)
    refusals = re.compile("|".join(REFUSALS), re.I)
    rows = store.detectors.session_inputs(scope_of(params, window))
    attempts: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)  # session → (at, trace, sentence, payload)
    tools: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)  # session → (at, trace, name, args)
    refused_cache: dict[str, bool] = {}
    for session, trace_id, run_type, name, start, inputs in rows:
        text = payload_text(inputs)
        if run_type == "tool":
            tools[session].append((start, trace_id, name, _norm(name.replace("_", " ") + "\n" + text)))
        found = _instruction(text, markers) if run_type != "tool" else None
        if found is None:
            continue
        if trace_id not in refused_cache:
            refused_cache[trace_id] = _refused(store.detectors.trace_outcomes(trace_id), refusals)
        if refused_cache[trace_id] and not any(a[2] == found[0] for a in attempts[session]):
            attempts[session].append((start, trace_id, *found))
    findings = []
    for session, session_attempts in attempts.items():
        for at, attempt_trace, sentence, payload in session_attempts:
            leaks = [(trace, name) for start, trace, name, arguments in tools.get(session, ())
                     if start > at and _carries(arguments, sentence, payload, params)]
            if leaks:
                findings.append(Finding(
                    session, f"session {session}: refused injection {sentence!r} reached tool"
                             f" {leaks[0][1]} later", value=len(leaks),
                    traces=[attempt_trace, *dict.fromkeys(t for t, _ in leaks)][:MAX_EVIDENCE],
                    details={"instruction": sentence, "attempt_trace": attempt_trace,
                             "tools": sorted({name for _, name in leaks})}))
    n_attempts = sum(len(a) for a in attempts.values())
    return DetectorResult(NAME, params, findings, f"{n_attempts} refused injection attempt(s) in {len(attempts)}"
                          f" session(s); {len(findings)} leaked into a later tool call", scanned=len(rows))
