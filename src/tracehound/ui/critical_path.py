"""Which spans of a trace decided when it ended (the critical path), and which ran in parallel.

The critical path is found as Jaeger does: start at the root; its last-finishing child is on the
path (and so, recursively, that child's own critical path); then, before that child started, the
child that finished last is on it too; and so on back to the root's start. Sequential steps are all
on the path; of siblings that overlapped only the one that finished last is.

    on_path = critical_path(spans)     # set of span ids
    parallel = parallel_spans(spans)   # ids of spans that overlap a sibling in time

Both run in O(n log n) without recursion, so a 10,000-deep chain is fine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from tracehound.model import Span

_Node = tuple[str, int, int]  # id, start µs, end µs (a running span ends with the trace)


def _forest(spans: Sequence[Span]) -> tuple[list[_Node], dict[str, list[_Node]]]:
    """Roots and children lists as plain tuples (attribute and property access dominate otherwise)."""
    ends = [span.end_time for span in spans]
    trace_end = max(end if end is not None else span.start_time for end, span in zip(ends, spans, strict=True))
    ids = {span.id for span in spans}
    roots: list[_Node] = []
    children: dict[str, list[_Node]] = defaultdict(list)
    for span, end in zip(spans, ends, strict=True):
        node = (span.id, span.start_time, end if end is not None else trace_end)
        parent = span.parent_id
        if parent is not None and parent in ids:
            children[parent].append(node)  # type: ignore[arg-type]
        else:
            roots.append(node)  # type: ignore[arg-type]
    return roots, children


def critical_path(spans: Sequence[Span]) -> set[str]:
    """The ids of the spans on the critical path of each root (see the module docstring).

    A running span is taken to end when the last span of the trace ends. A child that runs past its
    parent's end is clipped to it, so clock skew between services does not hide the path.
    """
    if not spans:
        return set()
    roots, children = _forest(spans)
    on_path: set[str] = set()
    # Each entry: a span on the path and the time its part of the path ends (clipped to its parent).
    stack = [(root, root[2]) for root in roots]
    while stack:
        (span_id, span_start, _), span_end = stack.pop()
        on_path.add(span_id)
        kids = children.get(span_id)
        if not kids:
            continue
        cursor = span_end
        for child, child_end in sorted(((c, min(c[2], span_end)) for c in kids), key=_second, reverse=True):
            if child_end > cursor:
                continue  # overlaps the step already chosen, which finished later
            if child_end <= span_start:
                break
            stack.append((child, child_end))
            cursor = child[1]
            if cursor <= span_start:
                break
    return on_path


def _second(pair: tuple[_Node, int]) -> int:
    return pair[1]


def parallel_spans(spans: Sequence[Span]) -> set[str]:
    """The ids of spans whose run overlaps a sibling's (same parent), e.g. tools called concurrently."""
    if not spans:
        return set()
    roots, children = _forest(spans)
    overlapping: set[str] = set()
    for group in (*children.values(), roots):
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda node: node[1])
        latest = ordered[0]
        for node in ordered[1:]:
            if node[1] < latest[2]:
                overlapping.add(node[0])
                overlapping.add(latest[0])
            if node[2] > latest[2]:
                latest = node
    return overlapping
