"""The review loop in a server: online rules and pools fed by ingest commits and by feedback.

``Loop.notify`` is an ingest commit hook: it picks the roots that ended and offers them to the online
worker pool and the pool filler (both bounded, both drop-and-count, neither blocks the writer).
``Loop.on_feedback`` sends thumbs-down and low CSAT to failure pools; failing online verdicts go there
too, as ``online_flag``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Final

from tracehound.analytics.online import OnlineRule, rule_from_dict, sampled
from tracehound.analytics.online_worker import EndedRoot, OnlineEvaluation
from tracehound.analytics.pools import PoolFiller, ended_roots
from tracehound.errors import ConfigError, NotFound
from tracehound.model import Span
from tracehound.store.base import Feedback

_RULES_TTL_S: Final = 2.0


def negative(item: Feedback) -> bool:
    """A user's thumbs down (score below 0.5) or a CSAT of 2 or less out of 5."""
    if item.score is None or item.source.startswith("online:"):
        return False
    if item.key.lower() == "csat":
        return item.score <= 2
    return item.score < 0.5


class Loop:
    """Online rules (file + API), the online worker pool and the pool filler of one server."""

    def __init__(self, spans: Any, meta: Any, feedback: Any, *, file_rules: Sequence[dict[str, Any]] = (),
                 settings: Any = None, workers: int = 2, queue_limit: int = 1000) -> None:
        self.spans, self.meta, self.feedback, self.settings = spans, meta, feedback, settings
        try:
            self.file_rules = [rule_from_dict(item, source="file") for item in file_rules]
        except Exception as exc:
            raise ConfigError(f"rules file [[online]]: {exc}", setting="TRACEHOUND_ALERT_RULES_FILE") from None
        self._cached: tuple[float, list[OnlineRule]] = (0.0, [])
        self.online = OnlineEvaluation(spans, _FlaggingFeedback(feedback, self), self.rules, settings=settings,
                                       workers=workers, queue_limit=queue_limit)
        self.pools = PoolFiller(spans, meta.reviews, settings=settings, queue_limit=queue_limit)

    def start(self) -> None:
        self.online.start()
        self.pools.start()

    def stop(self) -> None:
        self.online.stop()
        self.pools.stop()

    def rules(self) -> list[OnlineRule]:
        """File rules then API rules (re-read at most every 2 s, so a new rule applies at once)."""
        at, rules = self._cached
        if time.monotonic() - at > _RULES_TTL_S:
            stored = [rule_from_dict(item) for item in self.meta.online.online_rules()]
            rules = [*self.file_rules, *stored]
            self._cached = (time.monotonic(), rules)
        return rules

    def invalidate(self) -> None:
        self._cached = (0.0, [])
        self.pools.invalidate()

    # Hooks ------------------------------------------------------------------------------------
    def notify(self, spans: Sequence[Span]) -> None:
        """Ingest commit hook: never blocks, never raises into the writer."""
        roots = ended_roots(spans)
        if roots:
            self.online.offer(roots)
            self.pools.offer(roots)

    def on_feedback(self, items: Sequence[Feedback]) -> None:
        bad = [(item.run_id, item.trace_id) for item in items if negative(item)]
        if bad:
            self.pools.add("negative_feedback", None, bad)

    def on_detector(self, result: Any) -> None:
        """A scheduled detector's result: its evidence traces go to failure pools taking ``detector``; the
        worst sessions also go to the ``TRACEHOUND_WORST_SESSIONS_QUEUE`` annotation queue."""
        traces = list(dict.fromkeys(t for finding in result.findings for t in finding.traces))
        if not traces:
            return
        self.pools.add("detector", None, [(None, t) for t in traces])
        queue_name = getattr(self.settings, "worst_sessions_queue", None)
        if result.detector == "worst_sessions" and queue_name:
            feed_worst_sessions(self, queue_name, traces)

    def drain(self, timeout_s: float = 30.0) -> bool:
        return self.online.drain(timeout_s) and self.pools.drain(timeout_s)


class _FlaggingFeedback:
    """The feedback store as the online worker sees it: failing verdicts also go to failure pools."""

    def __init__(self, feedback: Any, loop: Loop) -> None:
        self._feedback, self._loop = feedback, loop

    def add_feedback(self, items: Sequence[Feedback]) -> None:
        self._feedback.add_feedback(items)
        flagged = [(i.run_id, i.trace_id) for i in items
                   if isinstance(i.value, dict) and i.value.get("passed") is False]
        if flagged:
            self._loop.pools.add("online_flag", None, list(dict.fromkeys(flagged)))


def feed_worst_sessions(loop: Loop, queue_name: str, traces: Sequence[str]) -> int:
    """Queue the worst sessions' evidence turns for review (the queue is created on first use)."""
    from tracehound.analytics.pools import trace_root
    from tracehound.evals.review import create_queue
    from tracehound.store.review import QueueItem
    from tracehound.timefmt import now_us

    reviews = loop.meta.reviews
    queue = reviews.get_queue(queue_name) or create_queue(
        reviews, name=queue_name, description="The worst 0.5% of sessions, fed by the worst_sessions detector",
        rubric=[{"key": "correct", "values": ["pass", "fail"]}])
    stamp = now_us()
    roots = [root for root in (trace_root(loop.spans, t) for t in traces) if root is not None]
    return int(reviews.add_queue_items([QueueItem(queue.id, r.id, r.trace_id, stamp, source="worst_sessions")
                                        for r in roots]))


def rule_by_id(loop: Loop, rule_id: str) -> OnlineRule:
    """Raises ``NotFound``."""
    for rule in loop.rules():
        if rule.id == rule_id:
            return rule
    raise NotFound(f"no online rule {rule_id}")


def backfill(loop: Loop, rule: OnlineRule, start_us: int, end_us: int, limit: int) -> dict[str, Any]:
    """Evaluate the rule now on the sampled, matching roots that started in ``[start_us, end_us)``."""
    from tracehound.query.runs import RunQuery, list_runs
    from tracehound.timefmt import iso

    seen = evaluated = verdicts = 0
    cursor = None
    while evaluated < limit:
        page = list_runs(loop.spans, RunQuery(
            project=rule.project, is_root=True, filter=rule.filter, start_time=iso(start_us), end_time=iso(end_us),
            select=["id", "trace_id", "project", "session_id", "start_time", "end_time"], limit=500, cursor=cursor))
        for run in page.runs:
            seen += 1
            if run["end_time"] is None or not sampled(rule, run["session_id"], run["trace_id"]):
                continue
            from tracehound.timefmt import parse_iso_us

            root = EndedRoot(run["id"], run["trace_id"], run["project"], run["session_id"],
                             parse_iso_us(run["start_time"]))
            verdicts += len(loop.online.evaluate(rule, root))
            evaluated += 1
            if evaluated >= limit:
                break
        cursor = page.cursor
        if cursor is None:
            break
    return {"rule": rule.id, "roots_seen": seen, "evaluated": evaluated, "verdicts": verdicts,
            "sample_rate": rule.sample_rate}
