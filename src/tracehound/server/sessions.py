"""The UI's session cookie and CSRF tokens, both HMAC-signed with a secret kept in the meta store.

Cookie ``th_session`` = ``<token>.<signature>``: ``token`` is 256 random bits, the signature an
HMAC-SHA256 of it, and the store keeps only ``sha256(token)`` with who signed in and until when. So
a forged or altered cookie fails before any look-up, a stolen database holds no usable cookie, and
logout (deleting the row) ends the session at once. The cookie is HttpOnly, SameSite=Lax, and Secure
when the server is reached over HTTPS.

CSRF: every state-changing request made with the cookie carries a token derived from the session
(``X-CSRF-Token`` header from scripts, a ``csrf_token`` field in forms); a page gets it in
``<meta name="csrf-token">``. The login form, before any session exists, is bound the same way to a
short-lived ``th_login`` cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

SESSION_COOKIE: Final = "th_session"
LOGIN_COOKIE: Final = "th_login"
CSRF_HEADER: Final = "x-csrf-token"
CSRF_FIELD: Final = "csrf_token"


class Signer:
    """Signs cookie tokens and derives CSRF tokens from one server secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def new_cookie(self) -> tuple[str, str]:
        """A fresh ``(token, cookie value)``."""
        token = secrets.token_urlsafe(32)
        return token, f"{token}.{self._mac('cookie', token)}"

    def token_of(self, cookie: str | None) -> str | None:
        """The token of a well-signed cookie value, else ``None`` (constant-time comparison)."""
        if not cookie or "." not in cookie or len(cookie) > 256:
            return None
        token, _, signature = cookie.rpartition(".")
        return token if hmac.compare_digest(signature, self._mac("cookie", token)) else None

    def csrf(self, token: str, purpose: str = "session") -> str:
        """The CSRF token for a session (or login nonce) ``token``."""
        return self._mac(f"csrf-{purpose}", token)

    def check_csrf(self, token: str, given: str | None, purpose: str = "session") -> bool:
        return bool(given) and hmac.compare_digest(str(given), self.csrf(token, purpose))


def cookie_token(header: bytes | None, name: str) -> str | None:
    """The value of cookie ``name`` in a raw ``Cookie`` header."""
    if not header:
        return None
    for part in header.decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
