"""Default-deny access control: every request's credential becomes a ``Principal`` checked against its route.

Credentials, in order: ``X-API-Key`` or ``Authorization: Bearer`` (what our SDK, the LangSmith SDK and
OTLP exporters send; an API key, or ``TRACEHOUND_SERVER_API_KEY`` as an all-projects admin), or
``Authorization: Basic`` whose password is an API key (Langfuse-style ``public:secret``), then the
UI's signed session cookie. The route's permission and project scope come from
``server/permissions.py``; a route missing there needs admin over every project.

Answers: no or unknown credential → 401 (an HTML page request is sent to ``/login`` instead); a role
without the permission → 403; a project outside the credential's scope → 404, like a project that does
not exist. Keys are compared by SHA-256 (one indexed look-up) and a constant-time comparison; no key
or token is ever logged or echoed.

Access control is on when ``TRACEHOUND_AUTH=on``, or (``auto``, the default) once a key or user
exists or ``TRACEHOUND_SERVER_API_KEY`` is set; with it off every request is ``access.OPEN``.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from typing import Final
from urllib.parse import parse_qsl, quote, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from tracehound.governance.credentials import hash_secret
from tracehound.governance.roles import PUBLIC
from tracehound.server import access, permissions
from tracehound.server.access import Principal
from tracehound.server.responses import FastJSON
from tracehound.server.sessions import CSRF_HEADER, SESSION_COOKIE, Signer, cookie_token
from tracehound.settings import Settings
from tracehound.store.base import MetaStore
from tracehound.store.governance import ApiKey, User
from tracehound.timefmt import now_us

CACHE_S: Final = 2.0  # a key revoked from another process (the CLI) stops working within this
LAST_USE_EVERY_US: Final = 60_000_000  # last-use times are written at most once a minute per key
_SAFE: Final = frozenset({"GET", "HEAD", "OPTIONS"})


class Authenticator:
    """Resolves credentials to principals, with a short cache so ingest pays one dict look-up per request."""

    def __init__(self, settings: Settings, meta: MetaStore) -> None:
        self.mode = settings.auth
        self._server_key = settings.server_api_key.encode() if settings.server_api_key else None
        self.governance = meta.governance
        self.session_ttl_us = int(settings.session_hours * 3600 * 1_000_000)
        self.signer = Signer(self.governance.secret("session-signing", lambda: secrets.token_bytes(32)))
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[float, Principal | None]] = {}
        self._enabled: tuple[float, bool] = (0.0, False)
        self._last_used: dict[str, int] = {}

    @property
    def enabled(self) -> bool:
        if self.mode != "auto":
            return self.mode == "on"
        if self._server_key is not None:
            return True
        at, value = self._enabled
        if time.monotonic() - at > CACHE_S:
            value = self.governance.count_credentials() > 0
            self._enabled = (time.monotonic(), value)
        return value

    def invalidate(self) -> None:
        """Forget cached keys and the on/off state (after a key or user changes in this process)."""
        with self._lock:
            self._keys.clear()
            self._enabled = (0.0, False)

    def from_key(self, given: bytes) -> Principal | None:
        """The principal of an API key, or ``None`` when it is unknown or revoked."""
        if self._server_key is not None and hmac.compare_digest(given, self._server_key):
            return Principal("server_key", "TRACEHOUND_SERVER_API_KEY", "admin")
        digest = hash_secret(given)
        cached = self._keys.get(digest)
        if cached is not None and time.monotonic() - cached[0] < CACHE_S:
            principal = cached[1]
        else:
            record = self.governance.find_api_key(digest)
            ok = record is not None and record.revoked_us is None and hmac.compare_digest(record.key_hash, digest)
            principal = key_principal(record) if ok and record is not None else None
            with self._lock:
                if len(self._keys) > 10_000:
                    self._keys.clear()
                self._keys[digest] = (time.monotonic(), principal)
        if principal is not None and principal.key_id is not None:
            self._note_use(principal.key_id)
        return principal

    def from_cookie(self, cookie: str | None) -> Principal | None:
        """The principal of a signed, live session cookie (the user or key it signed in with, as now)."""
        token = self.signer.token_of(cookie)
        if token is None:
            return None
        session = self.governance.get_session(hash_secret(token))
        if session is None or session.expires_us < now_us():
            return None
        principal: Principal | None = None
        if session.subject_kind == "user":
            user = self.governance.get_user(session.subject)
            if user is not None and user.disabled_us is None:
                principal = user_principal(user)
        elif session.subject_kind == "server_key":
            if self._server_key is not None:
                principal = Principal("server_key", "TRACEHOUND_SERVER_API_KEY", "admin")
        else:
            record = self.governance.get_api_key(session.subject)
            if record is not None and record.revoked_us is None:
                principal = key_principal(record)
        if principal is None:
            return None
        return Principal(principal.kind, principal.name, principal.role, principal.projects, principal.key_id,
                         session_hash=session.token_hash, csrf=self.signer.csrf(token))

    def _note_use(self, key_id: str) -> None:
        now = now_us()
        last = self._last_used.get(key_id, 0)
        if now - last < LAST_USE_EVERY_US:
            return
        self._last_used[key_id] = now
        try:
            self.governance.touch_api_keys({key_id: now})
        except Exception:
            self._last_used[key_id] = last


def key_principal(record: ApiKey) -> Principal:
    projects = None if record.projects is None else frozenset(record.projects)
    return Principal("key", f"{record.prefix} ({record.name})", record.role, projects, record.id)


def user_principal(user: User) -> Principal:
    projects = None if user.projects is None else frozenset(user.projects)
    return Principal("user", user.username, user.role, projects)


def _given_key(scope: Scope) -> tuple[bytes | None, bytes | None]:
    """``(API key, Cookie header)`` from the request headers."""
    key = cookie = None
    for name, value in scope.get("headers") or ():
        if name == b"x-api-key":
            key = value.strip()
        elif name == b"authorization" and value[:7].lower() == b"bearer " and key is None:
            key = value[7:].strip()
        elif name == b"authorization" and value[:6].lower() == b"basic " and key is None:
            key = _basic_password(value[6:].strip())
        elif name == b"cookie":
            cookie = value
    return key, cookie


def _basic_password(encoded: bytes) -> bytes:
    """The password of ``Authorization: Basic`` (clients that send ``public:secret``, e.g. Langfuse SDKs,
    put a tracehound API key as the secret); an undecodable value yields one that matches no key."""
    import base64
    import binascii

    try:
        return base64.b64decode(encoded, validate=True).partition(b":")[2] or b"-"
    except (binascii.Error, ValueError):
        return b"-"


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope.get("headers") or ():
        if name == wanted:
            return value
    return None


def _wants_page(scope: Scope) -> bool:
    if scope["method"] != "GET" or scope["path"].startswith(("/api/", "/v1/", "/-/langsmith")):
        return False
    accept = _header(scope, b"accept") or b""
    return b"text/html" in accept


class AccessControl:
    """ASGI middleware: authenticate, authorise against ``permissions.RULES``, then set the principal."""

    def __init__(self, app: ASGIApp, *, authenticator: Authenticator) -> None:
        self.app = app
        self.auth = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.auth.enabled:
            self._admit(scope, access.OPEN)
            await self.app(scope, receive, send)
            return
        rule, params = permissions.match(scope["method"], scope["path"])
        key, cookie_header = _given_key(scope)
        principal: Principal | None = None
        if key is not None:
            principal = self.auth.from_key(key)
            if principal is None:
                await _deny(scope, receive, send, 401, "unauthorized", "unknown or revoked API key")
                return
        else:
            cookie = cookie_token(cookie_header, SESSION_COOKIE)
            if cookie is not None:
                principal = self.auth.from_cookie(cookie)
        if rule.permission == PUBLIC:
            self._admit(scope, principal or access.ANONYMOUS)
            await self.app(scope, receive, send)
            return
        if principal is None:
            if _wants_page(scope):
                target = scope["path"] + ("?" + scope["query_string"].decode() if scope.get("query_string") else "")
                await _redirect(scope, receive, send, "/login?next=" + quote(target, safe=""))
                return
            await _deny(scope, receive, send, 401, "unauthorized",
                        "this server needs a credential: send X-API-Key (or Authorization: Bearer) or sign in")
            return
        if not principal.can(rule.permission):
            await _deny(scope, receive, send, 403, "forbidden",
                        f"the {principal.role} role may not do this (needs {rule.permission})")
            return
        if (principal.session_hash is not None and key is None and scope["method"] not in _SAFE
                and rule.csrf == "header" and not self._csrf_ok(scope, cookie_header)):
            await _deny(scope, receive, send, 403, "csrf", "missing or wrong CSRF token (send X-CSRF-Token)")
            return
        if principal.projects is not None and not await self._in_scope(scope, receive, send, rule, params, principal):
            return
        self._admit(scope, principal)
        await self.app(scope, receive, send)

    def _csrf_ok(self, scope: Scope, cookie_header: bytes | None) -> bool:
        token = self.auth.signer.token_of(cookie_token(cookie_header, SESSION_COOKIE))
        given = _header(scope, CSRF_HEADER.encode())
        return token is not None and self.auth.signer.check_csrf(token, given.decode("latin-1") if given else None)

    async def _in_scope(self, scope: Scope, receive: Receive, send: Send, rule: permissions.Rule,
                        params: dict[str, str], principal: Principal) -> bool:
        """Check (or fill in) the project a scoped credential asks for; answer and return False when refused."""
        assert principal.projects is not None
        if rule.scope == "global":
            await _deny(scope, receive, send, 403, "forbidden",
                        "this credential is limited to some projects; this resource needs one for every project")
            return False
        if rule.scope == "path" and not principal.sees(params.get("project", "")):
            await _deny(scope, receive, send, 404, "not_found", f"no project named {params.get('project')!r}")
            return False
        if rule.scope == "query":
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            named = [value for name, value in query if name == "project" and value]
            if any(not principal.sees(value) for value in named):
                await _deny(scope, receive, send, 404, "not_found", f"no project named {named[0]!r}")
                return False
            if not named:
                if not principal.projects:
                    await _deny(scope, receive, send, 404, "not_found", "no project")
                    return False
                query = [(name, value) for name, value in query if name != "project"]
                query.append(("project", sorted(principal.projects)[0]))
                scope["query_string"] = urlencode(query).encode("latin-1")
        return True

    @staticmethod
    def _admit(scope: Scope, principal: Principal) -> None:
        scope.setdefault("state", {})["principal"] = principal
        access.set_current(principal)


async def _deny(scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str) -> None:
    headers = {"WWW-Authenticate": 'Bearer realm="tracehound"'} if status == 401 else None
    if _wants_page(scope):
        from tracehound.server.routes.pages import error_page

        response = error_page(status, code, message)
    else:
        response = FastJSON({"error": {"code": code, "message": message, "field": None}}, status_code=status,
                            headers=headers)
    await response(scope, receive, send)


async def _redirect(scope: Scope, receive: Receive, send: Send, location: str) -> None:
    from starlette.responses import RedirectResponse

    await RedirectResponse(location, status_code=303)(scope, receive, send)
