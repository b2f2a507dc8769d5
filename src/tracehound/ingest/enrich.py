"""What every source gets at ingest, whoever sent the span: usage, model, cost, step and the pinned-model tag.

``IngestPipeline.prepare`` calls ``Enricher.apply`` on each decoded batch (native, LangSmith, OTLP), so
the same agent turn counts the same whichever SDK reported it:

- **usage and model**: an ``llm``/``embedding`` span without token counts gets them (and its model,
  when it has none) from the response found in its outputs (``ingest.usage``: OpenAI chat and
  Responses, Anthropic, Gemini, Bedrock Converse, LangChain); the shape is kept in
  ``metadata.usage_source`` and cache/reasoning counts in ``metadata.usage_details``.
- **cost**: an llm/embedding span with a model and tokens and no cost of its own is priced with the
  project's overrides, else the shipped table (``sdk.prices``), at the price in effect when the span
  started; ``cost_details`` keeps the breakdown and ``metadata.cost_source`` says which row
  (``table:gpt-4o@2024-08-06`` or ``project:...``). A cost the source reported is never replaced.
  A model with no price stays ``cost = null`` and shows in ``GET /api/v1/prices/unpriced``.
- **pinned models**: an llm span whose model is a floating alias (``gpt-4o``,
  ``claude-3-5-sonnet-latest``) is tagged ``unpinned-model``.
- **step**: spans without a ``step`` whose trace's root is in the same batch are numbered by start
  time, root 0, as our SDK numbers them; when that root has ended, spans of the trace stored by
  earlier batches are numbered with them (``renumber_with_stored``). Spans arriving after their
  root ended keep ``step`` null.

Only llm/embedding spans (and roots of traces needing steps) cost more than one tuple test; their
outputs are decoded only when they have no token counts and the raw JSON mentions usage.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import msgspec

from tracehound.ingest.usage import Usage, details_from_metadata, find_usage
from tracehound.model import MAX_ID_CHARS, MAX_TAGS, Span
from tracehound.sdk.prices import PriceRow, is_floating
from tracehound.sdk.pricing import SHIPPED, PriceBook, compute, price_of

UNPINNED_TAG: Final = "unpinned-model"
ALL_PROJECTS: Final = "*"
PRICED_TYPES: Final = ("llm", "embedding")
_USAGE_MARKERS: Final = (b"sage", b"oken", b"Token")
RELOAD_EVERY_S: Final = 30.0
MAX_ORIGINS: Final = 50


class Pricer:
    """Prices a call for a project: that project's overrides, then overrides for every project, then the table."""

    def __init__(self, overrides: Iterable[tuple[str, PriceRow]] = ()) -> None:
        self._books: dict[str, PriceBook] = {}
        self.load(overrides)

    def load(self, overrides: Iterable[tuple[str, PriceRow]]) -> None:
        """Replace the overrides with ``(project, row)`` pairs (project ``*`` = every project)."""
        books: dict[str, PriceBook] = {}
        for project, row in overrides:
            books.setdefault(project, PriceBook()).add(row)
        self._books = books  # one assignment: readers see the old or the new set, never half

    def find(self, project: str, model: str, at_us: int | None = None) -> tuple[PriceRow, str] | None:
        """The row pricing ``model`` in ``project`` and where it came from (``project`` or ``table``)."""
        books = self._books
        for key in (project, ALL_PROJECTS):
            book = books.get(key)
            if book is not None:
                row = book.find(model, at_us)
                if row is not None:
                    return row, "project"
        row = SHIPPED.find(model, at_us)
        return None if row is None else (row, "table")

    def price(self, span: Span, details: dict[str, int]) -> bool:
        """Set ``cost``/``cost_details`` on an llm span from its tokens; ``False`` when its model has no price."""
        assert span.model is not None
        found = self.find(span.project, span.model, span.start_us)
        if found is None:
            return False
        row, origin = found
        usd, breakdown = compute(price_of(row), span.prompt_tokens or 0, span.completion_tokens or 0,
                                 details.get("cache_read", 0), details.get("reasoning", 0),
                                 details.get("cache_write", 0))
        span.cost = usd
        span.cost_details = breakdown
        span.metadata = {**span.metadata, "cost_source": f"{origin}:{row.model}@{row.effective}"}
        return True


