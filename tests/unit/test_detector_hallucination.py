"""hallucination: URLs, prices and names outside the user's lists are flagged for review; known ones are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.detector_data import ago, open_store, turn
from tracehound.analytics import detectors
from tracehound.errors import QueryError

LISTS = {"urls": ["https://help.shop.example/", "docs.shop.example"], "prices": ["19.99", "$249.00"],
         "names": ["Maria Lopez", "Sam Chen"]}


def _answer(store, text: str) -> str:  # type: ignore[no-untyped-def]
    spans = turn(ago(1), [{"run_type": "llm", "name": "answer", "outputs": {"content": text}}])
    store.upsert(spans)
    return spans[0].trace_id


def test_flags_unknown_urls_prices_and_names(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    bad = _answer(store, "See https://help.shop.example.fake.io/returns. The Pro plan is $299.00 and"
                         " Jordan Blake from billing will call you.")
    result = detectors.run("hallucination", store, {"window": "2h", **LISTS})
    assert {f.key for f in result.findings} == {"url:https://help.shop.example.fake.io/returns", "price:299.00",
                                                "name:Jordan Blake"}
    assert all(f.traces == [bad] for f in result.findings)


def test_quiet_on_answers_inside_the_lists(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    _answer(store, "Thank you! See https://help.shop.example/returns and https://docs.shop.example/api. The case"
                   " costs $19.99, the Pro plan 249 USD; Maria Lopez or Sam Chen from Customer Support will call.")
    result = detectors.run("hallucination", store, {"window": "2h", **LISTS})
    assert not result.fired and result.scanned == 1


def test_lists_are_needed_and_parameters_checked(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    assert "no lists" in detectors.run("hallucination", store, {}).summary
    with pytest.raises(QueryError) as info:
        detectors.run("hallucination", store, {"colour": "red"})
    assert info.value.field == "colour"
