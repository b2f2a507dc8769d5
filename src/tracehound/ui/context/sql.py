"""The SQL console (``/sql``): a query, its rows as a table, and a bar chart when the rows allow one.

The chart takes the first text column as labels and the first numeric column as values (the shape of
``SELECT name, count(*) FROM spans GROUP BY 1``), at most ``MAX_BARS`` bars; geometry comes from
``ui/charts.py``. A refused or invalid query is shown with the engine's message, never a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from tracehound.errors import QueryError
from tracehound.store.sql import EXAMPLES, VIEWS
from tracehound.ui.charts import nice_ceiling, percent

MAX_BARS: Final = 30


def sql_context(spans: Any, query: str | None, projects: Sequence[str] | None, limit: int = 500) -> dict[str, Any]:
    """The console's page (and JSON twin): the query, ``result`` or ``error``, and ``chart``."""
    context: dict[str, Any] = {"query": query or "", "views": list(VIEWS), "examples": list(EXAMPLES),
                               "limit": limit, "result": None, "error": None, "chart": None}
    if not query or not query.strip():
        return context
    try:
        result = spans.sql(query, projects=projects, limit=limit).to_api()
    except QueryError as exc:
        context["error"] = str(exc)
        return context
    context["result"] = result
    context["chart"] = bar_chart(result["columns"], result["rows"])
    return context


def bar_chart(columns: list[str], rows: list[list[Any]]) -> dict[str, Any] | None:
    """Horizontal bars: label from the first text column, value from the first numeric one."""
    if not rows:
        return None
    label = next((i for i in range(len(columns)) if all(isinstance(row[i], str | None) for row in rows)), None)
    value = next((i for i in range(len(columns)) if i != label and _numeric(row[i] for row in rows)), None)
    if label is None or value is None:
        return None
    shown = rows[:MAX_BARS]
    top = nice_ceiling(max((row[value] or 0) for row in shown))
    return {"label": columns[label], "value": columns[value], "top": top,
            "bars": [{"label": "-" if row[label] is None else str(row[label]), "value": row[value],
                      "pct": percent(row[value] or 0, top)} for row in shown],
            "more": len(rows) - len(shown)}


def _numeric(cells: Any) -> bool:
    """Every cell a number or null, and at least one a number."""
    seen = False
    for cell in cells:
        if cell is None:
            continue
        if isinstance(cell, bool) or not isinstance(cell, int | float):
            return False
        seen = True
    return seen
