"""What the LangSmith routes keep between requests: the experiment sync and the attachment directory."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request

from tracehound.server.langsmith.experiments import ExperimentSync
from tracehound.server.services import Services


class LangSmithState:
    """Per-app state of the LangSmith edge (made on first use)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.sync = ExperimentSync(svc)
        self.attachments_dir = Path(svc.settings.data_dir).expanduser() / "attachments"


async def langsmith_state(request: Request) -> LangSmithState:
    """FastAPI dependency: the app's ``LangSmithState``."""
    state = getattr(request.app.state, "langsmith", None)
    if state is None:
        state = request.app.state.langsmith = LangSmithState(request.app.state.services)
    return state  # type: ignore[no-any-return]
