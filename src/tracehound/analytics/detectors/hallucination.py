"""Hallucination proxy: answers citing URLs, prices or names the user's own lists do not know, flagged for review.

The lists come with the request: ``urls`` (allowed URLs or prefixes, or bare domains such as
``help.example.com``), ``prices`` (the catalog's prices) and ``names`` (the staff directory). Only the
kinds whose list is given are checked. Answers are the outputs of ``run_type`` spans (default
``llm``). Names are taken to be two or three capitalised words, so this is a proxy: it finds
candidates for a reviewer, not proof.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from tracehound.analytics.detectors.base import (
    MAX_EVIDENCE,
    DetectorResult,
    Finding,
    Param,
    as_float_list,
    as_list,
    payload_text,
    scope_of,
    window_of,
)
from tracehound.store.base import SpanStore

NAME = "hallucination"
DESCRIPTION = ("Answers with URLs, prices or names missing from the user's allow-lists (knowledge base, catalog,"
               " directory).")
PARAMS = {
    "urls": Param([], "Allowed URLs, URL prefixes or domains (list).", as_list),
    "prices": Param([], "Catalog prices (list of numbers).", as_float_list),
    "names": Param([], "Directory of people's names (list).", as_list),
    "run_type": Param("llm", "Run type whose outputs are the answers."),
    "max_spans": Param(200_000, "Most answers read (newest first).", int),
}
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
_PRICE = re.compile(r"(?:[$€£]\s?(\d[\d,]*(?:\.\d{1,2})?))|(?:(\d[\d,]*(?:\.\d{1,2})?)\s?(?:USD|EUR|GBP|dollars)\b)")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[ '-](?:[A-Z][a-z]+|[A-Z]\.)){1,2}\b")
_NOT_NAMES = frozenset((
    "the", "a", "an", "your", "our", "my", "this", "that", "these", "those", "thank", "thanks", "dear", "hi", "hello",
    "best", "regards", "kind", "customer", "support", "team", "order", "status", "account", "help", "center",
    "please", "note", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "new", "york", "united", "states"))


def _url_allowed(url: str, allowed: list[str]) -> bool:
    url = url.rstrip(".,;:!?")
    host = (urlsplit(url).hostname or "").lower()
    for entry in allowed:
        if "://" in entry:
            prefix, lowered = entry.lower().rstrip("/"), url.lower()
            if lowered == prefix or lowered.startswith((prefix + "/", prefix + "?", prefix + "#")):
                return True
        elif host == entry.lower() or host.endswith("." + entry.lower()):
            return True
    return False


def _cents(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "")).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _names(text: str) -> list[str]:
    found = []
    for match in _NAME.finditer(text):
        words = re.split(r"[ '-]", match.group(0))
        if not any(word.lower().rstrip(".") in _NOT_NAMES for word in words):
            found.append(match.group(0))
    return found


def detect(store: SpanStore, params: dict[str, Any]) -> DetectorResult:
    window = window_of(params)
    allowed_urls = params["urls"]
    catalog = {c for c in (_cents(str(p)) for p in params["prices"]) if c is not None}
    directory = {" ".join(n.lower().split()) for n in params["names"]}
    if not (allowed_urls or catalog or directory):
        return DetectorResult(NAME, params, [], "no lists given: pass urls, prices and/or names to check against")
    rows = [(trace_id, outputs) for _, trace_id, _, outputs in store.detectors.outputs(
        scope_of(params, window), run_type=params["run_type"], in_sessions=False, limit=params["max_spans"])]
    unknown: dict[tuple[str, str], list[str]] = defaultdict(list)
    for trace_id, outputs in rows:
        text = payload_text(outputs)
        if allowed_urls:
            for url in _URL.findall(text):
                if not _url_allowed(url, allowed_urls):
                    unknown[("url", url.rstrip(".,;:!?"))].append(trace_id)
        if catalog:
            for match in _PRICE.finditer(text):
                value = _cents(match.group(1) or match.group(2))
                if value is not None and value not in catalog:
                    unknown[("price", str(value))].append(trace_id)
        if directory:
            for name in _names(text):
                if " ".join(name.lower().split()) not in directory:
                    unknown[("name", name)].append(trace_id)
    findings = [Finding(f"{kind}:{value}", f"{kind} {value!r} is not in the {_LISTS[kind]} ({len(traces)} answer(s))",
                        value=len(traces), traces=list(dict.fromkeys(traces))[:MAX_EVIDENCE],
                        details={"kind": kind, "value": value})
                for (kind, value), traces in sorted(unknown.items(), key=lambda item: -len(item[1]))]
    return DetectorResult(NAME, params, findings, f"{len(rows)} answer(s) read; {len(findings)} unknown"
                          " URL(s), price(s) or name(s) to review", scanned=len(rows))


_LISTS = {"url": "knowledge-base allow-list", "price": "catalog", "name": "directory"}
