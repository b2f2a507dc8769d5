"""The review loop's pure parts: rule parsing, sampling, baselines, drift statistics, agreement, charts."""

from __future__ import annotations

import math

import pytest

from tracehound.analytics import baseline, drift, online
from tracehound.analytics.loop_alerts import windows
from tracehound.errors import QueryError
from tracehound.evals import review
from tracehound.store.base import Feedback, Verdict
from tracehound.store.review import Annotation, PoolMember
from tracehound.ui.rate_chart import rate_chart

DAY = 86_400_000_000


@pytest.mark.parametrize(("body", "field"), [
    ({"id": "", "evaluators": [{"name": "no_errors"}]}, "id"),
    ({"id": "a:b", "evaluators": [{"name": "no_errors"}]}, "id"),
    ({"id": "r", "evaluators": []}, "evaluators"),
    ({"id": "r", "evaluators": [{"name": "nope"}]}, "evaluators[0].name"),
    ({"id": "r", "evaluators": [{"name": "step_budget", "max_step": 3}]}, "evaluators[0].max_step"),
    ({"id": "r", "evaluators": [{"name": "judge"}]}, "evaluators[0].rubric"),
    ({"id": "r", "evaluators": [{"name": "no_errors"}, {"name": "no_errors"}]}, "evaluators[1].key"),
    ({"id": "r", "sample_rate": 1.5, "evaluators": [{"name": "no_errors"}]}, "sample_rate"),
    ({"id": "r", "sample_rate": True, "evaluators": [{"name": "no_errors"}]}, "sample_rate"),
    ({"id": "r", "filter": "eq(name", "evaluators": [{"name": "no_errors"}]}, "filter"),
    ({"id": "r", "color": "red", "evaluators": [{"name": "no_errors"}]}, "color"),
])
def test_a_bad_online_rule_names_what_is_wrong(body: dict, field: str) -> None:
    with pytest.raises(QueryError) as caught:
        online.rule_from_dict(body)
    assert caught.value.field == field


def test_an_online_rule_samples_whole_sessions_at_its_rate() -> None:
    rule = online.rule_from_dict({"id": "r", "sample_rate": 0.2, "evaluators": [{"name": "no_errors"}]})
    picked = [s for s in range(5000) if online.sampled(rule, f"session-{s}", "t")]
    assert 850 < len(picked) < 1150  # 20% of sessions, by hash
    assert all(online.sampled(rule, f"session-{s}", f"other-trace-{s}") for s in picked[:50])  # same session: same
    assert online.sampled(online.OnlineRule("x", sample_rate=1.0), None, "t")
    assert not online.sampled(online.OnlineRule("x", sample_rate=0.0), None, "t")


def test_the_evaluator_version_follows_its_parameters_and_the_judge_model() -> None:
    spec = {"name": "judge", "rubric": "be right"}
    assert online.evaluator_version(spec, "m-2024-01-01") != online.evaluator_version(spec, "m-2025-01-01")
    assert online.evaluator_version({"name": "step_budget", "max_steps": 3}) != online.evaluator_version(
        {"name": "step_budget", "max_steps": 4})
    assert online.evaluator_version(spec, "m") == online.evaluator_version(dict(spec), "m")


def test_wilson_interval_is_sound_at_the_edges() -> None:
    assert baseline.wilson(0, 0) is None
    low, high = baseline.wilson(0, 10)  # type: ignore[misc]
    assert low == 0.0 and 0.2 < high < 0.35
    low, high = baseline.wilson(5, 10)  # type: ignore[misc]
    assert math.isclose(low + high, 1.0) and low < 0.5 < high


def test_compare_flags_only_a_significant_rise() -> None:
    base = baseline.Rate(400, 20, None)  # 5%
    assert baseline.compare(base, baseline.Rate(100, 20, None)).above  # 20%: z ≈ 4.6
    assert not baseline.compare(base, baseline.Rate(100, 7, None)).above  # 7%: noise
    assert not baseline.compare(base, baseline.Rate(10, 3, None), min_runs=20).above  # too few runs
    assert not baseline.compare(baseline.Rate(0, 0, None), baseline.Rate(100, 50, None)).above  # no baseline


def test_series_buckets_verdicts_and_keeps_empty_buckets() -> None:
    verdicts = [Verdict("r1", "t1", "k", 100, 1.0, True), Verdict("r2", "t2", "k", 150, 0.0, False),
                Verdict("r3", "t3", "k", 350, 0.0, False)]
    rows = baseline.series(verdicts, 100, 400, 100)
    assert [(r["start_us"], r["n"], r["flagged"]) for r in rows] == [(100, 2, 1), (200, 0, 0), (300, 1, 1)]
    assert rows[0]["rate"] == 0.5 and rows[1]["rate"] is None and rows[0]["mean_score"] == 0.5


