"""API keys, users, the audit log and ``whoami`` (admin routes, except ``whoami``).

    POST   /api/v1/keys                 {name, role, projects?}  → the key, shown this once
    GET    /api/v1/keys                 prefixes, names, roles, projects, created, last used, revoked
    DELETE /api/v1/keys/{id}            revoke
    POST   /api/v1/users                {username, password, role, projects?}
    GET    /api/v1/users
    PATCH  /api/v1/users/{username}     {password?, role?, projects?, disabled?}
    GET    /api/v1/audit                ?limit=&before=&action=
    GET    /api/v1/whoami               the caller's kind, name, role and projects
"""

from __future__ import annotations

import msgspec
from fastapi import APIRouter, Depends, Request

from tracehound.governance import audit, keys
from tracehound.server import access
from tracehound.server.decode import InvalidRequest, json_body
from tracehound.server.responses import FastJSON
from tracehound.server.services import Services, services

router = APIRouter()
_MAX_BODY = 64 * 1024


class KeyBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    role: str
    projects: list[str] | None = None


class UserBody(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str
    role: str
    projects: list[str] | None = None


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    password: str | None = None
    role: str | None = None
    projects: list[str] | msgspec.UnsetType | None = msgspec.UNSET
    disabled: bool | None = None


def _invalid(exc: ValueError, field: str) -> InvalidRequest:
    return InvalidRequest(str(exc), field=field)


@router.post("/api/v1/keys", response_class=FastJSON, status_code=201)
async def create_key(request: Request, svc: Services = Depends(services)) -> FastJSON:
    """Make a key; the answer holds the secret, which is never shown again."""
    body = await json_body(request, KeyBody, _MAX_BODY)
    try:
        secret, record = keys.create_key(svc.meta.governance, name=body.name, role=body.role,
                                         projects=body.projects, actor=access.of(request).actor)
    except ValueError as exc:
        raise _invalid(exc, "role" if "role" in str(exc) else "name") from None
    svc.access.invalidate()
    return FastJSON({"key": secret, **keys.key_record(record)}, status_code=201)


@router.get("/api/v1/keys", response_class=FastJSON)
def list_keys(svc: Services = Depends(services)) -> FastJSON:
    return FastJSON({"keys": [keys.key_record(key) for key in svc.meta.governance.list_api_keys()]})


@router.delete("/api/v1/keys/{key_id}", response_class=FastJSON)
def revoke_key(key_id: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    record = keys.revoke_key(svc.meta.governance, key_id, actor=access.of(request).actor)
    svc.access.invalidate()
    return FastJSON(keys.key_record(record))


@router.post("/api/v1/users", response_class=FastJSON, status_code=201)
async def create_user(request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, UserBody, _MAX_BODY)
    try:
        user = keys.create_user(svc.meta.governance, username=body.username, password=body.password,
                                role=body.role, projects=body.projects, actor=access.of(request).actor)
    except ValueError as exc:
        field = "password" if "password" in str(exc) else "role" if "role" in str(exc) else "username"
        raise _invalid(exc, field) from None
    svc.access.invalidate()
    return FastJSON(keys.user_record(user), status_code=201)


@router.get("/api/v1/users", response_class=FastJSON)
def list_users(svc: Services = Depends(services)) -> FastJSON:
    return FastJSON({"users": [keys.user_record(user) for user in svc.meta.governance.list_users()]})


@router.patch("/api/v1/users/{username}", response_class=FastJSON)
async def update_user(username: str, request: Request, svc: Services = Depends(services)) -> FastJSON:
    body = await json_body(request, UserPatch, _MAX_BODY)
    projects = None if body.projects is msgspec.UNSET else body.projects
    try:
        user = keys.update_user(svc.meta.governance, username, actor=access.of(request).actor,
                                password=body.password, role=body.role, projects=projects,
                                all_projects=body.projects is None, disabled=body.disabled)
    except ValueError as exc:
        raise _invalid(exc, "password" if "password" in str(exc) else "role") from None
    svc.access.invalidate()
    return FastJSON(keys.user_record(user))


@router.get("/api/v1/audit", response_class=FastJSON)
def list_audit(limit: int = 100, before: int | None = None, action: str | None = None,
               svc: Services = Depends(services)) -> FastJSON:
    """Newest first; pass the last entry's ``seq`` as ``before`` for the next page."""
    if not 1 <= limit <= 1000:
        raise InvalidRequest("limit must be between 1 and 1000", field="limit")
    entries = svc.meta.governance.list_audit(limit=limit, before_seq=before, action=action)
    return FastJSON({"entries": [audit.entry_record(entry) for entry in entries]})


@router.get("/api/v1/whoami", response_class=FastJSON)
def whoami(request: Request) -> FastJSON:
    """Who the server takes the caller for: handy to check a key before wiring it into an SDK."""
    who = access.of(request)
    return FastJSON({"kind": who.kind, "name": who.name, "role": who.role,
                     "projects": None if who.projects is None else sorted(who.projects)})