class Enricher:
    """Applies usage extraction, pricing, the pinned-model tag and step numbering to decoded batches.

    ``overrides`` is called (at start, after ``reload()``, and every ``RELOAD_EVERY_S``) for the
    current per-project price overrides, so a change made by another process is picked up.
    """

    def __init__(self, overrides: Callable[[], Iterable[tuple[str, PriceRow]]] | None = None) -> None:
        self._overrides = overrides
        self.pricer = Pricer()
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self.ledger = Ledger()
        if overrides is not None:
            self.reload()

    def reload(self) -> None:
        """Read the price overrides again (after an API or CLI change)."""
        if self._overrides is not None:
            self.pricer.load(list(self._overrides()))
        self._loaded_at = time.monotonic()

    def apply(self, spans: Sequence[Span], source: str = "native") -> set[str]:
        """Enrich a decoded batch in place; ``source`` (native, langsmith, otlp) keys the ledger.

        Returns:
            The traces whose steps were numbered here and whose root ended in this batch: the pipeline
            renumbers them with their spans stored by earlier batches (``renumber_with_stored``).
        """
        if self._overrides is not None and time.monotonic() - self._loaded_at > RELOAD_EVERY_S:
            with self._lock:
                if time.monotonic() - self._loaded_at > RELOAD_EVERY_S:
                    self.reload()
        notes: list[tuple[str, str]] = []
        needs_step = False
        for span in spans:
            if span.run_type in PRICED_TYPES:
                self.llm_span(span, notes)
            if span.step is None:
                needs_step = True
            else:
                notes.append(("step", "sent"))
            if span.status == "interrupted":
                notes.append(("status", "interrupted"))
        ended_roots: set[str] = set()
        if needs_step:
            numbered, ended_roots = number_steps(spans)
            notes.extend(("step", "derived") for _ in range(numbered))
        self.ledger.add(source, len(spans), notes)
        return ended_roots

    def llm_span(self, span: Span, notes: list[tuple[str, str]]) -> None:
        if span.prompt_tokens is None and span.completion_tokens is None and span.total_tokens is None:
            found = _usage_in_outputs(span.outputs)
            if found is not None:
                _set_usage(span, found)
                notes.append(("tokens", f"outputs:{found.origin}"))
            else:
                notes.append(("tokens", "none"))
        else:
            notes.append(("tokens", "sent"))
            if span.model is None:
                found = _usage_in_outputs(span.outputs)
                if found is not None and found.model:
                    span.model = found.model[:MAX_ID_CHARS]
                    notes.append(("model", f"outputs:{found.origin}"))
        model = span.model
        if model is None:
            notes.append(("model", "none"))
            return
        if (span.run_type == "llm" and UNPINNED_TAG not in span.tags and len(span.tags) < MAX_TAGS
                and is_floating(model)):
            span.tags = [*span.tags, UNPINNED_TAG]
            notes.append(("model", "unpinned"))
        if span.cost is not None:
            notes.append(("cost", "sent"))
        elif span.prompt_tokens or span.completion_tokens:
            priced = self.pricer.price(span, details_from_metadata(span.metadata))
            notes.append(("cost", span.metadata["cost_source"].split(":", 1)[0] if priced else "unpriced"))


def _usage_in_outputs(outputs: Any) -> Usage | None:
    if isinstance(outputs, msgspec.Raw):
        raw = bytes(outputs)
        if len(raw) < 8 or not any(marker in raw for marker in _USAGE_MARKERS):
            return None
        try:
            outputs = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return None
    if not isinstance(outputs, dict | list):
        return None
    return find_usage(outputs)


