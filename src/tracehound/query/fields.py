"""The fields a filter may name, what each accepts, and ``check``: from parsed AST to a typed one.

Checking is where a filter meets the span model: unknown fields and comparators that make no sense
for a field are refused with the field named, LangSmith's spellings are mapped to ours
(``status = "success"`` is our ``ok``), times (ISO-8601 or relative like ``-24h``) become UTC
microseconds against one ``now`` so every page of a listing sees the same window, latencies in
seconds become microseconds, and the ``metadata_key``/``metadata_value`` pair folds into one
``MetadataMatch`` (``feedback_key``/``feedback_score`` into one ``FeedbackMatch``). Compilers only ever
see checked trees, in store units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tracehound.errors import QueryError
from tracehound.model import RUN_TYPES, STATUSES
from tracehound.query.ast import And, Compare, FeedbackMatch, MetadataMatch, Node, Not, Or, Scalar, Search, Value
from tracehound.timefmt import parse_time_us

MAX_IN_VALUES: Final = 1000
# Values are bound as SQLite 64-bit integers; latencies become microseconds, hence the margin.
_MAX_NUMBER: Final = 2**63 // 1_000_000
_ORDERED = ("eq", "neq", "gt", "gte", "lt", "lte", "in")
_TEXT = ("eq", "neq", "in", "like")
_EXACT = ("eq", "neq", "in")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One filterable field: its kind (how values are read) and the comparators it takes."""

    kind: str  # id | text | number | time | latency | bool | tags | metadata_key | metadata_value | feedback
    ops: tuple[str, ...]


FIELDS: Final[dict[str, FieldSpec]] = {
    "id": FieldSpec("id", _EXACT),
    "trace_id": FieldSpec("id", _EXACT),
    "parent_run_id": FieldSpec("id", _EXACT),
    "reference_example_id": FieldSpec("id", _EXACT),
    "name": FieldSpec("text", _TEXT),
    "run_type": FieldSpec("text", _EXACT),
    "status": FieldSpec("text", _EXACT),
    "project": FieldSpec("text", _TEXT),
    "session_id": FieldSpec("text", _TEXT),
    "user_id": FieldSpec("text", _TEXT),
    "model": FieldSpec("text", _TEXT),
    "error": FieldSpec("bool", ("eq", "neq")),
    "is_root": FieldSpec("bool", ("eq", "neq")),
    "start_time": FieldSpec("time", _ORDERED[:-1]),
    "end_time": FieldSpec("time", _ORDERED[:-1]),
    "latency": FieldSpec("latency", _ORDERED[:-1]),
    "total_tokens": FieldSpec("number", _ORDERED),
    "prompt_tokens": FieldSpec("number", _ORDERED),
    "completion_tokens": FieldSpec("number", _ORDERED),
    "total_cost": FieldSpec("number", _ORDERED),
    "step": FieldSpec("number", _ORDERED),
    "tags": FieldSpec("tags", ("has", "eq", "neq", "in")),
    "metadata_key": FieldSpec("metadata_key", _TEXT),
    "metadata_value": FieldSpec("metadata_value", (*_ORDERED, "like")),
    "feedback_key": FieldSpec("feedback", _TEXT),
    "feedback_score": FieldSpec("feedback", _ORDERED),
}
SEARCH_FIELDS: Final = ("inputs", "outputs", "error", "metadata")
# LangSmith's run statuses, in our vocabulary.
_STATUS_ALIASES: Final = {"success": "ok", "pending": "running"}


def check(node: Node, *, now_us: int, field: str = "filter") -> Node:
    """Type and normalise a parsed filter.

    Args:
        node: the parser's AST.
        now_us: the moment relative times (``-15m``) are measured from.
        field: the request field the filter came from, named in errors.

    Returns:
        An equivalent tree in store units (times and latencies in microseconds).

    Raises:
        QueryError: an unknown field, a comparator the field does not take, or a value of the wrong type.
    """
    checker = _Checker(now_us, field)
    return checker.lone_metadata(checker.node(node))


