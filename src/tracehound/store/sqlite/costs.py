"""``SqliteCostStore``: unpriced models and re-pricing over the spans table (implements ``CostStore``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

from tracehound.store.base import UnpricedModel, UsageRow
from tracehound.store.sqlite import rollups

if TYPE_CHECKING:
    from tracehound.store.sqlite.spans import SqliteSpanStore

_PRICED: Final = "run_type IN ('llm', 'embedding') AND model IS NOT NULL"


class SqliteCostStore:
    """Reads through the span store's reader connections; writes in its writer transaction."""

    def __init__(self, spans: SqliteSpanStore) -> None:
        self._spans = spans

    def unpriced_models(self, start_us: int, end_us: int, project: str | None = None) -> list[UnpricedModel]:
        where, params = [_PRICED, "cost IS NULL", "total_tokens > 0", "start_us >= ?", "start_us < ?"], [
            start_us, end_us]
        if project is not None:
            where.append("project = ?")
            params.append(project)
        rows = self._spans.read_sql(
            "SELECT project, model, count(*), sum(total_tokens), min(start_us), max(start_us) FROM spans"
            f" WHERE {' AND '.join(where)} GROUP BY project, model ORDER BY count(*) DESC, project, model", params)
        return [UnpricedModel(*row) for row in rows]

    def usage_rows(self, start_us: int, end_us: int, project: str | None = None, model: str | None = None,
                   after_id: str = "", limit: int = 5000) -> list[UsageRow]:
        where = [_PRICED, "coalesce(prompt_tokens, 0) + coalesce(completion_tokens, 0) > 0", "start_us >= ?",
                 "start_us < ?", "id > ?"]
        params: list[Any] = [start_us, end_us, after_id]
        for column, value in (("project", project), ("model", model)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        rows = self._spans.read_sql(
            "SELECT id, project, model, start_us, coalesce(prompt_tokens, 0), coalesce(completion_tokens, 0),"
            f" metadata, cost FROM spans WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", [*params, limit])
        return [UsageRow(id_, project_, model_, start, prompt, completion,
                         msgspec.json.decode(metadata) if metadata else {}, cost)
                for id_, project_, model_, start, prompt, completion, metadata, cost in rows]

    def set_costs(self, updates: Sequence[tuple[str, float | None, dict[str, float] | None, dict[str, Any]]]) -> int:
        encode = msgspec.json.encode
        with self._spans.write_transaction() as conn:
            changed = 0
            for span_id, cost, details, metadata in updates:
                changed += conn.execute(
                    "UPDATE spans SET cost = ?, cost_details = ?, metadata = ? WHERE id = ?",
                    (cost, encode(details).decode() if details else None, encode(metadata).decode(), span_id),
                ).rowcount
            rollups.fold(conn)  # the update triggers wrote -old/+new cost deltas; fold them like ingest does
        return changed
