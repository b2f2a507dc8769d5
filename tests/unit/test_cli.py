"""The CLI in process (click's runner) over a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import tracehound
from tests.spans import new_id, tree
from tracehound.cli import main
from tracehound.model import Span
from tracehound.store.sqlite import SqliteSpanStore
from tracehound.store.sqlite.connection import db_path


def test_version() -> None:
    result = CliRunner().invoke(main, ["version"])
    assert result.exit_code == 0 and result.output.strip() == tracehound.__version__


def test_trace_prints_the_tree_with_timings(tmp_path: Path) -> None:
    spans = tree(3)
    spans[1].update(run_type="llm", prompt_tokens=100, completion_tokens=20, cost=0.0125)
    spans[2].update(error="TimeoutError: upstream took too long")
    store = SqliteSpanStore(db_path(tmp_path))
    store.upsert([Span(**data) for data in spans])
    store.close()
    result = CliRunner().invoke(main, ["trace", spans[0]["trace_id"], "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"trace {spans[0]['trace_id']}") and "(3 spans)" in lines[0]
    assert "agent" in lines[1] and lines[1].startswith("+      0.0 ms")
    assert "  tool_0" in lines[2] and "120 tok" in lines[2] and "$0.0125" in lines[2]
    assert "error: TimeoutError: upstream took too long" in lines[3]


def test_an_unknown_trace_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["trace", new_id(), "--data-dir", str(tmp_path)])
    assert result.exit_code == 1 and "no trace with id" in result.output


def test_a_bad_environment_value_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TRACEHOUND_PORT", "lots")
    result = CliRunner().invoke(main, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "TRACEHOUND_PORT" in result.output
