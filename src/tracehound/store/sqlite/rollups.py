"""Rollups in SQLite: fold the triggers' deltas into buckets, rebuild from raw spans, read buckets back.

Migration 5 adds triggers on ``spans`` that write one signed row per change of a finished span into
``rollup_delta``. ``fold`` (run inside every span write transaction, before ``COMMIT``) adds those rows
into ``rollups`` (counts, sums and a latency sketch blob) at three widths: minute, hour
and day, then empties ``rollup_delta``. Because a delta only exists while its transaction is open, a
committed file never holds unfolded deltas written through ``upsert_rows``.

Bucket dimensions: project, run_type, name, model ('' for none), status, root (1 for a trace's root
span). Buckets are keyed by the span's start time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Final

import msgspec

from tracehound.store.rollups import DAY_US, DIMENSIONS, HOUR_US, MINUTE_US, WIDTHS_US
from tracehound.store.sketch import bin_sql

__all__ = ["DAY_US", "DIMENSIONS", "HOUR_US", "MINUTE_US", "SUMS", "WIDTHS_US", "decode_bins", "dimension_where",
           "fold", "rebuild", "segments", "snapshot", "window_where"]

SUMS: Final = ("calls", "prompt_tokens", "completion_tokens", "total_tokens", "cost_nusd", "latency_us")

_DIMS = "project, run_type, name, model, status, root"


_PRE_AGGREGATE = (
    f"SELECT start_us / {MINUTE_US} * {MINUTE_US} AS m, {_DIMS}, bin, sum(n), sum(prompt_tokens),"
    " sum(completion_tokens), sum(total_tokens), sum(cost_nusd), sum(latency_us)"
    f" FROM {{source}} GROUP BY m, {_DIMS}, bin"
)
_SELECT_BUCKET = (
    f"SELECT {', '.join(SUMS)}, bins FROM rollups WHERE width_us = ? AND project = ? AND run_type = ?"
    " AND bucket_us = ? AND name = ? AND model = ? AND status = ? AND root = ?"
)
_WRITE_BUCKET = (
    f"INSERT OR REPLACE INTO rollups (width_us, project, run_type, bucket_us, name, model, status, root,"
    f" {', '.join(SUMS)}, bins) VALUES ({', '.join('?' * (8 + len(SUMS) + 1))})"
)
_encode_bins = msgspec.msgpack.encode
_decode_bins = msgspec.msgpack.Decoder(dict[int, int]).decode


def decode_bins(blob: bytes) -> dict[int, int]:
    """A bucket's latency sketch ``{bin: count}``."""
    return _decode_bins(blob)


def fold(conn: sqlite3.Connection) -> None:
    """Add pending deltas into the buckets and clear them; call inside the write transaction."""
    if conn.execute("SELECT 1 FROM rollup_delta LIMIT 1").fetchone() is None:
        return
    # Aggregating in Python is cheaper than a GROUP BY here: the rows are few and mostly distinct.
    rows = conn.execute(f"SELECT start_us / {MINUTE_US} * {MINUTE_US}, {_DIMS}, bin, n, prompt_tokens,"
                        " completion_tokens, total_tokens, cost_nusd, latency_us FROM rollup_delta").fetchall()
    _fold_rows(conn, rows)
    conn.execute("DELETE FROM rollup_delta")


