"""The alert evaluator: a thread woken after each ingest commit, off the acknowledgement path.

Per-trace rules (loop, context_window, run_tokens, empty_retrieval) look at the spans just committed
(handed over by ``IngestPipeline.on_commit``) and remember offending traces for the rule's window;
windowed rules (error_rate, latency_regression, threshold) read the rollups at most every
``interval_s``. Each rule yields breaches per key, fed to the state machine in ``alerts``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, OrderedDict, defaultdict, deque
from typing import Any

from tracehound.analytics import metrics
from tracehound.analytics.alerts import AlertState, AlertStore, Breach, silenced, step
from tracehound.analytics.channels import deliver
from tracehound.analytics.metrics import Window, parse_duration_us
from tracehound.analytics.rules import Rule, context_window
from tracehound.model import Span
from tracehound.store.base import SpanStore
from tracehound.timefmt import now_us

log = logging.getLogger("tracehound.alerts")
MAX_TRACKED_TRACES = 50_000


def is_empty_output(value: Any) -> bool:
    """A retriever returned nothing: no output, or only empty lists/strings/nulls in it."""
    if value is None or value in ("", [], {}):
        return True
    if isinstance(value, dict):
        return all(v is None or v in ("", [], {}) for v in value.values())
    return False


class _TraceTally:
    __slots__ = ("tokens", "tools")

    def __init__(self) -> None:
        self.tools: dict[str, str] = {}  # span id → tool name
        self.tokens: dict[str, int] = {}  # span id → LLM tokens


class Evaluator:
    """Evaluates rules continuously; ``notify(spans)`` is the pipeline's commit hook."""

    def __init__(self, spans: SpanStore, alerts: AlertStore, *, file_rules: list[Rule] | None = None,
                 models: dict[str, int] | None = None, interval_s: float = 5.0, public_url: str = "") -> None:
        self.spans, self.alerts = spans, alerts
        self.file_rules = list(file_rules or [])
        self.models = dict(models or {})
        self.interval_s = interval_s
        self.public_url = public_url.rstrip("/")
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._events: dict[tuple[str, str], deque[tuple[int, str]]] = defaultdict(deque)  # (rule, key) → (at, trace)
        self._retrievals: dict[str, deque[tuple[int, bool, str]]] = defaultdict(deque)
        self._baselines: dict[str, tuple[int, float | None]] = {}
        # Per recent trace, what its committed spans add up to: tool names (for loops) and LLM tokens (for
        # run_tokens), keyed by span id so a re-sent or merged span counts once. Kept in memory so a
        # commit costs no read of the store; the oldest traces are forgotten past MAX_TRACKED_TRACES.
        self._traces: OrderedDict[str, _TraceTally] = OrderedDict()
        self._last_windowed_us = 0
        self._evaluating = threading.Lock()  # the thread and POST /alerts/evaluate must not both step a state
        # Windowed kinds evaluated elsewhere (the review loop's online_rate and drift): kind → (rule, now) → breaches.
        self.extra_kinds: dict[str, Any] = {}
        self.evaluations = 0

    # Lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tracehound-alerts", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout_s)
            self._thread = None

    def notify(self, spans: list[Span]) -> None:
        """Commit hook: hand the committed spans to the evaluator thread (never blocks, never raises)."""
        self._queue.put(spans)

    def rules(self) -> list[Rule]:
        return [rule for rule in [*self.file_rules, *self.alerts.rules()] if rule.enabled]

    # The thread -------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.interval_s)
            except queue.Empty:
                item = []
            batches = [item]
            while True:  # coalesce whatever else is waiting: one evaluation per wake-up
                try:
                    batches.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if any(batch is None for batch in batches):
                return
            try:
                self.evaluate([row for batch in batches for row in batch])
            except Exception:  # the evaluator must outlive any one bad rule or store hiccup
                log.exception("alert evaluation failed")

    def evaluate(self, rows: list[Span], at_us: int | None = None) -> list[dict[str, Any]]:
        """Feed newly committed spans to per-trace rules, evaluate every rule, advance states, notify."""
        with self._evaluating:
            return self._evaluate(rows, at_us)

    def _evaluate(self, rows: list[Span], at_us: int | None) -> list[dict[str, Any]]:
        now = now_us() if at_us is None else at_us
        rules = self.rules()
        if rows:
            self._observe(rules, rows, now)
        windowed_due = now - self._last_windowed_us >= self.interval_s * 1e6
        if windowed_due:
            self._last_windowed_us = now
        states = self.alerts.states()
        silences = self.alerts.silences(now)
        recorded = []
        for rule in rules:
            if (rule.kind in ("error_rate", "latency_regression", "threshold") or rule.kind in self.extra_kinds) \
                    and not windowed_due:
                continue
            breaches = self._breaches(rule, now)
            keys = set(breaches) | {key for (rule_id, key) in states if rule_id == rule.id}
            for key in keys:
                state = states.get((rule.id, key)) or AlertState(rule.id, key, since_us=now)
                transition = step(rule, state, breaches.get(key), now)
                if transition is None:
                    continue
                delivered = ""
                if transition.notify and silenced(silences, rule.id, key):
                    delivered = "silenced"
                elif transition.notify:
                    delivered = ",".join(deliver(channel, self._payload(transition, now)) for channel in
                                         (rule.channels or [{"type": "log"}]))
                recorded.append((transition, state, now, delivered))
        if recorded:
            self.alerts.record(recorded)
        self.evaluations += 1
        return [{"rule_id": t.rule.id, "key": t.key, "to": t.to_state} for t, _, _, _ in recorded]

    def _payload(self, transition: Any, now: int) -> dict[str, Any]:
        return {"rule_id": transition.rule.id, "kind": transition.rule.kind, "key": transition.key,
                "state": transition.to_state, "previous": transition.from_state, "value": transition.value,
                "message": transition.message, "at_us": now, "traces": transition.traces[:20],
                "trace_urls": [f"{self.public_url}/trace/{t}" for t in transition.traces[:20]]}

    # Per-trace rules: fed by committed spans -----------------------------------------------------
    def _observe(self, rules: list[Rule], rows: list[Span], now: int) -> None:
        kinds = {rule.kind for rule in rules}
        # Spans that ended before every rule's window (a backfill, a late batch) cannot breach anything now.
        oldest = now - max((parse_duration_us(rule.param("window")) for rule in rules), default=0)
        rows = [row for row in rows if row.end_us is None or row.end_us >= oldest]
        touched = self._tally(rows)
        if "loop" in kinds:
            for rule in (r for r in rules if r.kind == "loop"):
                for trace_id in touched:
                    tally = self._traces.get(trace_id)
                    for name, count in Counter(tally.tools.values() if tally else ()).items():
                        if count >= rule.param("threshold"):
                            self._event(rule, name, trace_id, now)
        for rule in (r for r in rules if r.kind == "context_window"):
            models = {**self.models, **(rule.param("models") or {})}
            for row in rows:
                size = context_window(row.model, models)
                tokens = row.prompt_tokens
                if size and tokens and tokens >= rule.param("threshold") * size:
                    self._event(rule, row.model, row.trace_id, now)  # type: ignore[arg-type]
        if "empty_retrieval" in kinds:
            for row in rows:
                if row.run_type == "retriever" and row.end_us is not None:
                    empty = is_empty_output(row.outputs)
                    self._retrievals[row.name].append((now, empty, row.trace_id))
        token_rules = [r for r in rules if r.kind == "run_tokens"]
        if token_rules:
            roots = [row for row in rows if row.parent_id is None and row.end_us is not None]
            for rule in token_rules:
                for row in roots:
                    tally = self._traces.get(row.trace_id)
                    self._check_run_tokens(rule, row, sum(tally.tokens.values()) if tally else 0, now)

    def _event(self, rule: Rule, key: str, trace_id: str, now: int) -> None:
        events = self._events[(rule.id, key)]
        if not any(trace == trace_id for _, trace in events):
            events.append((now, trace_id))

    def _tally(self, rows: list[Span]) -> set[str]:
        """Add committed tool and LLM spans to their trace's tally; returns the traces with new tool spans."""
        traces = self._traces
        touched: set[str] = set()
        for row in rows:
            run_type = row.run_type
            if run_type != "tool" and run_type != "llm":
                continue
            trace_id = row.trace_id
            tally = traces.get(trace_id)
            if tally is None:
                tally = traces[trace_id] = _TraceTally()
                if len(traces) > MAX_TRACKED_TRACES:
                    traces.popitem(last=False)
            if run_type == "tool":
                tally.tools[row.id] = row.name
                touched.add(trace_id)
            else:
                tally.tokens[row.id] = row.total_tokens or 0
        return touched

    def _check_run_tokens(self, rule: Rule, row: Span, tokens: int, now: int) -> None:
        trace_id, agent = row.trace_id, row.name
        cached = self._baselines.get(agent)
        if cached is None or now - cached[0] > 300e6:
            recent = self.spans.analytics.recent_run_tokens(agent, exclude_trace_id=trace_id,
                                                            since_us=now - 7 * 86_400_000_000,
                                                            limit=rule.param("baseline_runs"))
            p95 = None
            if len(recent) >= rule.param("min_baseline_runs"):
                recent.sort()
                p95 = float(recent[int(0.95 * (len(recent) - 1))])
            cached = self._baselines[agent] = (now, p95)
        baseline = cached[1]
        if baseline and tokens > rule.param("threshold") * baseline:
            self._event(rule, agent, trace_id, now)

    # Breaches ---------------------------------------------------------------------------------
    def _breaches(self, rule: Rule, now: int) -> dict[str, Breach]:
        if rule.kind in self.extra_kinds:
            return self.extra_kinds[rule.kind](rule, now)  # type: ignore[no-any-return]
        if rule.kind in ("online_rate", "drift"):
            return {}  # this server runs without the review loop
        window_us = parse_duration_us(rule.param("window"))
        if rule.kind in ("loop", "context_window", "run_tokens"):
            found = {}
            for (rule_id, key), events in self._events.items():
                if rule_id != rule.id:
                    continue
                while events and events[0][0] < now - window_us:
                    events.popleft()
                if events:
                    found[key] = Breach(len(events), f"{len(events)} trace(s) breached {rule.kind} for {key}"
                                        f" in the last {rule.param('window')}", [t for _, t in events])
            return found
        if rule.kind == "empty_retrieval":
            found = {}
            for name, calls in self._retrievals.items():
                while calls and calls[0][0] < now - window_us:
                    calls.popleft()
                empty = [trace for _, is_empty, trace in calls if is_empty]
                if len(calls) >= rule.param("min_calls") and len(empty) / len(calls) > rule.param("threshold"):
                    found[name] = Breach(len(empty) / len(calls), f"{len(empty)} of {len(calls)} {name} calls"
                                         " returned nothing", empty[-20:])
            return found
        window = Window(now - window_us, now)
        filters = {"run_type": rule.param("run_type")} if rule.param("run_type") else {}
        for key in ("name", "model", "status", "root"):
            if rule.param(key) is not None:
                filters[key] = rule.param(key)
        if rule.project:
            filters["project"] = rule.project
        groups = metrics.summary(self.spans, window, group_by=("name",), filters=filters)
        found = {}
        if rule.kind == "error_rate":
            for g in groups:
                if g["calls"] >= rule.param("min_calls") and g["error_rate"] > rule.param("threshold"):
                    found[g["name"]] = Breach(g["error_rate"], f"{g['name']} error rate {g['error_rate']:.1%}"
                                              f" over {g['calls']} calls", self._evidence(g["name"], window, True))
        elif rule.kind == "latency_regression":
            baseline = {g["name"]: g for g in metrics.summary(
                self.spans, Window(now - parse_duration_us(rule.param("baseline")), window.start_us),
                group_by=("name",), filters=filters)}
            for g in groups:
                base = baseline.get(g["name"])
                if (base and base["p95_ms"] and g["calls"] >= rule.param("min_calls")
                        and g["p95_ms"] > rule.param("threshold") * base["p95_ms"]):
                    found[g["name"]] = Breach(g["p95_ms"], f"{g['name']} p95 {g['p95_ms']:.1f} ms is"
                                              f" {g['p95_ms'] / base['p95_ms']:.1f}x its trailing p95",
                                              self._evidence(g["name"], window, False))
        else:
            op, limit, metric = rule.param("op"), rule.param("threshold"), rule.param("metric")
            compare = {">": float.__gt__, ">=": float.__ge__, "<": float.__lt__, "<=": float.__le__}[op]
            for g in groups:
                value = g.get(metric)
                if value is not None and g["calls"] >= rule.param("min_calls") and compare(float(value), limit):
                    found[g["name"]] = Breach(float(value), f"{g['name']} {metric} {value:.4g} {op} {limit}",
                                              self._evidence(g["name"], window, metric in ("errors", "error_rate")))
        return found

    def _evidence(self, name: str, window: Window, errors: bool) -> list[str]:
        return self.spans.analytics.evidence_traces(name, window.start_us, window.end_us, errors=errors, limit=10)


def wait_until(predicate: Any, timeout_s: float = 10.0) -> bool:
    """Poll ``predicate`` until it is true (tests and the CLI's ``--wait``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
