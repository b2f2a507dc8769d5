"""``PostgresPriceStore``: per-project price overrides (``project = '*'``: every project)."""

from __future__ import annotations

from typing import Final

from tracehound.sdk.prices import PriceRow
from tracehound.store.base import PriceOverride
from tracehound.store.postgres.connection import Postgres
from tracehound.timefmt import now_us

_COLUMNS: Final = ("project, model, effective, input, output, cached_input, cache_write, reasoning, context_window,"
                   " source, note, updated_us")


class PostgresPriceStore:
    def __init__(self, db: Postgres) -> None:
        self._db = db

    def list_overrides(self, project: str | None = None) -> list[PriceOverride]:
        where, params = ("WHERE project = %s", (project,)) if project is not None else ("", ())
        return [PriceOverride(*row) for row in self._db.rows(
            f"SELECT {_COLUMNS} FROM price_overrides {where} ORDER BY project, model, effective", params)]

    def set_override(self, override: PriceOverride) -> PriceOverride:
        stamp = now_us()
        values = (override.project, override.model, override.effective, override.input, override.output,
                  override.cached_input, override.cache_write, override.reasoning, override.context_window,
                  override.source, override.note, stamp)
        with self._db.transaction() as cur:
            cur.execute(
                f"INSERT INTO price_overrides ({_COLUMNS}) VALUES ({', '.join(['%s'] * 12)})"
                " ON CONFLICT (project, model, effective) DO UPDATE SET input = excluded.input,"
                " output = excluded.output, cached_input = excluded.cached_input, cache_write = excluded.cache_write,"
                " reasoning = excluded.reasoning, context_window = excluded.context_window,"
                " source = excluded.source, note = excluded.note, updated_us = excluded.updated_us", values)
        return PriceOverride(*values)

    def delete_override(self, project: str, model: str, effective: str | None = None) -> int:
        sql, params = "DELETE FROM price_overrides WHERE project = %s AND model = %s", [project, model]
        if effective is not None:
            sql += " AND effective = %s"
            params.append(effective)
        with self._db.transaction() as cur:
            cur.execute(sql, params)
            return int(cur.rowcount)

    def override_rows(self) -> list[tuple[str, PriceRow]]:
        return [(override.project, override.row()) for override in self.list_overrides()]
