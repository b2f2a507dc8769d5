"""The full-text index over span payloads and metadata, kept off the ingest path.

Ingest never touches ``spans_fts``: committing a batch stays as fast as without search. Instead a
catch-up indexer follows the ``spans`` rowid (``seq``) with a high-water mark in
``spans_fts_state``, in chunks of a short transaction each so ingest interleaves between them. It runs
in the background (``start``) and, so that results are always complete, right before any query that
reads the index (``catch_up``).

The index is contentless (the text already lives, compressed, in ``spans``), and FTS5 can only
retract a contentless row given the exact text it indexed; so when an indexed span is updated (its
end arriving after its start) or deleted, triggers park its old blobs in ``spans_fts_dirty`` (see
migration 2) and the indexer retracts and re-indexes it.

    index = store.search_index
    index.catch_up()        # every committed span is searchable after this
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from tracehound.store.payload import payload_text

if TYPE_CHECKING:
    from tracehound.store.sqlite.spans import SqliteSpanStore

log = logging.getLogger(__name__)

CHUNK_ROWS: Final = 2000
# A query matching at least this many spans counts as common (see ``is_common``). Chosen near where
# the two plans cost the same at 1M spans: reading N matches and sorting them by time (~3 µs each)
# versus walking the time index and probing the index per span (~10-30 µs a probe, and a page of 50
# takes 50 / density probes): about 20,000 matches, where either costs ~60 ms.
COMMON_MATCHES: Final = 20_000
MERGE_PAGES: Final = 500
_INSERT = "INSERT INTO spans_fts (rowid, inputs, outputs, error, metadata) VALUES (?, ?, ?, ?, ?)"
_RETRACT = ("INSERT INTO spans_fts (spans_fts, rowid, inputs, outputs, error, metadata)"
            " VALUES ('delete', ?, ?, ?, ?, ?)")


def _document(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """(seq, inputs, outputs, error, metadata) as stored → the text the index holds for it."""
    seq, inputs, outputs, error, metadata = row
    return seq, payload_text(inputs), payload_text(outputs), payload_text(error), metadata or ""


class SearchIndex:
    """Catch-up indexer for ``spans_fts``; safe to call from any thread."""

    def __init__(self, store: SqliteSpanStore, *, chunk_rows: int = CHUNK_ROWS):
        self.store = store
        self.chunk_rows = chunk_rows
        self._catch_up_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def pending(self) -> int:
        """Spans not yet (re-)indexed."""
        # max(seq) can fall below the mark when the newest spans are deleted: count those as 0 behind.
        (behind,) = self.store.read_sql(
            "SELECT max((SELECT coalesce(max(seq), 0) FROM spans) - (SELECT indexed_seq FROM spans_fts_state), 0)"
            " + (SELECT count(*) FROM spans_fts_dirty)", ())[0]
        return int(behind)

    def catch_up(self, max_chunks: int | None = None) -> int:
        """Index what was committed since the last run; returns the number of spans (re-)indexed.

        Concurrent callers wait for one another, so a search right after a backfill waits for the
        backfill to be searchable rather than racing it.
        """
        if not self.pending():  # the common case before a search: a read, no write transaction
            return 0
        done = 0
        chunks = 0
        with self._catch_up_lock:
            while max_chunks is None or chunks < max_chunks:
                count = self._chunk()
                done += count
                chunks += 1
                if count < self.chunk_rows:
                    break
        return done

    def _chunk(self) -> int:
        with self.store.write_transaction() as conn:
            dirty = conn.execute("SELECT seq, inputs, outputs, error, metadata FROM spans_fts_dirty ORDER BY seq"
                                 " LIMIT ?", (self.chunk_rows,)).fetchall()
            if dirty:
                seqs = [row[0] for row in dirty]
                conn.executemany(_RETRACT, [_document(row) for row in dirty])
                marks = ", ".join("?" * len(seqs))
                current = conn.execute(
                    f"SELECT seq, inputs, outputs, error, metadata FROM spans WHERE seq IN ({marks})", seqs).fetchall()
                conn.executemany(_INSERT, [_document(row) for row in current])
                conn.execute(f"DELETE FROM spans_fts_dirty WHERE seq IN ({marks})", seqs)
            (indexed,) = conn.execute("SELECT indexed_seq FROM spans_fts_state WHERE id = 1").fetchone()
            fresh = conn.execute("SELECT seq, inputs, outputs, error, metadata FROM spans WHERE seq > ? ORDER BY seq"
                                 " LIMIT ?", (indexed, self.chunk_rows - len(dirty))).fetchall()
            if fresh:
                conn.executemany(_INSERT, [_document(row) for row in fresh])
                conn.execute("UPDATE spans_fts_state SET indexed_seq = ? WHERE id = 1", (fresh[-1][0],))
        return len(dirty) + len(fresh)

    def is_common(self, fts_query: str) -> bool:
        """Whether an FTS5 query matches at least ``COMMON_MATCHES`` spans (costs about a millisecond)."""
        (count,) = self.store.read_sql(
            "SELECT count(*) FROM (SELECT rowid FROM spans_fts WHERE spans_fts MATCH ? LIMIT ?)",
            (fts_query, COMMON_MATCHES))[0]
        return bool(count >= COMMON_MATCHES)

    def compact(self, max_steps: int | None = None) -> bool:
        """Merge the index's segments toward one; returns whether work remains.

        Each catch-up chunk adds a small segment, and a probe of a span against the index costs one
        seek per segment (measured: ~115 µs unmerged after a 1M-span backfill, ~8 µs merged), so the
        background thread merges a few hundred pages at a time whenever it is idle.
        """
        steps = 0
        while max_steps is None or steps < max_steps:
            with self.store.write_transaction() as conn:
                before = conn.total_changes
                conn.execute("INSERT INTO spans_fts (spans_fts, rank) VALUES ('merge', ?)", (-MERGE_PAGES,))
                if conn.total_changes - before < 2:  # FTS5's own signal that nothing was left to merge
                    return False
            steps += 1
        return True

    # Background ---------------------------------------------------------------------------------

    def start(self, interval_s: float = 0.5, *, is_idle: Callable[[], bool] | None = None) -> None:
        """Index in a daemon thread: a chunk at a time, sleeping ``interval_s`` when there is nothing to do.

        Args:
            is_idle: when given, index only while it answers True. Indexing costs far more per span
                than storing it, so under sustained ingest it would take the writer's CPU; the server
                passes "no commit lately" and lets searches catch up on demand instead.
        """
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(interval_s, is_idle),
                                        name="tracehound-search-index", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self, interval_s: float, is_idle: Callable[[], bool] | None) -> None:
        while not self._stop.is_set():
            if is_idle is not None and not is_idle():
                self._stop.wait(interval_s)
                continue
            try:
                busy = self.catch_up(max_chunks=1) >= self.chunk_rows or self.compact(max_steps=1)
            except Exception:  # the index is a cache of `spans`: log, and try again later
                log.exception("full-text indexing failed; retrying in %s s", interval_s)
                busy = False
            if not busy:
                self._stop.wait(interval_s)
