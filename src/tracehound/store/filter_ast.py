"""The filter AST: what a parsed filter means, independent of any store's query language.

The parser (``query.parser``) builds it, ``query.fields.check`` types and normalises it, and one
compiler per store engine (``store.sqlite.filter_sql``, ``store.clickhouse``...) turns it into that
engine's query. It lives beside the store protocols because it is part of their contract: the
filtered-listing methods take a checked tree, never SQL. ``query.ast`` re-exports it. Nodes are
frozen so a checked tree can be cached and shared between threads.

    And((Compare("eq", "run_type", "tool", 7), Compare("gt", "latency", 5, 30)))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

Scalar: TypeAlias = str | int | float | bool | None
Value: TypeAlias = Scalar | tuple[Scalar, ...]

COMPARATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "has", "in", "like")
COMBINATORS = ("and", "or", "not")


@dataclass(frozen=True, slots=True)
class Compare:
    """``op(field, value)``; ``position`` is where the call starts in the filter text (for errors)."""

    op: str
    field: str
    value: Value
    position: int = 0


@dataclass(frozen=True, slots=True)
class Search:
    """``search("text")`` over inputs, outputs, errors and metadata, or ``search(field, "text")`` over one."""

    text: str
    field: str | None = None
    position: int = 0


@dataclass(frozen=True, slots=True)
class MetadataMatch:
    """One metadata entry whose key and value both satisfy their comparisons.

    LangSmith's pair form ``and(eq(metadata_key, "k"), eq(metadata_value, "v"))`` means the *same*
    entry; ``fields.check`` folds such pairs into this node. Either side may be absent.
    """

    key: Compare | None
    value: Compare | None
    position: int = 0


@dataclass(frozen=True, slots=True)
class FeedbackMatch:
    """One feedback entry on the run whose key and score both satisfy their comparisons.

    Like metadata, ``and(eq(feedback_key, "correctness"), lt(feedback_score, 0.5))`` means the *same*
    entry; ``fields.check`` folds such pairs into this node. Either side may be absent.
    """

    key: Compare | None
    score: Compare | None
    position: int = 0


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


Node: TypeAlias = Compare | Search | MetadataMatch | FeedbackMatch | And | Or | Not
