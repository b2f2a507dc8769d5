"""The trace-centred pages: home (recent traces), trace, span detail, session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tracehound.errors import NotFound
from tracehound.store.base import FeedbackStore, MetaStore, SpanCriteria, SpanStore
from tracehound.timefmt import iso
from tracehound.ui.messages import answer, user_message
from tracehound.ui.trace_view import span_detail, trace_view

RECENT_TRACES = 50


def _everything(project: str) -> bool:
    return True


def home_context(spans: SpanStore, meta: MetaStore, project: str | None = None,
                 can_see: Callable[[str], bool] = _everything) -> dict[str, Any]:
    """Projects (those ``can_see`` allows), and the most recent traces (of one project when given) with
    their whole-trace totals."""
    recent = spans.list_spans(SpanCriteria(project=project, is_root=True, limit=RECENT_TRACES))
    totals = spans.trace_totals([root.trace_id for root in recent])
    return {
        "project": project,
        "projects": [{"name": p.name, "created_us": p.created_us, "description": p.description}
                     for p in meta.list_projects() if can_see(p.name)],
        "traces": [{
            "trace_id": root.trace_id, "name": root.name, "project": root.project, "run_type": root.run_type,
            "status": root.status, "start_us": root.start_us,
            "duration_us": None if root.end_us is None else root.end_us - root.start_us,
            "total_tokens": totals.get(root.trace_id, (0, 0, root.total_tokens, 0))[2],
            "cost": totals.get(root.trace_id, (0, 0, 0, root.cost))[3], "session_id": root.session_id,
        } for root in recent],
    }


def trace_context(spans: SpanStore, trace_id: str, span_id: str | None = None,
                  meta: MetaStore | None = None, can_see: Callable[[str], bool] = _everything) -> dict[str, Any]:
    """The trace page: waterfall, totals, the selected span (``?span=``) in the detail panel, and the
    datasets a run can be added to.

    The tree is read without payloads (the waterfall never shows them); only the selected span is read
    whole.

    Raises:
        NotFound: no such trace, or the span is not in it.
    """
    nodes = spans.get_trace_outline(trace_id.lower())
    if not nodes or not can_see(nodes[0].span.project):
        raise NotFound(f"no trace with id {trace_id}")
    view = trace_view(nodes, span_id)
    selected = spans.get_span(view["selected_id"])
    if selected is not None:
        view["selected"] = span_detail(selected)
    view["datasets"] = [] if meta is None else [dataset.name for dataset in meta.datasets.list_datasets()]
    return view


def span_context(spans: SpanStore, trace_id: str, span_id: str,
                 can_see: Callable[[str], bool] = _everything) -> dict[str, Any]:
    """The detail panel of one span, fetched when a waterfall row is clicked.

    Raises:
        NotFound: no such span in that trace.
    """
    span = spans.get_span(span_id.lower())
    if span is None or span.trace_id != trace_id.lower() or not can_see(span.project):
        raise NotFound(f"no span {span_id} in trace {trace_id}")
    return {"trace_id": span.trace_id, "selected": span_detail(span)}


def session_context(spans: SpanStore, session_id: str, project: str | None = None,
                    feedback: FeedbackStore | None = None) -> dict[str, Any]:
    """The session page: each turn's user message, answer, latency, tokens, cost, errors and feedback.

    Feedback is what was recorded on each turn's root run (user thumbs, evaluator scores), newest first.

    Raises:
        NotFound: no turns in that session.
    """
    turns = spans.session_turns(session_id, project)
    if not turns:
        raise NotFound(f"no session with id {session_id}")
    notes: dict[str, list[dict[str, Any]]] = {}
    if feedback is not None:
        for item in feedback.list_feedback(run_ids=[turn.root.id for turn in turns]):
            notes.setdefault(item.run_id, []).append({"key": item.key, "score": item.score, "value": item.value,
                                                      "comment": item.comment, "source": item.source})
    rows = []
    for number, turn in enumerate(turns, 1):
        root = turn.root
        rows.append({
            "turn": number, "trace_id": root.trace_id, "root_id": root.id, "name": root.name,
            "project": root.project, "user_id": root.user_id, "status": root.status, "start_us": root.start_us,
            "duration_us": None if root.end_us is None else root.end_us - root.start_us,
            "start_time": iso(root.start_us), "end_time": iso(root.end_us), "latency_s": root.latency_s,
            "user_message": user_message(root.inputs), "answer": answer(root.outputs),
            "inputs": root.inputs, "outputs": root.outputs, "error": root.error,
            "span_count": turn.span_count, "error_count": turn.error_count,
            "total_tokens": turn.total_tokens, "cost": turn.cost, "feedback": notes.get(root.id, []),
        })
    first, last = turns[0].root, turns[-1].root
    return {
        "session_id": session_id,
        "project": project or first.project,
        "user_id": next((turn.root.user_id for turn in turns if turn.root.user_id), None),
        "start_us": first.start_us,
        "duration_us": None if last.end_us is None else last.end_us - first.start_us,
        "turn_count": len(rows),
        "total_tokens": sum(turn.total_tokens for turn in turns),
        "cost": sum(turn.cost for turn in turns),
        "error_count": sum(turn.error_count for turn in turns),
        "turns": rows,
    }