def _fold_rows(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Add pre-aggregated ``(minute, dims..., bin, n, sums...)`` rows into the buckets of every width."""
    # One pass at minute width, then the (few) minute buckets merge into hours and days.
    minutes: dict[tuple[Any, ...], tuple[list[int], dict[int, int]]] = {}
    for minute, project, run_type, name, model, status, root, index, n, pt, ct, tt, cost, latency in rows:
        key = (MINUTE_US, project, run_type, minute, name, model, status, root)
        entry = minutes.get(key)
        if entry is None:
            entry = minutes[key] = ([0, 0, 0, 0, 0, 0], {})
        sums, bins = entry
        sums[0] += n
        sums[1] += pt
        sums[2] += ct
        sums[3] += tt
        sums[4] += cost
        sums[5] += latency
        bins[index] = bins.get(index, 0) + n
    acc = dict(minutes)
    for (_, project, run_type, minute, name, model, status, root), (sums, bins) in minutes.items():
        for width in WIDTHS_US[1:]:
            key = (width, project, run_type, minute // width * width, name, model, status, root)
            entry = acc.get(key)
            if entry is None:
                acc[key] = (list(sums), dict(bins))
                continue
            total, merged = entry
            for position, value in enumerate(sums):
                total[position] += value
            for index, count in bins.items():
                merged[index] = merged.get(index, 0) + count
    writes = []
    for key, (sums, bins) in acc.items():
        stored = conn.execute(_SELECT_BUCKET, key).fetchone()
        if stored is not None:
            sums = [a + b for a, b in zip(sums, stored[:6], strict=True)]
            merged = _decode_bins(stored[6])
            for index, count in bins.items():
                merged[index] = merged.get(index, 0) + count
            bins = merged
        writes.append((*key, *sums, _encode_bins({k: v for k, v in sorted(bins.items()) if v})))
    conn.executemany(_WRITE_BUCKET, writes)


def rebuild(conn: sqlite3.Connection) -> int:
    """Recompute every bucket from the raw spans (inside the caller's transaction); returns spans counted."""
    conn.execute("DELETE FROM rollup_delta")
    conn.execute("DELETE FROM rollups")
    source = (
        "(SELECT start_us, project, run_type, name, coalesce(model, '') AS model, status, parent_id IS NULL AS root,"
        f" {bin_sql('start_us', 'end_us')} AS bin, 1 AS n, coalesce(prompt_tokens, 0) AS prompt_tokens,"
        " coalesce(completion_tokens, 0) AS completion_tokens, coalesce(total_tokens, 0) AS total_tokens,"
        " CAST(round(coalesce(cost, 0) * 1e9) AS INTEGER) AS cost_nusd, end_us - start_us AS latency_us"
        " FROM spans WHERE end_us IS NOT NULL)"
    )
    rows = conn.execute(_PRE_AGGREGATE.format(source=source)).fetchall()
    _fold_rows(conn, rows)
    return int(sum(row[8] for row in rows))


def snapshot(conn: sqlite3.Connection) -> list[Any]:
    """Every non-empty bucket, sorted (to compare incremental rollups with a rebuild)."""
    return conn.execute(
        f"SELECT width_us, bucket_us, {_DIMS}, {', '.join(SUMS)}, bins FROM rollups WHERE calls != 0"
        " OR latency_us != 0 OR total_tokens != 0 OR cost_nusd != 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
    ).fetchall()


def segments(start_us: int, end_us: int) -> list[tuple[int, int, int]]:
    """Cover ``[start_us, end_us)`` (minute-aligned outward) with the fewest buckets.

    Returns ``(width_us, first_bucket_us, end_bucket_us)`` ranges: whole days inside the window, whole
    hours at its edges, minutes at the ragged ends.
    """
    start = start_us // MINUTE_US * MINUTE_US
    end = -(-end_us // MINUTE_US) * MINUTE_US
    if end <= start:
        return []
    result: list[tuple[int, int, int]] = []

    def cover(lo: int, hi: int, level: int) -> None:
        if lo >= hi:
            return
        if level == 0:
            result.append((WIDTHS_US[0], lo, hi))
            return
        width = WIDTHS_US[level]
        inner_lo = -(-lo // width) * width
        inner_hi = hi // width * width
        if inner_lo >= inner_hi:
            cover(lo, hi, level - 1)
            return
        result.append((width, inner_lo, inner_hi))
        cover(lo, inner_lo, level - 1)
        cover(inner_hi, hi, level - 1)

    cover(start, end, len(WIDTHS_US) - 1)
    return result


def window_where(start_us: int, end_us: int, params: list[Any], alias: str = "") -> str:
    """A ``WHERE`` fragment selecting the buckets covering a window (see ``segments``)."""
    prefix = f"{alias}." if alias else ""
    parts = []
    for width, lo, hi in segments(start_us, end_us):
        parts.append(f"({prefix}width_us = ? AND {prefix}bucket_us >= ? AND {prefix}bucket_us < ?)")
        params.extend((width, lo, hi))
    return "(" + (" OR ".join(parts) or "0") + ")"


def dimension_where(filters: dict[str, Any], params: list[Any], alias: str = "") -> str:
    """``AND``-ed equality conditions on bucket dimensions; a sequence value means any of them."""
    prefix = f"{alias}." if alias else ""
    parts = []
    for key, value in filters.items():
        if key not in DIMENSIONS:
            raise ValueError(f"{key!r} is not a rollup dimension ({', '.join(DIMENSIONS)})")
        if value is None:
            continue
        if key == "model" and isinstance(value, str):
            value = value or ""
        if isinstance(value, Sequence) and not isinstance(value, str):
            parts.append(f"{prefix}{key} IN ({', '.join('?' * len(value))})")
            params.extend(value)
        else:
            parts.append(f"{prefix}{key} = ?")
            params.append(int(value) if key == "root" else value)
    return " AND ".join(parts) if parts else "1"
