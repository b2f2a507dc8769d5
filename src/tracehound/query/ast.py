"""The filter AST, re-exported: it is defined in ``store.filter_ast`` because the store protocols take it."""

from tracehound.store.filter_ast import (
    COMBINATORS,
    COMPARATORS,
    And,
    Compare,
    FeedbackMatch,
    MetadataMatch,
    Node,
    Not,
    Or,
    Scalar,
    Search,
    Value,
)

__all__ = ["COMBINATORS", "COMPARATORS", "And", "Compare", "FeedbackMatch", "MetadataMatch", "Node", "Not", "Or",
           "Scalar", "Search", "Value"]