def _set_usage(span: Span, found: Usage) -> None:
    span.prompt_tokens = found.prompt
    span.completion_tokens = found.completion
    span.total_tokens = found.total if found.total is not None else (found.prompt or 0) + (found.completion or 0)
    if span.model is None and found.model:
        span.model = found.model[:MAX_ID_CHARS]
    metadata = dict(span.metadata)
    metadata["usage_source"] = f"outputs:{found.origin}"
    details = found.details()
    if details and "usage_details" not in metadata:
        metadata["usage_details"] = details
    span.metadata = metadata


def number_steps(spans: Sequence[Span]) -> tuple[int, set[str]]:
    """Give spans without a step their index by start time within their trace, when the root is in the batch.

    Returns:
        How many spans were numbered, and the numbered traces whose root has ended.
    """
    numbered = 0
    roots = {span.trace_id for span in spans if span.parent_id is None and span.step is None}
    ended = {span.trace_id for span in spans if span.parent_id is None and span.step is None
             and span.end_time is not None}
    if not roots:
        return 0, set()
    by_trace: dict[str, list[Span]] = {}
    for span in spans:
        if span.trace_id in roots:
            by_trace.setdefault(span.trace_id, []).append(span)
    for members in by_trace.values():
        if any(span.step is not None for span in members):
            continue  # numbered by its source (ours): never renumber
        _assign(members)
        numbered += len(members)
    return numbered, ended


def _assign(members: list[Span]) -> None:
    members.sort(key=lambda s: (s.parent_id is not None, s.start_us, s.dotted_order or "", s.id))
    for index, span in enumerate(members):
        span.step = index


def renumber_with_stored(spans: list[Span], trace_id: str, stored: Sequence[Span]) -> list[Span]:
    """Number a trace whose root ended in this batch together with its spans stored by earlier batches.

    A LangSmith or OTLP source may send a trace's spans over several requests (the root's end comes
    last); numbered alone, this batch's spans would start again at 0. When no stored span of the trace
    has a step yet, every span is numbered by start time and the stored ones are returned, to be
    re-sent with their step (a merge: their other stored values are kept).
    """
    in_batch = [span for span in spans if span.trace_id == trace_id]
    known = {span.id for span in in_batch}
    earlier = [span for span in stored if span.id not in known]
    if not earlier or any(span.step is not None for span in earlier):
        return []
    _assign([*in_batch, *earlier])
    return earlier


class Ledger:
    """Where each field of the llm spans came from, per ingest protocol, since the server started.

    The mapping report (``GET /api/v1/ingest/report``) shows it beside the per-source OTLP stats, so a
    LangSmith or native source can be checked the same way: ``tokens`` sent by the source or read from
    its outputs (and which shape), ``cost`` sent / priced from the table / a project override /
    unpriced, ``model`` unpinned, ``step`` sent or derived, ``status`` interrupted.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: dict[str, int] = {}
        self._fields: dict[str, dict[str, dict[str, int]]] = {}

    def add(self, source: str, spans: int, notes: list[tuple[str, str]]) -> None:
        counted: dict[tuple[str, str], int] = {}
        for note in notes:
            counted[note] = counted.get(note, 0) + 1
        with self._lock:
            self._spans[source] = self._spans.get(source, 0) + spans
            fields = self._fields.setdefault(source, {})
            for (field_name, origin), n in counted.items():
                counter = fields.setdefault(field_name, {})
                if origin in counter or len(counter) < MAX_ORIGINS:
                    counter[origin] = counter.get(origin, 0) + n

    def to_dict(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"protocol": source, "spans": self._spans[source],
                     "fields": {name: dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
                                for name, counter in sorted(self._fields.get(source, {}).items())}}
                    for source in sorted(self._spans)]
