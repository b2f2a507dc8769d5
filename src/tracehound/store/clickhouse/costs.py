"""``ClickHouseCostStore``: unpriced models and re-pricing over ``spans`` (implements ``CostStore``).

Re-pricing rewrites spans: the stored rows are read, given their new cost, cost details and
metadata, and appended with a higher version (with rollup deltas for the cost change), exactly as a
re-sent span is merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import msgspec

from tracehound.store.base import UnpricedModel, UsageRow
from tracehound.store.clickhouse import rows as R

if TYPE_CHECKING:
    from tracehound.store.clickhouse.spans import ClickHouseSpanStore

_PRICED: Final = "run_type IN ('llm', 'embedding') AND model IS NOT NULL"


class ClickHouseCostStore:
    def __init__(self, store: ClickHouseSpanStore) -> None:
        self._store = store

    def unpriced_models(self, start_us: int, end_us: int, project: str | None = None) -> list[UnpricedModel]:
        where = [_PRICED, "cost IS NULL", "total_tokens > 0", "start_us >= {a:Int64}", "start_us < {b:Int64}"]
        params: dict[str, Any] = {"a": start_us, "b": end_us}
        if project is not None:
            where.append("project = {p:String}")
            params["p"] = project
        rows = self._store.db.rows(
            "SELECT project, model, count() AS n, sum(total_tokens), min(start_us), max(start_us) FROM spans FINAL"
            f" WHERE {' AND '.join(where)} GROUP BY project, model ORDER BY n DESC, project, model", params)
        return [UnpricedModel(p, m, int(n), int(t), int(a), int(b)) for p, m, n, t, a, b in rows]

    def usage_rows(self, start_us: int, end_us: int, project: str | None = None, model: str | None = None,
                   after_id: str = "", limit: int = 5000) -> list[UsageRow]:
        where = [_PRICED, "ifNull(prompt_tokens, 0) + ifNull(completion_tokens, 0) > 0", "start_us >= {a:Int64}",
                 "start_us < {b:Int64}", "toString(id) > {after:String}"]
        params: dict[str, Any] = {"a": start_us, "b": end_us, "after": after_id, "l": limit}
        for column, value in (("project", project), ("model", model)):
            if value is not None:
                where.append(f"{column} = {{{column}:String}}")
                params[column] = value
        rows = self._store.db.rows(
            "SELECT toString(id) AS sid, project, model, start_us, ifNull(prompt_tokens, 0),"
            f" ifNull(completion_tokens, 0), metadata, cost FROM spans FINAL WHERE {' AND '.join(where)}"
            " ORDER BY sid LIMIT {l:UInt64}", params)
        return [UsageRow(sid, p, m, start, int(pt), int(ct), msgspec.json.decode(meta) if meta else {}, cost)
                for sid, p, m, start, pt, ct, meta, cost in rows]

    def set_costs(self, updates: Sequence[tuple[str, float | None, dict[str, float] | None, dict[str, Any]]]) -> int:
        encode = msgspec.json.encode
        store = self._store
        with store._write_lock:
            stored = store._stored([span_id for span_id, *_ in updates])
            version = store._next_version(max((v for _, v in stored.values()), default=0))
            rows, deltas = [], []
            for span_id, cost, details, metadata in updates:
                if span_id not in stored:
                    continue
                old = stored[span_id][0]
                new = list(old)
                new[R.COL["cost"]] = cost
                new[R.COL["cost_details"]] = encode(details).decode() if details else ""
                new[R.COL["metadata"]] = encode(metadata).decode() if metadata else ""
                rows.append((*new, version, 0))
                for row, sign in ((old, -1), (tuple(new), 1)):
                    delta = R.delta(row, sign)
                    if delta is not None:
                        deltas.append(delta)
            store.db.insert("spans", rows, R.INSERT_COLUMNS)
            store.db.insert("rollup_delta", deltas, R.DELTA_COLUMNS)
        return len(rows)
