"""``tracehound serve --spans URL --meta URL``: a real server on the stores the URLs name, not the data dir."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from tests.spans import tree
from tracehound.testing import running_server


def test_serve_puts_spans_and_meta_where_the_urls_say(tmp_path: Path) -> None:
    spans_file, meta_file, data_dir = tmp_path / "spans.db", tmp_path / "meta.db", tmp_path / "data"
    batch = tree(3, project="scaled")
    args = ("--spans", f"sqlite://{spans_file}", "--meta", f"sqlite://{meta_file}")
    with running_server(data_dir, args=args) as port, httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        assert client.post("/api/v1/spans", json={"spans": batch}).status_code == 200
        trace = client.get(f"/api/v1/traces/{batch[0]['trace_id']}").json()
        assert len(trace["spans"]) == 3
        runs = client.post("/api/v1/runs/query", json={"project": "scaled", "filter": 'eq(run_type, "tool")'})
        assert len(runs.json()["runs"]) == 2
    with sqlite3.connect(spans_file) as spans, sqlite3.connect(meta_file) as meta:
        assert spans.execute("SELECT count(*) FROM spans").fetchone() == (3,)
        assert meta.execute("SELECT count(*) FROM spans").fetchone() == (0,)
        assert meta.execute("SELECT name FROM projects").fetchall() == [("scaled",)]
        assert spans.execute("SELECT count(*) FROM projects").fetchone() == (0,)
    assert not (data_dir / "tracehound.db").exists(), "the data dir's file is not used when URLs name the stores"
