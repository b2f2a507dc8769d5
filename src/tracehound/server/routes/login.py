"""Signing in to the UI and out again.

    GET  /login?next=/runs      the form: username + password, or an API key
    POST /login                 checks the login CSRF token, then the credential; sets the session cookie
    POST /logout                ends the session (its row is deleted, so the cookie is dead everywhere)

Failed sign-ins answer 401 with the form again and are written to the audit log (the username, never
the password or key). An unknown username costs the same argon2 time as a wrong password.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracehound.governance import audit
from tracehound.governance.credentials import burn_password_check, hash_secret, verify_password
from tracehound.server import access
from tracehound.server.access import Principal
from tracehound.server.auth import user_principal
from tracehound.server.forms import checked_form, form_fields
from tracehound.server.services import Services, services
from tracehound.server.sessions import CSRF_FIELD, LOGIN_COOKIE, SESSION_COOKIE, cookie_token
from tracehound.store.governance import UiSession
from tracehound.timefmt import now_us
from tracehound.ui.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """Only a path on this server: never ``//evil.example`` or ``https://…`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _form(request: Request, svc: Services, *, next_url: str, error: str | None = None,
          status: int = 200) -> Response:
    nonce = svc.access.signer.token_of(cookie_token(request.headers.get("cookie", "").encode(), LOGIN_COOKIE))
    cookie = None
    if nonce is None:
        nonce, cookie = svc.access.signer.new_cookie()
    html = render("login.html", {"next": next_url, "error": error, "csrf": svc.access.signer.csrf(nonce, "login"),
                                 "enabled": svc.access.enabled})
    response = HTMLResponse(html, status_code=status)
    if cookie is not None:
        response.set_cookie(LOGIN_COOKIE, cookie, max_age=3600, httponly=True, samesite="lax",
                            secure=_secure(request), path="/login")
    return response


@router.get("/login")
def login_page(request: Request, next: str | None = None, svc: Services = Depends(services)) -> Response:
    return _form(request, svc, next_url=safe_next(next))


def _check(svc: Services, fields: dict[str, str]) -> tuple[Principal | None, str, str]:
    """The principal the form's credential names, with the session subject ``(kind, id)``."""
    api_key = fields.get("api_key", "").strip()
    if api_key:
        principal = svc.access.from_key(api_key.encode())
        if principal is None:
            return None, "", ""
        if principal.kind == "server_key":
            return principal, "server_key", ""
        return principal, "key", principal.key_id or ""
    username, password = fields.get("username", "").strip(), fields.get("password", "")
    user = svc.meta.governance.get_user(username) if username else None
    if user is None:
        burn_password_check(password)
        return None, "", ""
    if not verify_password(user.password_hash, password) or user.disabled_us is not None:
        return None, "", ""
    return user_principal(user), "user", user.username


@router.post("/login")
async def login(request: Request, svc: Services = Depends(services)) -> Response:
    fields = await form_fields(request)
    next_url = safe_next(fields.get("next"))
    nonce = svc.access.signer.token_of(cookie_token(request.headers.get("cookie", "").encode(), LOGIN_COOKIE))
    if nonce is None or not svc.access.signer.check_csrf(nonce, fields.get(CSRF_FIELD), "login"):
        return _form(request, svc, next_url=next_url, error="The form expired; please sign in again.", status=403)
    principal, kind, subject = _check(svc, fields)
    if principal is None:
        audit.record(svc.meta.governance, "anonymous", "login.failed", fields.get("username") or "api key")
        return _form(request, svc, next_url=next_url, error="Wrong username, password or key.", status=401)
    token, cookie = svc.access.signer.new_cookie()
    stamp = now_us()
    svc.meta.governance.add_session(UiSession(hash_secret(token), kind, subject, stamp,
                                              stamp + svc.access.session_ttl_us))
    audit.record(svc.meta.governance, principal.actor, "login")
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(SESSION_COOKIE, cookie, max_age=svc.access.session_ttl_us // 1_000_000, httponly=True,
                        samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, svc: Services = Depends(services)) -> Response:
    await checked_form(request)
    who = access.of(request)
    if who.session_hash is not None:
        svc.meta.governance.delete_session(who.session_hash)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
