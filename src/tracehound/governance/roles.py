"""Roles and what each may do.

::

    ingest  write spans only (SDKs, OTLP exporters, the LangSmith SDK)
    viewer  read traces, runs, metrics, datasets, alerts
    editor  viewer + ingest + datasets, experiments, feedback, alert rules and silences
    admin   editor + keys, users, retention, projects, audit log

A route declares one permission (``server/permissions.py``); a role grants a set of them.
"""

from __future__ import annotations

from typing import Final

from tracehound.store.governance import ROLES

PUBLIC: Final = "public"  # no credential needed: /healthz, the login page, static assets
SIGNED_IN: Final = "signed_in"  # any valid credential, whatever its role
INGEST: Final = "ingest"
READ: Final = "read"
WRITE: Final = "write"
ADMIN: Final = "admin"
PERMISSIONS: Final = (PUBLIC, SIGNED_IN, INGEST, READ, WRITE, ADMIN)

GRANTS: Final[dict[str, frozenset[str]]] = {
    "ingest": frozenset({PUBLIC, SIGNED_IN, INGEST}),
    "viewer": frozenset({PUBLIC, SIGNED_IN, READ}),
    "editor": frozenset({PUBLIC, SIGNED_IN, READ, INGEST, WRITE}),
    "admin": frozenset(PERMISSIONS),
}
assert set(GRANTS) == set(ROLES)


def check_role(role: str) -> str:
    """``role`` when it is one of ``ROLES``. Raises ``ValueError`` naming the choices."""
    if role not in GRANTS:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return role
