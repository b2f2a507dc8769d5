"""A groundedness heuristic: is each claim of the answer supported by the documents the run retrieved?

No model involved: the answer is cut into sentences (claims); a claim is supported when enough of
its content words (lower-cased, stop words and short words dropped, crude plural stripping) occur
in the text of the trace's retriever outputs. Score = supported claims / claims. Cheap and
deterministic, so it runs on every example; use the LLM judge for nuance.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from tracehound.evals.evaluators.base import EvalRun, EvaluationResult, pick
from tracehound.evals.evaluators.match import _named
from tracehound.store.base import Example

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
STOP_WORDS: Final = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do", "does", "for",
    "from", "had", "has", "have", "he", "her", "his", "i", "if", "in", "into", "is", "it", "its", "me", "my", "no",
    "not", "of", "on", "or", "our", "she", "so", "than", "that", "the", "their", "them", "then", "there", "these",
    "they", "this", "to", "too", "us", "was", "we", "were", "what", "when", "where", "which", "who", "will", "with",
    "would", "you", "your", "yes",
))


def _terms(text: str) -> set[str]:
    terms = set()
    for word in _WORD.findall(text.lower()):
        if len(word) < 3 or word in STOP_WORDS:
            continue
        terms.add(word[:-1] if word.endswith("s") and len(word) > 3 else word)
    return terms


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def groundedness(field: str | None = None, *, claim_support: float = 0.6, threshold: float = 1.0) -> Any:
    """Score the share of the answer's claims supported by retrieved documents.

    Args:
        field: which output holds the answer (default: the whole output).
        claim_support: fraction of a claim's content words that must occur in the documents.
        threshold: score at or above which the example passes (default: every claim supported).
    """

    def evaluate(run: EvalRun, example: Example) -> EvaluationResult | None:
        documents = set().union(*(_terms(_text(span.outputs)) for span in run.spans_of("retriever")))
        answer = pick(run.outputs, field)
        claims = [c for c in _SENTENCE.split(_text(answer) if answer is not None else "") if _terms(c)]
        if not claims:
            return None
        unsupported = []
        for claim in claims:
            terms = _terms(claim)
            if len(terms & documents) / len(terms) < claim_support:
                unsupported.append(claim.strip())
        score = 1 - len(unsupported) / len(claims)
        return EvaluationResult("groundedness", score, passed=score >= threshold,
                                comment=f"unsupported: {' | '.join(unsupported)}"[:500] if unsupported else None)

    return _named(evaluate, "groundedness")
