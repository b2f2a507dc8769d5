"""Who is asking, and what they may see: the ``Principal`` of a request and the checks routes use.

The access middleware (``server/auth.py``) resolves every request's credential to a ``Principal``
and stores it as ``request.state.principal`` (and in a context variable, so code without the
request can ask ``current()``). Routes that serve project data narrow with it::

    from tracehound.server import access

    access.require_project(span.project)        # NotFound (404) outside the caller's projects
    names = access.visible(all_project_names)   # only the caller's projects
    scope = access.current().projects           # None = every project

A project outside the caller's scope answers 404 exactly like a project that does not exist, so a
key cannot learn which other projects there are. With access control off every request is the
``OPEN`` principal (admin over every project).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from tracehound.errors import Forbidden, NotFound
from tracehound.governance.roles import GRANTS


@dataclass(frozen=True, slots=True)
class Principal:
    """A resolved credential. ``projects`` is ``None`` for every project."""

    kind: str  # "key" | "user" | "server_key" | "open" | "anonymous"
    name: str
    role: str | None
    projects: frozenset[str] | None = None
    key_id: str | None = None
    session_hash: str | None = None  # set when the credential came from the UI's session cookie
    csrf: str | None = None  # the CSRF token pages embed for this session

    def can(self, permission: str) -> bool:
        """Whether the role grants ``permission`` (see ``governance/roles.py``)."""
        return self.role is not None and permission in GRANTS[self.role]

    def sees(self, project: str) -> bool:
        return self.projects is None or project in self.projects

    @property
    def is_admin(self) -> bool:
        """Admin over every project: keys, users, retention, the audit log."""
        return self.role == "admin" and self.projects is None

    @property
    def actor(self) -> str:
        """How the audit log names this principal."""
        return f"{self.kind}:{self.name}"


OPEN = Principal("open", "access-control-off", "admin")
ANONYMOUS = Principal("anonymous", "anonymous", None, frozenset())

_current: ContextVar[Principal] = ContextVar("tracehound_principal", default=OPEN)


def set_current(principal: Principal) -> None:
    """Called by the middleware once per request (each request runs in its own context)."""
    _current.set(principal)


def current() -> Principal:
    """The principal of the request being served (``OPEN`` outside a request)."""
    return _current.get()


def of(request: Any) -> Principal:
    """``request.state.principal``, or ``OPEN`` when the middleware did not run (access control off)."""
    return getattr(request.state, "principal", OPEN)  # type: ignore[no-any-return]


def require_project(project: str | None, principal: Principal | None = None) -> None:
    """Raise ``NotFound`` when the caller may not see ``project`` (the same answer as a missing project)."""
    who = principal or current()
    if project is not None and not who.sees(project):
        raise NotFound(f"no project named {project!r}")


def visible(projects: Iterable[str], principal: Principal | None = None) -> list[str]:
    """The names among ``projects`` the caller may see, in the given order."""
    who = principal or current()
    return [name for name in projects if who.sees(name)]


def require_all_projects(principal: Principal | None = None) -> None:
    """For records that are not per project (datasets, alert rules): a project-scoped key may not touch them."""
    who = principal or current()
    if who.projects is not None:
        raise Forbidden("this credential is limited to some projects; this resource needs one for every project")


def check_ingest(projects: Iterable[str], principal: Principal | None = None) -> None:
    """Every project a batch writes to must be in the caller's scope (else 404, nothing is stored)."""
    who = principal or current()
    if who.projects is None:
        return
    for project in set(projects):
        require_project(project, who)


def narrow_projects(requested: str | list[str] | None,
                    principal: Principal | None = None) -> str | list[str] | None:
    """The projects a listing may read: the requested ones (404 if any is out of scope), else the
    caller's own (``None`` = every project, for an unscoped caller)."""
    who = principal or current()
    if who.projects is None:
        return requested
    if requested:
        for name in [requested] if isinstance(requested, str) else requested:
            require_project(name, who)
        return requested
    if not who.projects:
        raise NotFound("no project")
    return sorted(who.projects)
