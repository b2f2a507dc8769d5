"""Critical path and sibling overlap over hand-made trees with known answers."""

from __future__ import annotations

import uuid

from tracehound.model import Span
from tracehound.query.timing import critical_path, parallel_groups
from tracehound.store.sqlite.spans import tree_order


def _tree(shape: list[tuple[str, str | None, int, int | None]]) -> tuple[list, dict[str, str]]:
    ids = {name: str(uuid.uuid4()) for name, *_ in shape}
    trace = ids[shape[0][0]]
    spans = [Span(id=ids[name], trace_id=trace, parent_id=ids[parent] if parent else None, name=name,
                  start_time=start, end_time=end) for name, parent, start, end in shape]
    spans.sort(key=lambda span: span.start_us)
    return tree_order(spans), ids


def test_sequential_children_and_self_time() -> None:
    nodes, _ = _tree([("root", None, 0, 100), ("a", "root", 10, 30), ("b", "root", 40, 90)])
    path = [(segment.span.name, segment.start_us, segment.end_us) for segment in critical_path(nodes)]
    assert path == [("root", 0, 10), ("a", 10, 30), ("root", 30, 40), ("b", 40, 90), ("root", 90, 100)]
    (group,) = parallel_groups(nodes)
    assert not group.parallel and group.overlap_us == 0 and group.busy_us == 70 and group.sum_us == 70


def test_parallel_children_take_the_last_to_finish() -> None:
    nodes, _ = _tree([("root", None, 0, 100), ("x", "root", 0, 80), ("y", "root", 5, 95), ("z", "root", 10, 50)])
    path = [(segment.span.name, segment.start_us, segment.end_us) for segment in critical_path(nodes)]
    # y finished last, so the root waited on it; before y started, x (the next to finish) was running.
    assert path == [("x", 0, 5), ("y", 5, 95), ("root", 95, 100)]
    (group,) = parallel_groups(nodes)
    assert group.max_concurrency == 3 and group.overlap_us == 80 - 5 and group.busy_us == 95


def test_running_spans_end_with_their_last_child() -> None:
    nodes, _ = _tree([("root", None, 0, None), ("a", "root", 0, 40)])
    path = critical_path(nodes)
    assert [(s.span.name, s.duration_us) for s in path] == [("a", 40)]
    assert critical_path([]) == []
