"""The SQLite dialect compiler: a checked filter AST (``store.filter_ast``) into a ``WHERE`` fragment over ``spans``.

Safety: field names only ever come from the fixed ``_COLUMNS`` map and comparators from ``_OPS``;
every value is a bound parameter (``?``), and full-text text is turned into quoted FTS5 phrases
before being bound, so no filter text reaches the SQL or the FTS5 query syntax unescaped.

Semantics: a comparison against a missing value (NULL) is false, so ``not(eq(model, "x"))`` and
``neq(model, "x")`` both match spans without a model. ``NOT`` coalesces its operand for that reason.

    params: list[object] = []
    where = compile_filter(checked_node, "s", params)
    sql = f"SELECT ... FROM spans AS s WHERE {where}"
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final, TypeAlias

from tracehound.store.filter_ast import And, Compare, FeedbackMatch, MetadataMatch, Node, Not, Or, Search

_COLUMNS: Final = {
    "id": "id", "trace_id": "trace_id", "parent_run_id": "parent_id", "name": "name", "run_type": "run_type",
    "status": "status", "project": "project", "session_id": "session_id", "user_id": "user_id", "model": "model",
    "start_time": "start_us", "end_time": "end_us", "total_tokens": "total_tokens",
    "prompt_tokens": "prompt_tokens", "completion_tokens": "completion_tokens", "total_cost": "cost",
    "step": "step", "reference_example_id": "reference_example_id",
}
_OPS: Final = {"eq": "=", "neq": "IS NOT", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "like": "LIKE"}
_WORD = re.compile(r"\w+", re.UNICODE)
TermCheck: TypeAlias = Callable[[str], bool]


def compile_filter(node: Node, alias: str, params: list[Any], *, is_common: TermCheck | None = None) -> str:
    """The ``WHERE`` fragment for a checked tree over ``spans AS <alias>``; appends its values to ``params``.

    Args:
        node: a tree returned by ``fields.check``.
        alias: the table alias the fragment refers to (``s`` for the listed spans, ``r`` for roots...).
        params: receives the bound values, in order.
        is_common: tells whether a full-text query matches many spans (``SearchIndex.is_common``).
            A rare term is best read as the set of its matches; a common one is best checked span by
            span while walking the time index, since the first page is then found after a few probes.
            Without it every term is treated as rare (always correct, slower for common words).
    """
    return _Compiler(params, is_common).node(node, alias)


def trace_condition(node: Node, alias: str, params: list[Any], *, roots_only: bool,
                    is_common: TermCheck | None = None) -> str:
    """``trace_filter`` (the trace's root matches) or ``tree_filter`` (some span of the trace matches)."""
    inner = "r" if alias != "r" else "r2"
    root = f" AND {inner}.parent_id IS NULL" if roots_only else ""
    condition = compile_filter(node, inner, params, is_common=is_common)
    return f"EXISTS (SELECT 1 FROM spans AS {inner} WHERE {inner}.trace_id = {alias}.trace_id{root} AND {condition})"


class _Compiler:
    def __init__(self, params: list[Any], is_common: TermCheck | None):
        self.params = params
        self.is_common = is_common

    def node(self, node: Node, alias: str) -> str:
        if isinstance(node, And):
            return "(" + " AND ".join(self.node(child, alias) for child in node.children) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.node(child, alias) for child in node.children) + ")"
        if isinstance(node, Not):
            return f"(NOT coalesce({self.node(node.child, alias)}, 0))"
        if isinstance(node, Search):
            query = fts_query(node.text, node.field)
            self.params.append(query)
            if self.is_common is not None and self.is_common(query):
                return f"EXISTS (SELECT 1 FROM spans_fts WHERE spans_fts MATCH ? AND rowid = {alias}.seq)"
            return f"{alias}.seq IN (SELECT rowid FROM spans_fts WHERE spans_fts MATCH ?)"
        if isinstance(node, MetadataMatch):
            return self.metadata(node, alias)
        if isinstance(node, FeedbackMatch):
            return self.feedback(node, alias)
        return _compare(node, alias, self.params)

    def feedback(self, node: FeedbackMatch, alias: str) -> str:
        """Some feedback entry on the run (table ``feedback``, store/sqlite/feedback.py) matches key and score."""
        conditions: list[str] = []
        if node.key is not None:
            conditions.append(_operation("f.key", node.key.op, node.key.value, self.params))
        if node.score is not None:
            conditions.append(_operation("f.score", node.score.op, node.score.value, self.params))
        return f"EXISTS (SELECT 1 FROM feedback AS f WHERE f.run_id = {alias}.id AND {' AND '.join(conditions)})"

    def metadata(self, node: MetadataMatch, alias: str) -> str:
        conditions: list[str] = []
        values: list[Any] = []
        if node.key is not None:
            conditions.append(_operation("key", node.key.op, node.key.value, values))
        if node.value is not None:
            conditions.append(_operation("value", node.value.op, node.value.value, values))
        exists = f"EXISTS (SELECT 1 FROM json_each({alias}.metadata) WHERE {' AND '.join(conditions)})"
        phrase = _metadata_phrase(node)
        if phrase is not None and not (self.is_common is not None and self.is_common(phrase)):
            # A cheap, sound pre-filter for a rare value (a request id): its words are in the full-text
            # index, so only the few spans holding them pay for parsing their metadata JSON.
            self.params.append(phrase)
            self.params.extend(values)
            return f"({alias}.seq IN (SELECT rowid FROM spans_fts WHERE spans_fts MATCH ?) AND {exists})"
        self.params.extend(values)
        return exists


