"""The Jinja environment, ``static()`` URLs with a content hash, and page/JSON rendering.

    html = render("trace.html", context)          # a page
    static("app.css")  ->  "/-/static/app.css?h=3f2a9c1e"

Assets are read once and served from memory; the hash in the URL changes when the file does, so
browsers may cache them forever.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from tracehound.ui import formatting
from tracehound.ui.jsonview import json_html
from tracehound.ui.trace_view import waterfall_json

HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
STATIC_PREFIX = "/-/static/"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    digest: str


@cache
def asset(name: str) -> Asset | None:
    """A file of ``ui/static`` (read once), or ``None`` for anything else, including ``../`` tricks."""
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR or not path.is_file():
        return None
    body = path.read_bytes()
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type.endswith("javascript"):
        media_type += "; charset=utf-8"
    return Asset(body, media_type, hashlib.sha256(body).hexdigest()[:10])


def static(name: str) -> str:
    """The URL of a static file with its content hash, so a changed file is never served stale.

    Raises:
        LookupError: no such file in ``ui/static`` (a typo in a template fails loudly).
    """
    found = asset(name)
    if found is None:
        raise LookupError(f"no static file {name!r} in {STATIC_DIR}")
    return f"{STATIC_PREFIX}{name}?h={found.digest}"


@cache
def environment() -> Environment:
    """The one Jinja environment: autoescaping on, undefined names are errors."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(("html",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = static
    env.globals["viewer"] = viewer
    env.filters["duration"] = formatting.duration
    env.filters["ms"] = formatting.millis
    env.filters["when"] = formatting.when
    env.filters["number"] = formatting.number
    env.filters["usd"] = formatting.usd
    env.filters["json_tree"] = json_html
    env.filters["preview"] = formatting.preview
    env.filters["waterfall_json"] = waterfall_json
    return env


def viewer() -> dict[str, Any]:
    """Who the page is rendered for (name, role, CSRF token), from the request's principal."""
    from tracehound.server.access import current

    who = current()
    signed_in = who.kind not in ("open", "anonymous")
    return {"signed_in": signed_in, "name": who.name, "role": who.role, "csrf": who.csrf,
            "is_admin": who.is_admin, "can_write": who.can("write"), "projects": who.projects}


def render(template: str, context: dict[str, Any]) -> str:
    """Render one template of ``ui/templates`` with the given context."""
    return environment().get_template(template).render(context)
