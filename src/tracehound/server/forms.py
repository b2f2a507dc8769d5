"""HTML form posts: the urlencoded body as a dict, size-capped, with the CSRF field checked."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from tracehound.errors import Forbidden
from tracehound.server import access
from tracehound.server.body import read_body
from tracehound.server.sessions import CSRF_FIELD

MAX_FORM_BYTES = 64 * 1024


async def form_fields(request: Request) -> dict[str, str]:
    """The posted fields (the last value wins when a name repeats)."""
    body = await read_body(request, MAX_FORM_BYTES)
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


async def checked_form(request: Request) -> dict[str, str]:
    """The posted fields of a signed-in page's form, after checking its CSRF token. Raises ``Forbidden``."""
    import hmac

    fields = await form_fields(request)
    who = access.of(request)
    # Only a browser session needs the token: a request with an API key header cannot be forged cross-site.
    if who.session_hash is not None and (who.csrf is None
                                         or not hmac.compare_digest(fields.get(CSRF_FIELD, ""), who.csrf)):
        raise Forbidden("missing or wrong CSRF token; reload the page and try again")
    return fields
