"""``evaluate()`` on the embedded store: tracing into the experiment, scores as feedback, failures, concurrency."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import tracehound
from tracehound.evals.evaluators import exact_match
from tracehound.store.base import NewExample
from tracehound.store.sqlite import SqliteFeedbackStore, SqliteMetaStore, SqliteSpanStore
from tracehound.store.sqlite.connection import db_path


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[str]:
    directory = str(tmp_path / "store")
    tracehound.configure(data_dir=directory, batch_interval_ms=10)
    meta = SqliteMetaStore(db_path(directory))
    dataset = meta.datasets.create_dataset("capitals")
    meta.datasets.add_examples(dataset.id, [
        NewExample({"country": "France"}, {"answer": "Paris"}, splits=["smoke"]),
        NewExample({"country": "Italy"}, {"answer": "Rome"}, splits=["smoke"]),
        NewExample({"country": "Spain"}, {"answer": "Madrid"}),
        NewExample({"country": "Atlantis"}, {"answer": "?"}),
    ])
    meta.close()
    yield directory
    tracehound.shutdown()


CAPITALS = {"France": "Paris", "Italy": "Rome", "Spain": "Madrid"}


@tracehound.traceable(run_type="tool")
def lookup(country: str) -> str:
    if country == "Atlantis":
        raise KeyError("no such country")
    return CAPITALS[country]


def answer(country: str) -> dict[str, str]:
    return {"answer": lookup(country)}


def test_an_experiment_is_traced_scored_and_stored(data_dir: str) -> None:
    results = tracehound.evaluate(answer, data="capitals", evaluators=[exact_match("answer")],
                                  experiment_prefix="capitals-v1", metadata={"git_sha": "abc123"})
    assert len(results) == 4
    assert results.summary["passed"] == 3 and results.summary["target_errors"] == 1
    assert results.summary["metrics"]["pass_rate"] == 0.75
    failed = next(row for row in results if row.result.error)
    assert failed.example.inputs == {"country": "Atlantis"} and "KeyError" in failed.result.error
    experiment = results.experiment
    assert experiment.name.startswith("capitals-v1-") and experiment.project == experiment.name
    assert experiment.dataset_version == 1 and experiment.metadata["git_sha"] == "abc123"
    assert experiment.ended_us is not None and experiment.summary == results.summary

    spans = SqliteSpanStore(db_path(data_dir))
    meta = SqliteMetaStore(db_path(data_dir))
    feedback = SqliteFeedbackStore(db_path(data_dir))
    try:
        for row in results:
            tree = spans.get_trace(row.run.trace_id)
            root, children = tree[0].span, [node.span for node in tree[1:]]
            assert root.project == experiment.project and root.reference_example_id == row.example.id
            assert root.inputs == row.example.inputs and "tracehound:experiment" in root.tags
            assert [child.name for child in children] == ["lookup"] and children[0].project == experiment.project
            assert [s.name for s in row.run.spans] == ["lookup", "answer"]  # evaluators saw the whole trace
        stored = meta.experiments.list_results(experiment.id)
        assert sorted(r.passed for r in stored) == [False, True, True, True]
        scores = feedback.list_feedback(key="exact_match")
        assert len(scores) == 3 and {f.source for f in scores} == {"evaluator"}
        assert {f.run_id for f in scores} == {r.run_id for r in stored if r.error is None}
        assert {p.name for p in meta.list_projects()} >= {experiment.project}
    finally:
        spans.close()
        meta.close()
        feedback.close()


def test_a_raising_evaluator_fails_its_example_and_the_experiment_goes_on(data_dir: str) -> None:
    def picky(run, example):
        if example.inputs["country"] == "Italy":
            raise RuntimeError("evaluator bug")
        return True

    results = tracehound.evaluate(answer, data="capitals", evaluators=[picky, exact_match("answer")], split="smoke")
    by_country = {row.example.inputs["country"]: row.result for row in results}
    assert by_country["France"].passed and by_country["France"].scores == {"picky": 1.0, "exact_match": 1.0}
    italy = by_country["Italy"]
    assert not italy.passed and italy.errors == {"picky": "RuntimeError: evaluator bug"}
    assert italy.scores == {"exact_match": 1.0}


def test_concurrency_is_bounded_for_threads(data_dir: str) -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def slow(inputs):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return inputs

    examples = [{"inputs": {"n": n}, "outputs": {"n": n}} for n in range(12)]
    results = tracehound.evaluate(slow, data=examples, evaluators=[exact_match()], max_concurrency=3)
    assert peak == 3 and results.pass_rate == 1.0 and results.experiment.dataset_id is None


def test_async_targets_and_evaluators_with_repetitions(data_dir: str) -> None:
    running, peak = 0, 0

    async def target(country: str) -> str:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        return CAPITALS.get(country, "unknown")

    async def is_capital(run, example):
        await asyncio.sleep(0)
        return {"key": "capital", "score": float(run.outputs["output"] == example.outputs["answer"])}

    results = tracehound.evaluate(target, data="capitals", evaluators=[is_capital], max_concurrency=2,
                                  repetitions=2)
    assert len(results) == 8 and peak == 2
    assert results.summary["examples"] == 4 and results.summary["metrics"]["capital"] == 0.75
    assert sorted({row.result.repetition for row in results}) == [0, 1]


def test_to_pandas_when_pandas_is_installed(data_dir: str) -> None:
    results = tracehound.evaluate(answer, data="capitals", evaluators=[exact_match("answer")], split="smoke")
    assert [r["score.exact_match"] for r in results.records()] == [1.0, 1.0]
    pandas = pytest.importorskip("pandas")
    frame = results.to_pandas()
    assert isinstance(frame, pandas.DataFrame) and list(frame["passed"]) == [True, True]


def test_bad_arguments_and_unknown_datasets(data_dir: str) -> None:
    from tracehound.errors import NotFound

    with pytest.raises(ValueError):
        tracehound.evaluate(answer, data="capitals", max_concurrency=0)
    with pytest.raises(NotFound):
        tracehound.evaluate(answer, data="nope")