def test_baseline_windows_anchor_on_the_latest_deploy() -> None:
    now = 100 * DAY
    (b_start, b_end), (c_start, c_end) = windows({"window": "1h", "baseline_days": 7}, now, None)
    assert (b_end, c_start, c_end) == (now - 3_600_000_000, now - 3_600_000_000, now) and b_end - b_start == 7 * DAY
    deploy = now - 600_000_000  # 10 minutes ago: "now" starts at the deploy, the baseline ends there
    (b_start, b_end), (c_start, _) = windows({"window": "1h", "baseline_days": 2}, now, deploy)
    assert (b_end, c_start, b_end - b_start) == (deploy, deploy, 2 * DAY)
    (b_start, b_end), _ = windows({"baseline_start": "2026-01-01T00:00:00Z", "baseline_end": "2026-01-02T00:00:00Z"},
                                  now, deploy)
    assert b_end - b_start == DAY


def _member(tools: dict[str, int], latency: float) -> PoolMember:
    return PoolMember("p", "r", "t", 0, 0, "sample", stats={"tools": tools, "latency_ms": latency, "tokens": 100})


def test_drift_statistics_see_a_changed_tool_mix_and_latency() -> None:
    assert drift.jensen_shannon(drift.Counter({"a": 5}), drift.Counter({"a": 9})) == 0.0
    assert math.isclose(drift.jensen_shannon(drift.Counter({"a": 1}), drift.Counter({"b": 1})), 1.0)
    assert drift.ks_statistic([1, 2, 3], [1, 2, 3]) == 0.0 and drift.ks_statistic([1, 2], [5, 6]) == 1.0
    before = [_member({"search": 2, "order": 1}, 100 + i) for i in range(30)]
    after = [_member({"search": 1, "refund": 3}, 400 + i) for i in range(30)]
    shifts = {s.statistic: s for s in drift.compare_windows(before, after)}
    assert shifts["tool_shares"].shifted and shifts["latency_ms"].shifted and not shifts["tokens"].shifted
    assert drift.compare_windows(before[:5], after) == []  # too few members to say anything


def _note(run: str, reviewer: str, label: object) -> Annotation:
    return Annotation(f"{run}{reviewer}", "q", run, reviewer, 0, {"correct": label})


def test_agreement_counts_pairs_of_reviewers() -> None:
    notes = [_note("r1", "a", "pass"), _note("r1", "b", "pass"), _note("r2", "a", "pass"), _note("r2", "b", "fail"),
             _note("r3", "a", "fail")]
    (row,) = review.agreement(notes)
    assert (row.items, row.pairs, row.agreeing_pairs, row.rate, row.disagreements) == (2, 2, 1, 0.5, ["r2"])


def test_judge_calibration_flags_a_judge_that_disagrees_with_people() -> None:
    notes = [_note(f"r{i}", "a", "pass" if i % 2 else "fail") for i in range(12)]
    agreeing = [Feedback(f"f{i}", f"r{i}", "judge", 0, value={"passed": bool(i % 2)}) for i in range(12)]
    contrary = [Feedback(f"f{i}", f"r{i}", "judge", 0, value={"passed": i < 6}) for i in range(12)]
    good = review.judge_agreement(agreeing, notes, judge_key="judge", label_key="correct")
    bad = review.judge_agreement(contrary, notes, judge_key="judge", label_key="correct")
    assert (good.n, good.agreement, good.retire) == (12, 1.0, False)
    assert bad.agreement == 0.5 and bad.retire


def test_rate_chart_places_the_rate_band_baseline_and_deploys() -> None:
    rows = [{"start_us": 0, "n": 10, "flagged": 1, "rate": 0.1, "low": 0.02, "high": 0.4},
            {"start_us": 100, "n": 0, "flagged": 0, "rate": None, "low": None, "high": None},
            {"start_us": 200, "n": 10, "flagged": 5, "rate": 0.5, "low": 0.2, "high": 0.8}]
    chart = rate_chart(rows, 0, 300, baseline={"rate": 0.1, "low": 0.05, "high": 0.2},
                       deploys=[{"at_us": 150, "version": "v2"}, {"at_us": 900, "version": "later"}])
    assert chart.top == 1.0 and [p["x"] for p in chart.points] == [16.67, 83.33]
    assert chart.points[1]["y"] == 50.0 and chart.baseline == (90.0, 80.0, 95.0)
    assert chart.markers == [{"x": 50.0, "label": "v2"}]
