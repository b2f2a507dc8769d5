"""``SqlitePriceStore``: per-project price overrides in the meta store (``project = '*'``: every project)."""

from __future__ import annotations

from typing import Final

from tracehound.sdk.prices import PriceRow
from tracehound.store.base import PriceOverride
from tracehound.store.sqlite._locked import LockedConnection
from tracehound.timefmt import now_us

_COLUMNS: Final = ("project, model, effective, input, output, cached_input, cache_write, reasoning, context_window,"
                   " source, note, updated_us")


class SqlitePriceStore:
    """Implements ``PriceStore`` over the meta store's connection."""

    def __init__(self, db: LockedConnection) -> None:
        self._db = db

    def list_overrides(self, project: str | None = None) -> list[PriceOverride]:
        where, params = ("WHERE project = ?", (project,)) if project is not None else ("", ())
        rows = self._db.rows(f"SELECT {_COLUMNS} FROM price_overrides {where} ORDER BY project, model, effective",
                             params)
        return [PriceOverride(*row) for row in rows]

    def set_override(self, override: PriceOverride) -> PriceOverride:
        stamp = now_us()
        with self._db.transaction() as conn:
            conn.execute(
                f"INSERT INTO price_overrides ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(project, model, effective) DO UPDATE SET input = excluded.input,"
                " output = excluded.output, cached_input = excluded.cached_input,"
                " cache_write = excluded.cache_write, reasoning = excluded.reasoning,"
                " context_window = excluded.context_window, source = excluded.source, note = excluded.note,"
                " updated_us = excluded.updated_us",
                (override.project, override.model, override.effective, override.input, override.output,
                 override.cached_input, override.cache_write, override.reasoning, override.context_window,
                 override.source, override.note, stamp))
        return PriceOverride(*[*_values(override)[:-1], stamp])

    def delete_override(self, project: str, model: str, effective: str | None = None) -> int:
        sql, params = "DELETE FROM price_overrides WHERE project = ? AND model = ?", [project, model]
        if effective is not None:
            sql += " AND effective = ?"
            params.append(effective)
        with self._db.transaction() as conn:
            return conn.execute(sql, params).rowcount

    def override_rows(self) -> list[tuple[str, PriceRow]]:
        """``(project, PriceRow)`` pairs, what the ingest ``Pricer`` loads."""
        return [(override.project, override.row()) for override in self.list_overrides()]


def _values(override: PriceOverride) -> list[object]:
    return [override.project, override.model, override.effective, override.input, override.output,
            override.cached_input, override.cache_write, override.reasoning, override.context_window,
            override.source, override.note, override.updated_us]
