"""Creating, listing and revoking API keys and users: the one implementation behind API, CLI and UI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracehound.errors import NotFound
from tracehound.governance import audit
from tracehound.governance.credentials import hash_password, new_api_key
from tracehound.governance.roles import check_role
from tracehound.store.governance import ApiKey, GovernanceStore, User
from tracehound.timefmt import iso, now_us


def create_key(store: GovernanceStore, *, name: str, role: str, projects: Sequence[str] | None,
               actor: str) -> tuple[str, ApiKey]:
    """Make and store a key; returns the secret (to show once) and its record. Audited.

    Raises:
        ValueError: an unknown role or empty name/project list.
    """
    secret, record = new_api_key(name, role, projects, created_by=actor)
    store.add_api_key(record)
    audit.record(store, actor, "key.create", record.prefix, None, name=record.name, role=role,
                 projects=None if record.projects is None else list(record.projects))
    return secret, record


def revoke_key(store: GovernanceStore, key_id: str, *, actor: str) -> ApiKey:
    """Revoke by id (or by visible prefix ``th_<id>``). Raises ``NotFound``. Audited."""
    key_id = key_id.removeprefix("th_")
    if not store.revoke_api_key(key_id, now_us()):
        raise NotFound(f"no active key with id {key_id!r}")
    record = store.get_api_key(key_id)
    assert record is not None
    audit.record(store, actor, "key.revoke", record.prefix, None, name=record.name)
    return record


def key_record(key: ApiKey) -> dict[str, Any]:
    """What a key list shows: never the secret or its hash."""
    return {"id": key.id, "prefix": key.prefix, "name": key.name, "role": key.role,
            "projects": None if key.projects is None else list(key.projects),
            "created_at": iso(key.created_us), "created_by": key.created_by,
            "last_used_at": None if key.last_used_us is None else iso(key.last_used_us),
            "revoked_at": None if key.revoked_us is None else iso(key.revoked_us)}


def create_user(store: GovernanceStore, *, username: str, password: str, role: str,
                projects: Sequence[str] | None, actor: str) -> User:
    """Raises ``ValueError`` (weak password, bad role or name) or ``Conflict``. Audited."""
    check_role(role)
    if not username.strip() or len(username) > 100:
        raise ValueError("a username needs 1 to 100 characters")
    user = User(username.strip(), hash_password(password), role,
                None if projects is None else tuple(sorted(set(projects))), now_us())
    store.add_user(user)
    audit.record(store, actor, "user.create", user.username, None, role=role,
                 projects=None if user.projects is None else list(user.projects))
    return user


def update_user(store: GovernanceStore, username: str, *, actor: str, password: str | None = None,
                role: str | None = None, projects: Sequence[str] | None = None, all_projects: bool = False,
                disabled: bool | None = None) -> User:
    """Change a user's password, role, projects or enabled state. Audited (without the password)."""
    if role is not None:
        check_role(role)
    user = store.update_user(username, password_hash=None if password is None else hash_password(password),
                             role=role, projects=projects, all_projects=all_projects,
                             disabled_us=(now_us() if disabled else 0) if disabled is not None else None)
    changed = {name: value for name, value in (("role", role), ("projects", projects), ("disabled", disabled))
               if value is not None}
    if all_projects:
        changed["projects"] = None
    if password is not None:
        changed["password"] = "changed"
    audit.record(store, actor, "user.update", username, None, **changed)
    return user


def user_record(user: User) -> dict[str, Any]:
    return {"username": user.username, "role": user.role,
            "projects": None if user.projects is None else list(user.projects),
            "created_at": iso(user.created_us), "disabled": bool(user.disabled_us)}
