"""Placing a trace's spans in their tree: engine-neutral, so every ``SpanStore.get_trace`` orders alike."""

from __future__ import annotations

from collections import defaultdict

from tracehound.model import Span
from tracehound.store.base import TreeNode


def tree_order(spans: list[Span]) -> list[TreeNode]:
    """Depth-first order with depths; spans whose parent is missing are shown as roots."""
    ids = {span.id for span in spans}
    children: dict[str | None, list[Span]] = defaultdict(list)
    for span in spans:  # already sorted by start time, so children lists are too
        parent = span.parent_id if span.parent_id in ids else None
        children[parent].append(span)
    ordered: list[TreeNode] = []
    stack = [(span, 0) for span in reversed(children[None])]
    while stack:
        span, depth = stack.pop()
        ordered.append(TreeNode(span, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(span.id, ())))
    return ordered
