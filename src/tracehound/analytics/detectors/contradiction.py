"""Cross-turn contradiction: a session's answers give one entity two states that exclude each other.

Answers are the outputs of the turns (root spans; or spans of ``run_type``), read in time order.
A *statement* is "<entity> is/has been/was <state>" where the state belongs to one of the
``states`` groups (``active|suspended|closed``: an account is one of them at a time), and the entity
is the words before the verb ("your account", "order A-1234"). Two statements about the same entity
with different states of one group, in different turns of a session, are a contradiction. States
do change, so this is a proxy: it finds conversations for a reviewer, with the two turns as evidence.
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

NAME = "contradiction"
DESCRIPTION = "Sessions whose answers give one entity two exclusive states across turns (suspended, then active)."
STATES = ("active|suspended|closed|locked|deactivated", "approved|denied|rejected|pending",
          "shipped|processing|delivered|cancelled|lost", "paid|unpaid|overdue|refunded")
PARAMS = {
    "states": Param(list(STATES), "Groups of exclusive states, each as a|b|c (list).", as_list),
    "run_type": Param(None, "Read answers from spans of this run type instead of the turns (root spans)."),
    "max_spans": Param(200_000, "Most answers read (newest first).", int),
}
_ENTITY = r"((?:your|the|my|this|order|account|subscription|refund|payment)(?:[ \w-]{0,30}?))"


def _statements(text: str, groups: list[list[str]]) -> list[tuple[str, int, str]]:
    """``(entity, group index, state)`` for each "<entity> is <state>" in the text."""
    found = []
    for index, states in enumerate(groups):
        pattern = re.compile(_ENTITY + r"\s+(?:is now|is|was|has been|has|remains)\s+(?:still\s+)?(?:"
                             + "|".join(map(re.escape, states)) + r")\b", re.I)
        for match in pattern.finditer(text):
            entity = re.sub(r"^(?:your|the|my|this)\s+", "", match.group(1).strip().lower())
            state = match.group(0).rsplit(None, 1)[-1].lower()
            found.append((entity, index, state))
    return found


def detect(store: SpanStore, params: dict[str, Any]) -> DetectorResult:
    window = window_of(params)
    groups = [[s.strip().lower() for s in group.split("|") if s.strip()] for group in params["states"]]
    rows = store.detectors.outputs(scope_of(params, window), run_type=params["run_type"] or None, in_sessions=True,
                                   limit=params["max_spans"])
    said: dict[str, dict[tuple[str, int], list[tuple[int, str, str]]]] = defaultdict(lambda: defaultdict(list))
    for session, trace_id, start, outputs in rows:
        for entity, group, state in _statements(payload_text(outputs), groups):
            said[session][(entity, group)].append((start, trace_id, state))
    findings = []
    for session, statements in said.items():
        for (entity, _group), seen in statements.items():
            seen.sort()
            first = seen[0]
            later = next((s for s in seen[1:] if s[2] != first[2] and s[1] != first[1]), None)
            if later is None:
                continue
            findings.append(Finding(
                session, f"session {session}: {entity} is {first[2]!r}, then {later[2]!r} in a later turn",
                value=len({s[2] for s in seen}), traces=[first[1], later[1]][:MAX_EVIDENCE],
                details={"entity": entity, "first": first[2], "then": later[2]}))
            break
    findings.sort(key=lambda f: f.key)
    return DetectorResult(NAME, params, findings, f"{len(rows)} answer(s) in {len(said)} session(s) with"
                          f" state statements; {len(findings)} contradiction(s)", scanned=len(rows))
