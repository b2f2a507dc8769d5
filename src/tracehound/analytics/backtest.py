"""Backtest: run the alert rules over stored history, as if the evaluator had watched it happen.

    episodes = backtest(store, rules, start_us=t0, end_us=t1, step_us=60_000_000)
    [(e.rule_id, e.key, e.start_us, e.end_us) for e in episodes]

The evaluator judges spans as they arrive, at the current time, so a backfill or last week's incident
never fires a live alert. A backtest walks the range in steps: at each step it hands the evaluator
the spans that ended since the previous one and asks every rule for its breaches *at that moment*.
Consecutive breaching steps of one (rule, key) make an episode. Nothing is written: alert states,
history and notifications are untouched. Cost is one metrics query per windowed rule and step, so
keep ranges to hours, or raise the step.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tracehound.analytics.evaluator import Evaluator
from tracehound.analytics.metrics import parse_duration_us
from tracehound.analytics.rules import Rule
from tracehound.errors import QueryError
from tracehound.store.base import SpanStore

MAX_STEPS = 5000


@dataclass
class Episode:
    """One rule breached for one key from ``start_us`` to ``end_us`` (the last breaching step)."""

    rule_id: str
    kind: str
    key: str
    start_us: int
    end_us: int
    peak: float
    message: str
    traces: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def backtest(spans: SpanStore, rules: list[Rule], *, start_us: int, end_us: int, step_us: int,
             models: dict[str, int] | None = None) -> list[Episode]:
    """Breach episodes of ``rules`` between ``start_us`` and ``end_us``, judged every ``step_us``.

    Raises:
        QueryError: an empty range, or more than ``MAX_STEPS`` steps.
    """
    if end_us <= start_us or step_us <= 0:
        raise QueryError("a backtest needs start < end and a positive step", field="start")
    if (end_us - start_us) // step_us > MAX_STEPS:
        raise QueryError(f"more than {MAX_STEPS} steps: raise the step or shorten the range", field="step")
    evaluator = Evaluator(spans, None, file_rules=rules, models=models)  # type: ignore[arg-type]  # no state kept
    lookback = max((parse_duration_us(rule.param("window")) for rule in rules), default=0)
    rows = spans.analytics.spans_ended_between(start_us - lookback, end_us)
    open_: dict[tuple[str, str], Episode] = {}
    done: list[Episode] = []
    index, at = 0, start_us
    while at <= end_us:
        first = index
        while index < len(rows) and rows[index].end_us <= at:  # type: ignore[operator]
            index += 1
        if index > first:
            evaluator._observe(rules, rows[first:index], at)
        breached: set[tuple[str, str]] = set()
        for rule in rules:
            for key, breach in evaluator._breaches(rule, at).items():
                breached.add((rule.id, key))
                episode = open_.get((rule.id, key))
                if episode is None:
                    open_[(rule.id, key)] = Episode(rule.id, rule.kind, key, at, at, breach.value, breach.message,
                                                    list(breach.traces[:20]))
                else:
                    episode.end_us = at
                    if breach.value > episode.peak:
                        episode.peak, episode.message = breach.value, breach.message
        for ended in [k for k in open_ if k not in breached]:
            done.append(open_.pop(ended))
        at += step_us
    done.extend(open_.values())
    return sorted(done, key=lambda e: (e.start_us, e.rule_id, e.key))
