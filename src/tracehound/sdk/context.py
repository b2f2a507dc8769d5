"""The two context variables the SDK keeps: the span now running and the session now open.

Both live in ``contextvars``, so they follow the code the way Python does: every ``asyncio`` task
starts with a copy of its creator's context (``asyncio.gather`` children share their parent), and a
thread sees the caller's spans only when started with ``contextvars.copy_context().run``.
Set a value, keep the token, reset it in ``finally``.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tracehound.sdk.run import Run

CURRENT_RUN: ContextVar[Run | None] = ContextVar("tracehound_current_run", default=None)
"""The innermost span running in this context; ``None`` outside any span."""

CURRENT_SESSION: ContextVar[tuple[str, str | None] | None] = ContextVar("tracehound_session", default=None)
"""``(session_id, user_id)`` stamped on spans started in this context."""
