"""The app's whole route table, the LangSmith sub-app included, as (method, path template) pairs."""

from __future__ import annotations

import re

from fastapi import FastAPI


def _walk(routes: list, prefix: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for route in routes:
        if hasattr(route, "effective_route_contexts"):  # FastAPI >= 0.16x: an included router
            entries = [(context.methods, context.path_format) for context in route.effective_route_contexts()]
        else:
            entries = [(getattr(route, "methods", None), getattr(route, "path", None))]
        for methods, path in entries:
            if path is None or not methods:
                continue  # the LangSmith mount: its routes are walked from the built sub-app
            found += [(method, prefix + path) for method in sorted(methods) if method != "HEAD"]
    return found


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers, LangSmith routes under their mount prefix."""
    from tracehound.server import langsmith

    return _walk(app.routes) + _walk(langsmith.build_app(app).routes, langsmith.PREFIX)


def sample_path(template: str, values: dict[str, str]) -> str:
    """A concrete path for a template: each ``{name}`` (or ``{name:path}``) from ``values``, else ``x1``."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "x1"), template)
