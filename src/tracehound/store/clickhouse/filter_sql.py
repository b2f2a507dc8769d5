"""Compile a checked filter AST into a ClickHouse ``WHERE`` fragment over ``spans FINAL``.

Safety: column names come only from the fixed ``_COLUMNS`` map and operators from ``_OPS``; every
value is a bound, typed parameter (``{p3:String}``), so no filter text reaches the SQL.

Semantics follow the SQLite compiler (``store.sqlite.filter_sql``), which the conformance suite
holds both to: a comparison with a missing value is false (``not`` wraps its operand in
``ifNull(…, 0)``); ``neq`` is null-safe (``neq(model, "x")`` matches spans without a model);
``like`` ignores ASCII case; ``search`` needs every word, as a token of the lower-cased payload
text (``hasToken``, served by the token bloom filters); ``metadata_value`` compares strings with
strings and numbers (and booleans) with numbers; feedback matches a run with some feedback entry
whose key and score both match.

    params: dict[str, object] = {}
    where = compile_filter(checked_node, params)
"""

from __future__ import annotations

import re
from typing import Any, Final

from tracehound.store.filter_ast import And, Compare, FeedbackMatch, MetadataMatch, Node, Not, Or, Search

_COLUMNS: Final = {
    "id": ("id", "UUID"), "trace_id": ("trace_id", "UUID"), "parent_run_id": ("parent_id", "UUID"),
    "name": ("name", "String"), "run_type": ("run_type", "String"), "status": ("status", "String"),
    "project": ("project", "String"), "session_id": ("session_id", "String"), "user_id": ("user_id", "String"),
    "model": ("model", "String"), "start_time": ("start_us", "Int64"), "end_time": ("end_us", "Int64"),
    "total_tokens": ("total_tokens", "Float64"), "prompt_tokens": ("prompt_tokens", "Float64"),
    "completion_tokens": ("completion_tokens", "Float64"), "total_cost": ("cost", "Float64"),
    "step": ("step", "Float64"), "reference_example_id": ("reference_example_id", "UUID"),
    "latency": ("latency", "Int64"),
}
_OPS: Final = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "like": "ILIKE"}
_SEARCH_COLUMNS: Final = ("inputs", "outputs", "error", "metadata")
# hasToken's tokens are runs of ASCII letters and digits (any non-ASCII byte belongs to a token).
_TOKEN = re.compile(r"[^\x00-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f]+")
_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def compile_filter(node: Node, params: dict[str, Any], prefix: str = "") -> str:
    """The condition for a checked tree over the columns of ``spans``; adds its values to ``params``.

    Args:
        node: a tree returned by ``query.fields.check``.
        params: receives the bound values under fresh names.
        prefix: a column qualifier (``"s."``) when the query joins.
    """
    return _Compiler(params, prefix).node(node)


def trace_condition(node: Node, params: dict[str, Any], *, roots_only: bool, prefix: str = "") -> str:
    """``trace_filter`` (the trace's root matches) or ``tree_filter`` (some span of the trace matches)."""
    inner = compile_filter(node, params)
    root = " AND parent_id IS NULL" if roots_only else ""
    return f"{prefix}trace_id IN (SELECT trace_id FROM spans FINAL WHERE {inner}{root})"


def search_words(text: str) -> list[str]:
    """The lower-cased tokens of a search text (what ``hasToken`` can look for)."""
    return [word.lower() for word in _TOKEN.findall(text)]


