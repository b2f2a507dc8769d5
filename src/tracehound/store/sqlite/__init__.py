"""The embedded default store: one SQLite file in WAL mode."""

from tracehound.store.sqlite.feedback import SqliteFeedbackStore
from tracehound.store.sqlite.meta import SqliteMetaStore
from tracehound.store.sqlite.spans import SqliteSpanStore

__all__ = ["SqliteFeedbackStore", "SqliteMetaStore", "SqliteSpanStore"]
