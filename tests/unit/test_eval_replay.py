"""Replay: re-run a function on a stored run's inputs; match, deterministic difference, or variance."""

from __future__ import annotations

import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.spans import span
from tracehound.cli import main
from tracehound.model import Span
from tracehound.store.base import SpanCriteria
from tracehound.store.sqlite import SqliteSpanStore
from tracehound.store.sqlite.connection import db_path

TARGETS = textwrap.dedent('''
    import itertools
    _counter = itertools.count()

    def double(x):
        return x * 2

    def wrong(x):
        return x * 3

    def flaky(x):
        n = next(_counter)
        if n % 3 == 2:
            raise TimeoutError("upstream")
        return x * 2 if n % 3 == 0 else x * 5
''')


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    module = f"replay_targets_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(TARGETS)
    monkeypatch.syspath_prepend(str(tmp_path))
    data = tmp_path / "data"
    store = SqliteSpanStore(db_path(data))
    original = Span(**span(project="prod", name="double", inputs={"x": 2}, outputs={"output": 4}))
    store.upsert([original])
    store.close()
    return module, str(data), original.id


def test_a_replay_that_matches_is_traced_and_linked(setup: tuple[str, str, str]) -> None:
    module, data, run_id = setup
    result = CliRunner().invoke(main, ["replay", run_id, "--target", f"{module}:double", "--data-dir", data])
    assert result.exit_code == 0, result.output
    assert "every output matches the original" in result.output
    store = SqliteSpanStore(db_path(data))
    replays = store.list_spans(SpanCriteria(project="prod-replay"))
    store.close()
    assert len(replays) == 1 and replays[0].metadata["replay_of"] == run_id
    assert replays[0].inputs == {"x": 2} and "tracehound:replay" in replays[0].tags


def test_deterministic_difference_and_variance(setup: tuple[str, str, str]) -> None:
    module, data, run_id = setup
    wrong = CliRunner().invoke(main, ["replay", run_id, "--target", f"{module}:wrong", "--times", "3",
                                      "--data-dir", data])
    assert "the same output every time, different from the original (deterministic)" in wrong.output
    flaky = CliRunner().invoke(main, ["replay", run_id, "--target", f"{module}:flaky", "--times", "6",
                                      "--data-dir", data])
    assert flaky.exit_code == 0, flaky.output
    assert "3 distinct outcomes, 2 matching the original (variance)" in flaky.output
    assert "2x error: TimeoutError: upstream" in flaky.output


def test_unknown_runs_and_targets(setup: tuple[str, str, str]) -> None:
    module, data, _ = setup
    missing = CliRunner().invoke(main, ["replay", str(uuid.uuid4()), "--target", f"{module}:double",
                                        "--data-dir", data])
    assert missing.exit_code == 1 and "no run with id" in missing.output
    bad = CliRunner().invoke(main, ["replay", str(uuid.uuid4()), "--target", "nope", "--data-dir", data])
    assert bad.exit_code == 2 and "module:function" in bad.output
