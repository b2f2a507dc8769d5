"""Governance records and their store protocol: API keys, users, UI sessions, audit log, retention, redaction.

They live in the meta store (``meta.governance``), beside projects, because they are small, relational
and read far more often than written. Secrets are never stored: an API key or a session token is kept
as the SHA-256 of a high-entropy value (so a stolen database yields nothing to replay), a password as
an argon2 hash made by the server (``tracehound.server.passwords``); the store only compares hashes.

``projects`` on a key or a user is ``None`` for every project, else the projects it may touch.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

ROLES: Final = ("ingest", "viewer", "editor", "admin")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as stored: its hash, never the key. ``prefix`` is the visible start of the key."""

    id: str
    name: str
    prefix: str
    key_hash: str
    role: str
    projects: tuple[str, ...] | None
    created_us: int
    created_by: str | None = None
    last_used_us: int | None = None
    revoked_us: int | None = None


@dataclass(frozen=True, slots=True)
class User:
    """A person who signs in to the UI; ``password_hash`` is an argon2 (or bcrypt) hash string."""

    username: str
    password_hash: str
    role: str
    projects: tuple[str, ...] | None
    created_us: int
    disabled_us: int | None = None


@dataclass(frozen=True, slots=True)
class UiSession:
    """A signed-in browser: the hash of its cookie token and who it is (a user or a key id)."""

    token_hash: str
    subject_kind: str  # "user" | "key"
    subject: str
    created_us: int
    expires_us: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One thing someone did: ``actor`` names the credential, ``target`` what it touched."""

    at_us: int
    actor: str
    action: str
    target: str | None = None
    project: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long a project keeps things, in days; ``None`` keeps forever.

    ``ok_days``: traces whose root ended fine. ``failed_days``: traces with an error, an interrupt or a
    flag. ``payload_days``: inputs/outputs after which they are dropped (the span, timing, tokens and
    cost stay). ``rollup_days``: the per-minute/hour/day aggregates.
    """

    project: str
    ok_days: float | None = None
    failed_days: float | None = None
    payload_days: float | None = None
    rollup_days: float | None = None
    updated_us: int = 0


@dataclass(frozen=True, slots=True)
class RetentionRun:
    """What one retention pass removed from one project (or would have, when ``dry_run``)."""

    at_us: int
    project: str
    traces: int = 0
    spans: int = 0
    payloads: int = 0
    rollups: int = 0
    dry_run: bool = False
    seq: int = 0


class GovernanceStore(Protocol):
    """Keys, users, sessions, audit, retention and redaction settings (``meta.governance``)."""

    # keys
    def add_api_key(self, key: ApiKey) -> None:
        """Store a new key. Raises ``Conflict`` when its id or name is taken."""

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        """The key with this hash, revoked or not (the caller checks ``revoked_us``)."""

    def get_api_key(self, key_id: str) -> ApiKey | None: ...

    def list_api_keys(self) -> list[ApiKey]:
        """Every key, newest first, revoked ones included."""

    def revoke_api_key(self, key_id: str, at_us: int) -> bool:
        """Mark the key revoked; ``False`` when unknown or already revoked."""

    def touch_api_keys(self, last_used: dict[str, int]) -> None:
        """Record last use times (key id → µs); called in batches, never per request."""

    # users
    def add_user(self, user: User) -> None:
        """Raises ``Conflict`` when the username is taken."""

    def get_user(self, username: str) -> User | None: ...

    def list_users(self) -> list[User]: ...

    def update_user(self, username: str, *, password_hash: str | None = None, role: str | None = None,
                    projects: Sequence[str] | None = None, all_projects: bool = False,
                    disabled_us: int | None = None) -> User:
        """Change a user (``None`` keeps a value; ``disabled_us=0`` enables). Raises ``NotFound``."""

    def count_credentials(self) -> int:
        """Active keys plus enabled users: access control turns itself on when this is above zero."""

    # UI sessions
    def add_session(self, session: UiSession) -> None: ...

    def get_session(self, token_hash: str) -> UiSession | None: ...

    def delete_session(self, token_hash: str) -> None: ...

    # audit log (append-only: there is no update or delete)
    def append_audit(self, entry: AuditEntry) -> None: ...

    def list_audit(self, *, limit: int = 100, before_seq: int | None = None,
                   action: str | None = None) -> list[AuditEntry]:
        """Newest first."""

    # retention
    def get_retention(self, project: str) -> RetentionPolicy | None: ...

    def set_retention(self, policy: RetentionPolicy) -> None: ...

    def list_retention(self) -> list[RetentionPolicy]: ...

    def delete_retention(self, project: str) -> None: ...

    def add_retention_run(self, run: RetentionRun) -> None: ...

    def list_retention_runs(self, *, project: str | None = None, limit: int = 100) -> list[RetentionRun]:
        """Newest first."""

    def protected_run_ids(self) -> set[str]:
        """Run ids a dataset example was promoted from or waiting in an annotation queue (not yet
        completed): retention never removes their traces."""

    # per-project settings
    def get_project_setting(self, project: str, name: str) -> Any:
        """A JSON value, or ``None`` when unset."""

    def set_project_setting(self, project: str, name: str, value: Any) -> None:
        """``None`` removes the setting."""

    def project_settings(self, name: str) -> dict[str, Any]:
        """The setting ``name`` of every project that has it."""

    def rename_project_records(self, old: str, new: str) -> None:
        """Carry retention and settings over to a renamed project."""

    # server secrets (cookie signing)
    def secret(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The named secret, created with ``make()`` the first time and kept from then on."""


class SpanRetention(Protocol):
    """The span store's deletions for retention and project removal (``spans.retention``).

    Each call is one short write transaction, so callers loop in small batches and ingest never waits
    long. Removing spans leaves the rollups alone: aggregates have their own retention.
    """

    def expired_traces(self, project: str, *, before_us: int, failed: bool, limit: int,
                       skip: Collection[str] = ()) -> list[str]:
        """Oldest first: ids of the project's traces whose root started before ``before_us`` and that
        failed (a span errored or was interrupted, or the root was flagged ``keep``) or not; ``skip``
        names traces never to return."""

    def count_expired(self, project: str, *, before_us: int, failed: bool,
                      skip: Collection[str] = ()) -> tuple[int, int]:
        """``(traces, spans)`` that ``expired_traces`` would return without a limit (for dry runs)."""

    def delete_traces(self, trace_ids: Sequence[str]) -> int:
        """Remove whole traces and their feedback; returns spans removed."""

    def drop_payloads(self, project: str, *, from_us: int, before_us: int, limit: int,
                      skip: Collection[str] = ()) -> tuple[int, int | None]:
        """Clear inputs/outputs/events of up to ``limit`` spans started in ``[from_us, before_us)``, oldest
        first; returns how many and the start time reached (``None`` when nothing was left)."""

    def count_payloads(self, project: str, *, from_us: int, before_us: int, skip: Collection[str] = ()) -> int: ...

    def delete_rollups(self, project: str, *, before_us: int, dry_run: bool = False) -> int:
        """Remove (or count) the project's rollup buckets that end before ``before_us``."""

    def delete_project_spans(self, project: str, *, limit: int) -> int:
        """Remove up to ``limit`` spans of the project; the last batch takes its aggregates too."""

    def rename_project_spans(self, old: str, new: str, *, limit: int) -> int:
        """Move up to ``limit`` spans to the new name; the last batch moves the aggregates."""
