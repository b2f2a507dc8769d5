"""The admin pages: keys and users, per-project settings, the audit log. Every form carries a CSRF token.

    /settings                         keys (create, revoke), users, projects   (+ /settings.json)
    /settings/projects/<p>            rename, retention policy, redaction, delete (type the name to confirm)
    /settings/audit                   the audit log, newest first
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tracehound.errors import InvalidValue
from tracehound.governance import audit, keys, projects
from tracehound.server import access
from tracehound.server.forms import checked_form
from tracehound.server.responses import FastJSON
from tracehound.server.routes.projects import project_details
from tracehound.server.routes.retention import PolicyBody, policy_from
from tracehound.server.services import Services, services
from tracehound.store.governance import ROLES
from tracehound.ui.templating import render

router = APIRouter(include_in_schema=False)


def settings_context(svc: Services, new_key: dict[str, Any] | None = None, error: str | None = None) -> dict[str, Any]:
    gov = svc.meta.governance
    return {"keys": [keys.key_record(k) for k in gov.list_api_keys()],
            "users": [keys.user_record(u) for u in gov.list_users()],
            "projects": [p.name for p in svc.meta.list_projects()], "roles": list(ROLES),
            "new_key": new_key, "error": error}


@router.get("/settings")
def settings_page(svc: Services = Depends(services)) -> Response:
    return HTMLResponse(render("settings.html", settings_context(svc)))


@router.get("/settings.json")
def settings_json(svc: Services = Depends(services)) -> Response:
    return FastJSON(settings_context(svc))


def _projects_field(text: str) -> list[str] | None:
    names = [name.strip() for name in text.split(",") if name.strip()]
    return names or None


@router.post("/settings/keys")
async def create_key(request: Request, svc: Services = Depends(services)) -> Response:
    """Create a key from the form and show it once, on this answer only."""
    fields = await checked_form(request)
    try:
        secret, record = keys.create_key(svc.meta.governance, name=fields.get("name", ""),
                                         role=fields.get("role", ""),
                                         projects=_projects_field(fields.get("projects", "")),
                                         actor=access.of(request).actor)
    except ValueError as exc:
        return HTMLResponse(render("settings.html", settings_context(svc, error=str(exc))), status_code=422)
    svc.access.invalidate()
    context = settings_context(svc, new_key={"key": secret, **keys.key_record(record)})
    return HTMLResponse(render("settings.html", context), status_code=201,
                        headers={"Cache-Control": "no-store"})


@router.post("/settings/keys/{key_id}/revoke")
async def revoke_key(key_id: str, request: Request, svc: Services = Depends(services)) -> Response:
    await checked_form(request)
    keys.revoke_key(svc.meta.governance, key_id, actor=access.of(request).actor)
    svc.access.invalidate()
    return RedirectResponse("/settings", status_code=303)


@router.get("/settings/projects/{project}")
def project_page(project: str, svc: Services = Depends(services)) -> Response:
    return HTMLResponse(render("settings_project.html", {**project_details(svc, project), "error": None}))


def _days(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a number of days", field="days") from None


@router.post("/settings/projects/{project}")
async def project_action(project: str, request: Request, svc: Services = Depends(services)) -> Response:
    """One of the page's forms: ``action`` = retention | rename | delete."""
    fields = await checked_form(request)
    actor = access.of(request).actor
    action = fields.get("action")
    if action == "retention":
        body = PolicyBody(*(_days(fields.get(name)) for name in ("ok_days", "failed_days", "payload_days",
                                                                  "rollup_days")))
        policy = policy_from(project, body)
        svc.meta.governance.set_retention(policy)
        audit.record(svc.meta.governance, actor, "retention.set", project, project,
                     ok_days=policy.ok_days, failed_days=policy.failed_days, payload_days=policy.payload_days,
                     rollup_days=policy.rollup_days)
        svc.retention.wake()
        return RedirectResponse(f"/settings/projects/{project}", status_code=303)
    if action == "rename":
        renamed = projects.rename_project(svc.meta, project, fields.get("name", ""), actor=actor)
        svc.retention.wake()
        return RedirectResponse(f"/settings/projects/{renamed.name}", status_code=303)
    if action == "delete":
        projects.delete_project(svc.meta, project, confirm=fields.get("confirm"), actor=actor)
        svc.retention.wake()
        return RedirectResponse("/settings", status_code=303)
    raise InvalidValue(f"unknown action {action!r}", field="action")


@router.get("/settings/audit")
def audit_page(before: int | None = None, action: str | None = None, svc: Services = Depends(services)) -> Response:
    entries = svc.meta.governance.list_audit(limit=200, before_seq=before, action=action or None)
    return HTMLResponse(render("audit.html", {"entries": [audit.entry_record(e) for e in entries],
                                              "action": action}))
