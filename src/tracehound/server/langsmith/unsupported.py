"""The last LangSmith route: any endpoint the SDK may call that tracehound does not serve answers 501.

Never a silent 200 that loses data, never a 404 the SDK would retry or fall back from without saying.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from tracehound.errors import TracehoundError

router = APIRouter()
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class NotSupported(TracehoundError):
    """A LangSmith endpoint or feature tracehound does not implement."""

    status = 501
    code = "not_implemented"

    def __init__(self, what: str) -> None:
        super().__init__(f"tracehound does not support the LangSmith endpoint {what}")


@router.api_route("/{path:path}", methods=METHODS, include_in_schema=False)
async def unsupported(path: str, request: Request) -> None:
    """Answer 501 naming the endpoint."""
    original = request.scope.get("langsmith_original_path") or f"/{path}"
    raise NotSupported(f"`{request.method} {original}`")
