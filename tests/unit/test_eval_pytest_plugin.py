"""Eval cases as tests: ``eval_cases`` for parametrize, ``check_example`` failing with the reasons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import tracehound
from tracehound.evals.evaluators import exact_match, tool_call_correct
from tracehound.evals.pytest_plugin import check_example, eval_cases


@pytest.fixture(autouse=True)
def local(tmp_path: Path) -> Iterator[None]:
    tracehound.configure(data_dir=str(tmp_path), batch_interval_ms=10)
    yield
    tracehound.shutdown()


@tracehound.traceable(run_type="tool")
def search_policy(topic: str) -> str:
    return {"refund": "5 days"}.get(topic, "")


def answer(question: str) -> dict[str, str]:
    return {"answer": search_policy("refund") if "refund" in question else "?"}


CASES = eval_cases([
    {"inputs": {"question": "refund?"}, "outputs": {"answer": "5 days"}, "metadata": {"name": "refund"}},
    {"inputs": {"question": "shipping?"}, "outputs": {"answer": "?"}, "metadata": {"name": "shipping"}},
])


@pytest.mark.parametrize("example", CASES)
def test_cases_run_as_tests(example) -> None:
    row = check_example(answer, example, [exact_match("answer")])
    assert row.result.passed


def test_a_failing_case_says_why() -> None:
    assert [case.id for case in CASES] == ["refund", "shipping"]
    with pytest.raises(AssertionError, match=r"tool_call_correct: score 0.0 \(missing or out of order: search"):
        check_example(answer, CASES[1].values[0], [exact_match("answer"), tool_call_correct(["search_policy"])])
    with pytest.raises(AssertionError, match="target raised ZeroDivisionError"):
        check_example(lambda inputs: 1 / 0, {"inputs": {"x": 1}}, [])
