"""The audit log: one append-only row per thing an admin (or a job) did, shared by API, CLI and UI.

Actions: ``key.create``, ``key.revoke``, ``user.create``, ``user.update``, ``retention.set``,
``retention.run``, ``redaction.set``, ``project.create``, ``project.rename``, ``project.delete``,
``dataset.delete``, ``login``, ``login.failed``. ``detail`` never holds a secret.
"""

from __future__ import annotations

from typing import Any

from tracehound.store.governance import AuditEntry, GovernanceStore
from tracehound.timefmt import iso, now_us


def record(store: GovernanceStore, actor: str, action: str, target: str | None = None,
           project: str | None = None, **detail: Any) -> None:
    """Append one entry (the store refuses updates and deletes of the log)."""
    store.append_audit(AuditEntry(at_us=now_us(), actor=actor, action=action, target=target, project=project,
                                  detail=detail))


def entry_record(entry: AuditEntry) -> dict[str, Any]:
    """The JSON shape of an entry (API, CLI ``--json``, the UI's JSON twin)."""
    return {"seq": entry.seq, "at": iso(entry.at_us), "actor": entry.actor, "action": entry.action,
            "target": entry.target, "project": entry.project, "detail": entry.detail}
