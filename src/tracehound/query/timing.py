"""Where a trace's time went: the critical path through its tree, and which siblings ran in parallel.

Pure functions over the spans of one trace (as ``SpanStore.get_trace`` returns them), so they work the
same for every store. The critical path follows the usual definition (Jaeger's): walking back from
the end of a span, the child that finished last is what the span was waiting for; recurse into it,
then continue from that child's start with the child that finished last before it. Time no child
covers is the span's own ("self") time. The segments tile the root's duration exactly.

    path = critical_path(store.get_trace(trace_id))
    groups = parallel_groups(store.get_trace(trace_id))
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from tracehound.model import Span
from tracehound.store.base import TreeNode
from tracehound.timefmt import iso


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the root's duration spent in ``span`` itself (not waiting on a child)."""

    span: Span
    start_us: int
    end_us: int

    @property
    def duration_us(self) -> int:
        return self.end_us - self.start_us


@dataclass(frozen=True, slots=True)
class SiblingGroup:
    """The children of one parent and how much of their time overlapped."""

    parent: Span
    children: list[Span]
    max_concurrency: int
    overlap_us: int  # time during which two or more of the children were running
    busy_us: int  # time during which at least one was running
    sum_us: int  # the children's durations added up (what running them one by one would take)

    @property
    def parallel(self) -> bool:
        return self.max_concurrency > 1


def _end(span: Span, children: dict[str, list[Span]]) -> int:
    """A running span ends, for this purpose, when the last thing under it does."""
    if span.end_us is not None:
        return span.end_us
    kids = children.get(span.id, ())
    return max([span.start_us, *(_end(kid, children) for kid in kids)])


def _children(nodes: list[TreeNode]) -> tuple[list[Span], dict[str, list[Span]]]:
    ids = {node.span.id for node in nodes}
    roots: list[Span] = []
    children: dict[str, list[Span]] = defaultdict(list)
    for node in nodes:
        span = node.span
        if span.parent_id in ids:
            children[span.parent_id].append(span)  # type: ignore[index]
        else:
            roots.append(span)
    return roots, children


def critical_path(nodes: list[TreeNode]) -> list[Segment]:
    """The segments, in time order, that the first root's duration is made of; empty for no spans."""
    roots, children = _children(nodes)
    if not roots:
        return []
    root = roots[0]
    segments: list[Segment] = []
    _walk(root, root.start_us, _end(root, children), children, segments)
    segments.reverse()
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].span.id == segment.span.id and merged[-1].end_us == segment.start_us:
            merged[-1] = Segment(segment.span, merged[-1].start_us, segment.end_us)
        elif segment.duration_us > 0:
            merged.append(segment)
    return merged


def _walk(span: Span, start: int, end: int, children: dict[str, list[Span]], out: list[Segment]) -> None:
    """Append the segments of ``span`` within [start, end], latest first (the caller reverses)."""
    kids = sorted(children.get(span.id, ()), key=lambda kid: _end(kid, children), reverse=True)
    cursor = end
    for kid in kids:
        if cursor <= start:
            break
        kid_end = min(_end(kid, children), cursor)
        kid_start = max(kid.start_us, start)
        if kid_end <= kid_start or kid_end > cursor:
            continue
        if kid_end < cursor:
            out.append(Segment(span, kid_end, cursor))
        _walk(kid, kid_start, kid_end, children, out)
        cursor = kid_start
    if cursor > start:
        out.append(Segment(span, start, cursor))


def parallel_groups(nodes: list[TreeNode]) -> list[SiblingGroup]:
    """For every span with two or more children: did those children overlap in time, and by how much."""
    _, children = _children(nodes)
    by_id = {node.span.id: node.span for node in nodes}
    groups = []
    for parent_id, kids in children.items():
        if len(kids) < 2:
            continue
        events = []
        for kid in kids:
            events.append((kid.start_us, 1))
            events.append((_end(kid, children), -1))
        events.sort(key=lambda event: (event[0], event[1]))  # ends before starts at the same instant
        running = peak = overlap = busy = 0
        last = events[0][0]
        for at, delta in events:
            if running >= 2:
                overlap += at - last
            if running >= 1:
                busy += at - last
            running += delta
            peak = max(peak, running)
            last = at
        total = sum(_end(kid, children) - kid.start_us for kid in kids)
        groups.append(SiblingGroup(by_id[parent_id], sorted(kids, key=lambda kid: kid.start_us), peak, overlap,
                                   busy, total))
    groups.sort(key=lambda group: group.parent.start_us)
    return groups


def timing_report(trace_id: str, nodes: list[TreeNode]) -> dict[str, Any]:
    """The critical path and the sibling groups of a trace, as the API and the CLI show them."""
    path = critical_path(nodes)
    root = path[0].span if path else nodes[0].span
    total = sum(segment.duration_us for segment in path)
    return {
        "trace_id": trace_id,
        "root_id": root.id,
        "duration_s": total / 1e6,
        "critical_path": [
            {"span_id": s.span.id, "name": s.span.name, "run_type": s.span.run_type, "start_time": iso(s.start_us),
             "end_time": iso(s.end_us), "duration_s": s.duration_us / 1e6,
             "share": s.duration_us / total if total else 0.0}
            for s in path
        ],
        "parallel": [
            {"parent_id": g.parent.id, "parent_name": g.parent.name, "children": len(g.children),
             "parallel": g.parallel, "max_concurrency": g.max_concurrency, "overlap_s": g.overlap_us / 1e6,
             "busy_s": g.busy_us / 1e6, "sum_s": g.sum_us / 1e6,
             "child_ids": [child.id for child in g.children]}
            for g in parallel_groups(nodes)
        ],
    }
