"""What every span with the same attribute keys (and event names) shares, worked out once.

Spans of one source repeat a handful of key sets, so the per-key work is done per key set: which
conventions are present, which keys are unmapped or noise, which keys can fill each scalar field
(in precedence order), the precedence plan, and which keys start with a given prefix. A span then
only looks at its values.

    shape = shape_of(tuple(attrs), tuple(event.name for event in events))
    shape.present, shape.unmapped, shape.scalars, shape.plan, shape.keys_with("llm.tools.")

The cache is bounded (keys carrying ids would give every span its own set); past the bound a shape
is still computed, just not kept.
"""

from __future__ import annotations

from typing import Final

from tracehound.ingest.otlp import conventions as conv

_CACHE_MAX: Final = 5_000
_INT_SCALARS: Final = frozenset({"step", "prompt_tokens", "completion_tokens", "total_tokens", "cache_read",
                                 "cache_write", "reasoning"})

# How a scalar field reads a value: as a token count, as is (cost), or as text.
AS_INT: Final = 0
AS_IS: Final = 1
AS_TEXT: Final = 2


class Shape:
    """The per-key-set facts a span's translation needs (immutable once built, except its prefix memo)."""

    __slots__ = ("_keys", "_prefixed", "convention_notes", "conventions", "documents", "key_notes", "plan", "present",
                 "scalars", "tool_name", "unmapped")

    def __init__(self, keys: tuple[str, ...], event_names: tuple[str, ...]):
        present: set[str] = set()
        key_notes: list[tuple[str, str]] = []
        unmapped: list[str] = []
        candidates: dict[str, list[tuple[int, str, str]]] = {}
        for key in keys:
            info = conv.key_info(key)
            if info.owner is None:
                unmapped.append(key)
                key_notes.append(("unmapped_attributes", key))
                continue
            if info.ignored:
                key_notes.append(("ignored_attributes", key))
                continue
            present.add(info.owner)
            for name, rank in info.scalars:
                candidates.setdefault(name, []).append((rank, key, info.owner))
        for event_name in event_names:
            owner = conv.event_owner(event_name)
            if owner is not None:
                present.add(owner.name)
        self.present = frozenset(present)
        self.conventions = tuple(sorted(present))
        self.convention_notes = tuple(("conventions", name) for name in self.conventions)
        self.key_notes = tuple(key_notes)
        self.unmapped = tuple(unmapped)
        # Per scalar field, its candidate keys best first: the first usable value wins.
        self.scalars = tuple(
            (name, AS_INT if name in _INT_SCALARS else AS_IS if name == "cost" else AS_TEXT,
             tuple((key, owner) for _, key, owner in sorted(found)))
            for name, found in candidates.items())
        self.plan = conv.plan_for(self.present)
        self.tool_name = "gen_ai.tool.name" in keys or "tool.name" in keys
        self.documents = any(key.startswith("retrieval.documents.") for key in keys)
        self._keys = keys
        self._prefixed: dict[str, tuple[str, ...]] = {}

    def keys_with(self, prefix: str) -> tuple[str, ...]:
        """The keys starting with ``prefix``, in attribute order."""
        found = self._prefixed.get(prefix)
        if found is None:
            found = self._prefixed[prefix] = tuple(key for key in self._keys if key.startswith(prefix))
        return found


_cache: dict[tuple[tuple[str, ...], tuple[str, ...]], Shape] = {}


def shape_of(keys: tuple[str, ...], event_names: tuple[str, ...] = ()) -> Shape:
    """The ``Shape`` of spans with these attribute keys (in order) and event names; cached."""
    shape = _cache.get((keys, event_names))
    if shape is None:
        shape = Shape(keys, event_names)
        if len(_cache) < _CACHE_MAX:
            _cache[(keys, event_names)] = shape
    return shape