class _Checker:
    def __init__(self, now_us: int, field: str):
        self.now_us = now_us
        self.field = field

    def fail(self, position: int, message: str) -> QueryError:
        return QueryError(f"at position {position}: {message}", field=self.field)

    def node(self, node: Node) -> Node:
        if isinstance(node, And):
            return And(self.fold_metadata([self.node(child) for child in node.children]))
        if isinstance(node, Or):
            return Or(tuple(self.lone_metadata(self.node(child)) for child in node.children))
        if isinstance(node, Not):
            return Not(self.lone_metadata(self.node(node.child)))
        if isinstance(node, Search):
            return self.search(node)
        if isinstance(node, Compare):
            return self.compare(node)
        return node

    def lone_metadata(self, node: Node) -> Node:
        """A metadata comparison outside an ``and`` stands alone: some entry's key (or value) matches."""
        if isinstance(node, Compare) and node.field == "metadata_key":
            return MetadataMatch(node, None, node.position)
        if isinstance(node, Compare) and node.field == "metadata_value":
            return MetadataMatch(None, node, node.position)
        if isinstance(node, Compare) and node.field == "feedback_key":
            return FeedbackMatch(node, None, node.position)
        if isinstance(node, Compare) and node.field == "feedback_score":
            return FeedbackMatch(None, node, node.position)
        return node

    def fold_metadata(self, children: list[Node]) -> tuple[Node, ...]:
        """Pair the n-th ``metadata_key`` with the n-th ``metadata_value`` of one ``and``."""
        keys = [c for c in children if isinstance(c, Compare) and c.field == "metadata_key"]
        values = [c for c in children if isinstance(c, Compare) and c.field == "metadata_value"]
        folded: list[Node] = [c for c in children if not (isinstance(c, Compare) and c.field.startswith("metadata_"))]
        for index in range(max(len(keys), len(values))):
            key = keys[index] if index < len(keys) else None
            value = values[index] if index < len(values) else None
            position = (key or value).position  # type: ignore[union-attr]
            folded.append(MetadataMatch(key, value, position))
        return self.fold_feedback(folded)

    def fold_feedback(self, children: list[Node]) -> tuple[Node, ...]:
        """Pair the n-th ``feedback_key`` with the n-th ``feedback_score`` of one ``and``."""
        keys = [c for c in children if isinstance(c, Compare) and c.field == "feedback_key"]
        scores = [c for c in children if isinstance(c, Compare) and c.field == "feedback_score"]
        folded = [c for c in children if not (isinstance(c, Compare) and c.field.startswith("feedback_"))]
        for index in range(max(len(keys), len(scores))):
            key = keys[index] if index < len(keys) else None
            score = scores[index] if index < len(scores) else None
            folded.append(FeedbackMatch(key, score, (key or score).position))  # type: ignore[union-attr]
        return tuple(folded)

    def search(self, node: Search) -> Search:
        if not node.text.strip():
            raise self.fail(node.position, "search needs some text")
        field = node.field.lower() if node.field else None
        if field is not None and field not in SEARCH_FIELDS:
            raise self.fail(node.position, f"search covers {', '.join(SEARCH_FIELDS)}; not {node.field!r}")
        return Search(node.text, field, node.position)

    def compare(self, node: Compare) -> Compare:
        spec = FIELDS.get(node.field)
        if spec is None:
            raise self.fail(node.position, f"unknown field {node.field!r}; known fields: {', '.join(FIELDS)}")
        if node.op not in spec.ops:
            raise self.fail(node.position, f"{node.field} takes {', '.join(spec.ops)}, not {node.op}")
        if node.op == "in":
            if not isinstance(node.value, tuple) or not node.value:
                raise self.fail(node.position, f"in({node.field}, ...) takes a non-empty [list]")
            if len(node.value) > MAX_IN_VALUES:
                raise self.fail(node.position, f"in() takes at most {MAX_IN_VALUES} values")
            value: Value = tuple(self.scalar(node, spec.kind, item) for item in node.value)
        else:
            if isinstance(node.value, tuple):
                raise self.fail(node.position, f"{node.op}() takes one value; use in() for a list")
            value = self.scalar(node, spec.kind, node.value)
        if node.op == "like" and not isinstance(value, str):
            raise self.fail(node.position, "like() takes a string pattern")
        return Compare(node.op, node.field, value, node.position)

    def scalar(self, node: Compare, kind: str, value: Scalar) -> Scalar:
        where = f"{node.op}({node.field}, ...)"
        if value is None:
            if node.op in ("eq", "neq") and kind in ("id", "text", "number", "time", "latency", "metadata_value"):
                return None
            raise self.fail(node.position, f"{where}: null is not a valid value here")
        if kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise self.fail(node.position, f"{where} takes true or false")
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > _MAX_NUMBER:
            raise self.fail(node.position, f"{where}: {value!r} is out of range")
        if kind == "feedback" and node.field == "feedback_score":
            kind = "number"
        if kind in ("number", "latency"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(node.position, f"{where} takes a number")
            return round(value * 1_000_000) if kind == "latency" else value
        if kind == "time":
            if not isinstance(value, str):
                raise self.fail(node.position, f"{where} takes an ISO-8601 time or a relative time like \"-24h\"")
            try:
                return parse_time_us(value, now=self.now_us)
            except ValueError:
                raise self.fail(node.position, f"{where}: {value[:40]!r} is not an ISO-8601 or relative time"
                                " (\"-15m\", \"-24h\", \"-7d\")") from None
        if kind == "metadata_value":
            return value
        if not isinstance(value, str):
            if kind == "tags" or isinstance(value, bool):
                raise self.fail(node.position, f"{where} takes a string")
            value = str(value)
        if kind == "id":
            return value.lower()
        if node.field == "status":
            value = _STATUS_ALIASES.get(value.lower(), value.lower())
            if value not in STATUSES:
                raise self.fail(node.position, f"status is one of {', '.join(STATUSES)} (or success, pending)")
        if node.field == "run_type" and value not in RUN_TYPES:
            raise self.fail(node.position, f"run_type is one of {', '.join(RUN_TYPES)}")
        return value
