"""Where a trace's time went: the critical path through its tree, and which siblings ran in parallel.

Pure functions over the spans of one trace (as ``SpanStore.get_trace`` returns them), so they work the
same for every store. The critical path follows the usual definition (Jaeger's): walking back from
the end of a span, the child that finished last is what the span was waiting for; recurse into it,
then continue from that child's start with the child that finished last before it. Time no child
covers is the span's own ("self") time. The segments tile the root's duration exactly.
The trace page marks the spans waited on (``critical_span_ids``) and those that overlapped a sibling.

    path = critical_path(store.get_trace(trace_id))
    groups = parallel_groups(store.get_trace(trace_id))
    on_path = critical_span_ids(spans)        # set of ids, for highlighting rows

Every walk is iterative: a 10,000-deep chain is fine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
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


def _children(spans: Sequence[Span]) -> tuple[list[Span], dict[str, list[Span]]]:
    ids = {span.id for span in spans}
    roots: list[Span] = []
    children: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        if span.parent_id in ids:
            children[span.parent_id].append(span)  # type: ignore[index]
        else:
            roots.append(span)
    return roots, children


def _ends(roots: list[Span], children: dict[str, list[Span]]) -> dict[str, int]:
    """Each span's end; a running span ends, for this purpose, when the last thing under it does.

    Children are visited before their parents without recursion, so a 10,000-deep chain is fine.
    """
    order: list[Span] = []
    stack = list(roots)
    while stack:
        span = stack.pop()
        order.append(span)
        stack.extend(children.get(span.id, ()))
    ends: dict[str, int] = {}
    for span in reversed(order):
        end = span.end_us
        if end is None:
            end = max([span.start_us, *(ends[kid.id] for kid in children.get(span.id, ()))])
        ends[span.id] = end
    return ends


def _walk(root: Span, children: dict[str, list[Span]], ends: dict[str, int]) -> tuple[list[Segment], set[str]]:
    """The segments of ``root`` latest first (the caller reverses), and the ids of the spans it waited on.

    A child that finished after the step chosen next to it (it overlapped that step) still gets the
    stretch before the step started, so the segments tile the root; but it is not one of the spans
    *waited on*: those are the steps that each finished before the next began (Jaeger's path).
    """
    out: list[Segment] = []
    waited: set[str] = set()
    # Frame: span, start, end, children by end (latest first), next child, cursor, strict cursor, overlapped.
    root_end = ends[root.id]
    stack: list[list[Any]] = [[root, root.start_us, root_end, _by_end(root, children, ends), 0, root_end, root_end,
                               False]]
    while stack:
        frame = stack[-1]
        span, start, end, kids, index, cursor, strict, overlapped = frame
        if not overlapped:
            waited.add(span.id)
        pushed = False
        while index < len(kids) and cursor > start:
            kid = kids[index]
            index += 1
            real_end = ends[kid.id]
            kid_end = min(real_end, cursor)
            kid_start = max(kid.start_us, start)
            if kid_end < kid_start:
                continue
            if kid_end < cursor:
                out.append(Segment(span, kid_end, cursor))
            kid_overlapped = overlapped or min(real_end, end) > strict
            if not kid_overlapped:
                strict = kid.start_us
            frame[4:7] = index, kid_start, strict
            clipped_end = min(real_end, end)  # skew: a child never outlasts its parent
            stack.append([kid, kid_start, clipped_end, _by_end(kid, children, ends), 0, kid_end, clipped_end,
                          kid_overlapped])
            pushed = True
            break
        if pushed:
            continue
        if cursor > start:
            out.append(Segment(span, start, cursor))
        stack.pop()
    return out, waited


def _by_end(span: Span, children: dict[str, list[Span]], ends: dict[str, int]) -> list[Span]:
    return sorted(children.get(span.id, ()), key=lambda kid: ends[kid.id], reverse=True)


def critical_path(nodes: Sequence[TreeNode]) -> list[Segment]:
    """The segments, in time order, that the first root's duration is made of; empty for no spans."""
    spans = [node.span for node in nodes]
    roots, children = _children(spans)
    if not roots:
        return []
    segments, _ = _walk(roots[0], children, _ends(roots, children))
    segments.reverse()
    merged: list[Segment] = []
    for segment in segments:
        if merged and merged[-1].span.id == segment.span.id and merged[-1].end_us == segment.start_us:
            merged[-1] = Segment(segment.span, merged[-1].start_us, segment.end_us)
        elif segment.duration_us > 0:
            merged.append(segment)
    return merged


def critical_span_ids(spans: Sequence[Span]) -> set[str]:
    """The ids of the spans each root waited on: its critical path without spans that only overlapped it.

    Of siblings that ran in parallel only the one that finished last is on it; sequential steps all are.
    A child that ends after its parent (clock skew between services) is clipped to the parent's end.
    """
    roots, children = _children(spans)
    ends = _ends(roots, children)
    found: set[str] = set()
    for root in roots:
        found |= _walk(root, children, ends)[1]
    return found


def parallel_span_ids(spans: Sequence[Span]) -> set[str]:
    """The ids of spans whose run overlaps a sibling's (same parent), e.g. tools called concurrently."""
    roots, children = _children(spans)
    ends = _ends(roots, children)
    overlapping: set[str] = set()
    for group in (*children.values(), roots):
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda span: span.start_us)
        latest = ordered[0]
        for span in ordered[1:]:
            if span.start_us < ends[latest.id]:
                overlapping.add(span.id)
                overlapping.add(latest.id)
            if ends[span.id] > ends[latest.id]:
                latest = span
    return overlapping


def parallel_groups(nodes: Sequence[TreeNode]) -> list[SiblingGroup]:
    """For every span with two or more children: did those children overlap in time, and by how much."""
    roots, children = _children([node.span for node in nodes])
    ends = _ends(roots, children)
    by_id = {node.span.id: node.span for node in nodes}
    groups = []
    for parent_id, kids in children.items():
        if len(kids) < 2:
            continue
        events = []
        for kid in kids:
            events.append((kid.start_us, 1))
            events.append((ends[kid.id], -1))
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
        total = sum(ends[kid.id] - kid.start_us for kid in kids)
        groups.append(SiblingGroup(by_id[parent_id], sorted(kids, key=lambda kid: kid.start_us), peak, overlap,
                                   busy, total))
    groups.sort(key=lambda group: group.parent.start_us)
    return groups


def timing_report(trace_id: str, nodes: Sequence[TreeNode]) -> dict[str, Any]:
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
