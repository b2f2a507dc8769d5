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


def _children(spans: Sequence[Span]) -> tuple[list[Span], dict[str, list[Span]]]:
    ids = {span.id for span in spans}
    roots: list[Span] = []
    children: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        if span.parent_id is not None and span.parent_id in ids:
            children[span.parent_id].append(span)
        else:
            roots.append(span)
    return roots, children


def critical_path(spans: Sequence[Span]) -> set[str]:
    """The ids of the spans on the critical path of each root (see the module docstring).

    A running span is taken to end when the last span of the trace ends. A child that runs past its
    parent's end is clipped to it, so clock skew between services does not hide the path.
    """
    if not spans:
        return set()
    trace_end = max(span.end_us if span.end_us is not None else span.start_us for span in spans)

    def end_of(span: Span) -> int:
        return span.end_us if span.end_us is not None else trace_end

    roots, children = _children(spans)
    on_path: set[str] = set()
    # Each entry: a span on the path and the time its part of the path ends (clipped to its parent).
    stack = [(root, end_of(root)) for root in roots]
    while stack:
        span, span_end = stack.pop()
        on_path.add(span.id)
        cursor = span_end
        for child, child_end in sorted(((c, min(end_of(c), span_end)) for c in children.get(span.id, ())),
                                       key=lambda pair: pair[1], reverse=True):
            if child_end > cursor:
                continue  # overlaps the step already chosen, which finished later
            if child_end <= span.start_us:
                break
            stack.append((child, child_end))
            cursor = child.start_us
            if cursor <= span.start_us:
                break
    return on_path


def parallel_spans(spans: Sequence[Span]) -> set[str]:
    """The ids of spans whose run overlaps a sibling's (same parent), e.g. tools called concurrently."""
    roots, children = _children(spans)
    groups = [*children.values(), roots]
    overlapping: set[str] = set()
    for group in groups:
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda s: s.start_us)
        latest_end, latest = ordered[0].end_us, ordered[0]
        for span in ordered[1:]:
            if latest_end is None or span.start_us < latest_end:
                overlapping.add(span.id)
                overlapping.add(latest.id)
            end = span.end_us
            if latest_end is not None and (end is None or end > latest_end):
                latest_end, latest = end, span
    return overlapping