class _Compiler:
    def __init__(self, params: dict[str, Any], prefix: str) -> None:
        self.params = params
        self.prefix = prefix

    def bind(self, value: Any, kind: str) -> str:
        name = f"f{len(self.params)}"
        while name in self.params:
            name += "_"
        self.params[name] = value
        return f"{{{name}:{kind}}}"

    def node(self, node: Node) -> str:
        if isinstance(node, And):
            return "(" + " AND ".join(self.node(child) for child in node.children) + ")" if node.children else "1"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.node(child) for child in node.children) + ")" if node.children else "0"
        if isinstance(node, Not):
            return f"(NOT ifNull({self.node(node.child)}, 0))"
        if isinstance(node, Search):
            return self.search(node)
        if isinstance(node, MetadataMatch):
            return self.metadata(node)
        if isinstance(node, FeedbackMatch):
            return self.feedback(node)
        return self.compare(node)

    def search(self, node: Search) -> str:
        words = search_words(node.text)
        if not words:
            return "0"
        columns = (node.field,) if node.field else _SEARCH_COLUMNS
        conditions = []
        for word in words:
            bound = self.bind(word, "String")
            conditions.append("(" + " OR ".join(f"hasToken(lowerUTF8({self.prefix}{column}), {bound})"
                                                for column in columns) + ")")
        return "(" + " AND ".join(conditions) + ")"

    def compare(self, node: Compare) -> str:
        field, op, value = node.field, node.op, node.value
        p = self.prefix
        if field == "error":
            want = value if op == "eq" else not value
            return f"{p}status {'=' if want else '!='} 'error'"
        if field == "is_root":
            want = value if op == "eq" else not value
            return f"{p}parent_id IS {'' if want else 'NOT '}NULL"
        if field == "tags":
            if op == "in":
                return f"hasAny({p}tags, {self.bind(list(value), 'Array(String)')})"  # type: ignore[arg-type]
            has = f"has({p}tags, {self.bind(value, 'String')})"
            return f"NOT {has}" if op == "neq" else has
        column, kind = _COLUMNS[field]
        column = f"({p}end_us - {p}start_us)" if field == "latency" else f"{p}{column}"
        return self.operation(column, kind, op, value)

    def operation(self, column: str, kind: str, op: str, value: Any) -> str:
        if kind == "UUID":
            # A value that is no UUID matches nothing (eq) or everything with a value (neq), as in SQLite.
            if op == "in":
                ids = [v for v in value if isinstance(v, str) and _ID.match(v)]
                return f"{column} IN {self.bind(ids, 'Array(UUID)')}" if ids else "0"
            if value is not None and not (isinstance(value, str) and _ID.match(value)):
                return "0" if op == "eq" else "1"
        if op == "in":
            items = [v for v in value if v is not None]
            return f"{column} IN {self.bind(items, f'Array({kind})')}" if items else "0"
        if value is None:
            return f"{column} IS {'NOT ' if op == 'neq' else ''}NULL"
        if kind in ("Int64", "Float64") and isinstance(value, str | bool):
            return "0" if op != "neq" else "1"
        if kind == "Int64" and isinstance(value, float):
            kind = "Float64"
        bound = self.bind(value, kind)
        if op == "neq":
            return f"({column} IS NULL OR {column} != {bound})"
        return f"{column} {_OPS[op]} {bound}"

    def metadata(self, node: MetadataMatch) -> str:
        conditions = []
        if node.key is not None:
            conditions.append(self.operation("kv.1", "String", node.key.op, node.key.value))
        if node.value is not None:
            conditions.append(self.json_value("kv.2", node.value.op, node.value.value))
        return f"arrayExists(kv -> {' AND '.join(conditions)}, JSONExtractKeysAndValuesRaw({self.prefix}metadata))"

    def json_value(self, raw: str, op: str, value: Any) -> str:
        """A comparison of one raw JSON value (text) with a filter value, typed as SQLite's json_each."""
        if op == "in":
            return "(" + " OR ".join(self.json_value(raw, "eq", item) for item in value) + ")" if value else "0"
        if op == "neq":
            return f"(NOT {self.json_value(raw, 'eq', value)})"
        if value is None:
            return f"JSONType({raw}) = 'Null'"
        if isinstance(value, str):
            return f"(JSONType({raw}) = 'String' AND JSONExtractString({raw}) {_OPS[op]} {self.bind(value, 'String')})"
        number = (f"if(JSONType({raw}) = 'Bool', toFloat64(JSONExtractBool({raw})), JSONExtractFloat({raw}))")
        return (f"(JSONType({raw}) IN ('Int64', 'UInt64', 'Double', 'Bool') AND {number} {_OPS[op]}"
                f" {self.bind(float(value), 'Float64')})")

    def feedback(self, node: FeedbackMatch) -> str:
        conditions = []
        if node.key is not None:
            conditions.append(self.operation("key", "String", node.key.op, node.key.value))
        if node.score is not None:
            conditions.append(self.operation("score", "Float64", node.score.op, node.score.value))
        return f"{self.prefix}id IN (SELECT run_id FROM feedback FINAL WHERE {' AND '.join(conditions)})"