def fts_query(text: str, field: str | None = None) -> str:
    """User text as an FTS5 query: every word must occur, each quoted so no FTS5 syntax gets through.

    Words are what the ``unicode61`` tokenizer indexes (letters and digits), so ``"order-123"`` looks
    for ``order`` and ``123``. Text without any word matches nothing (an impossible phrase).
    """
    words = _WORD.findall(text)
    if not words:
        return '"\x00"'  # nothing indexable: a phrase no document contains
    body = " ".join(f'"{word}"' for word in words)
    return f"{{{field}}} : ({body})" if field else body


def phrase_query(text: str, field: str) -> str | None:
    """An FTS5 phrase (the words in order) restricted to one column; ``None`` when text has no words."""
    words = _WORD.findall(text)
    if not words:
        return None
    return f'{{{field}}} : "{" ".join(words)}"'


def _compare(node: Compare, alias: str, params: list[Any]) -> str:
    field, op, value = node.field, node.op, node.value
    if field == "error":
        want_error = value if op == "eq" else not value
        return f"{alias}.status {'=' if want_error else '!='} 'error'"
    if field == "is_root":
        want_root = value if op == "eq" else not value
        return f"{alias}.parent_id IS {'' if want_root else 'NOT '}NULL"
    if field == "tags":
        if op == "in":
            params.extend(value)  # type: ignore[arg-type]
            marks = ", ".join("?" * len(value))  # type: ignore[arg-type]
            return f"EXISTS (SELECT 1 FROM json_each({alias}.tags) WHERE value IN ({marks}))"
        params.append(value)
        exists = f"EXISTS (SELECT 1 FROM json_each({alias}.tags) WHERE value = ?)"
        return f"NOT {exists}" if op == "neq" else exists
    column = f"({alias}.end_us - {alias}.start_us)" if field == "latency" else f"{alias}.{_COLUMNS[field]}"
    return _operation(column, op, value, params)


def _operation(column: str, op: str, value: Any, params: list[Any]) -> str:
    if op == "in":
        params.extend(value)
        return f"{column} IN ({', '.join('?' * len(value))})"
    if value is None:
        return f"{column} IS {'NOT ' if op == 'neq' else ''}NULL"
    params.append(value)
    return f"{column} {_OPS[op]} ?"


def _metadata_phrase(node: MetadataMatch) -> str | None:
    """The pre-filter phrase for ``eq(metadata_value, "text")``, when the text is indexed as written.

    Text JSON would escape (quotes, backslashes, control characters) is tokenised differently in the
    stored JSON, so such values skip the pre-filter rather than risk missing a match.
    """
    value = node.value
    if value is None or value.op != "eq" or not isinstance(value.value, str):
        return None
    text = value.value
    if '"' in text or "\\" in text or any(ord(char) < 0x20 for char in text):
        return None
    return phrase_query(text, "metadata")


def uses_search_index(node: Node | None) -> bool:
    """Whether compiling ``node`` reads the full-text index (so it must be caught up first)."""
    if node is None:
        return False
    if isinstance(node, Search):
        return True
    if isinstance(node, MetadataMatch):
        return _metadata_phrase(node) is not None
    if isinstance(node, And | Or):
        return any(uses_search_index(child) for child in node.children)
    if isinstance(node, Not):
        return uses_search_index(node.child)
    return False
