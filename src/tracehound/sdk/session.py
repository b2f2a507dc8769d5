"""``tracehound.session(...)``: stamp a session (a conversation) and its user on every span inside.

    with tracehound.session("sess-42", user_id="u-7"):
        agent.answer("Where is my order?")

    @tracehound.session("nightly-eval")
    def run_eval(): ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import Token
from types import TracebackType
from typing import Any, TypeVar

from tracehound.sdk.context import CURRENT_SESSION

F = TypeVar("F", bound=Callable[..., Any])


class Session:
    """A context manager (and decorator) that sets the session for the spans started inside it.

    Re-entrant: the same object may be entered again while open (tokens are kept on a stack).
    """

    __slots__ = ("_tokens", "session_id", "user_id")

    def __init__(self, session_id: str, user_id: str | None = None) -> None:
        if not isinstance(session_id, str) or not session_id:
            raise ValueError(f"session_id: expected a non-empty string, got {session_id!r}")
        if user_id is not None and not isinstance(user_id, str):
            raise ValueError(f"user_id: expected a string, got {user_id!r}")
        self.session_id = session_id
        self.user_id = user_id
        self._tokens: list[Token[tuple[str, str | None] | None]] = []

    def __enter__(self) -> Session:
        self._tokens.append(CURRENT_SESSION.set((self.session_id, self.user_id)))
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        CURRENT_SESSION.reset(self._tokens.pop())

    def __call__(self, func: F) -> F:
        """Use as a decorator: every call of ``func`` runs inside this session."""
        session_id, user_id = self.session_id, self.user_id
        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with Session(session_id, user_id):
                    return await func(*args, **kwargs)
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Session(session_id, user_id):
                return func(*args, **kwargs)
        return wrapper  # type: ignore[return-value]


def session(session_id: str, user_id: str | None = None) -> Session:
    """Open a session: spans started inside get ``session_id`` (and ``user_id``).

    Args:
        session_id: the conversation or thread this work belongs to.
        user_id: the end user, if known.

    Returns:
        A context manager, also usable as a decorator.

    Raises:
        ValueError: ``session_id`` is empty or not a string.
    """
    return Session(session_id, user_id)
