"""Making and checking credentials: API keys (SHA-256 of 256 random bits), passwords (argon2id).

An API key looks like ``th_3f9c2a1b7d04_<43 url-safe characters>``: ``th_3f9c2a1b7d04`` is its visible
prefix (shown in lists, and the key's id after ``th_``), the rest 256 random bits. Only
``sha256(key)`` is stored: for a value that random a fast hash is enough (nobody can guess their way
back), and it keeps the per-request check to one indexed look-up. Passwords are chosen by people and
so get a slow, salted hash (argon2id from ``argon2-cffi``, in the server extra).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from tracehound.governance.roles import check_role
from tracehound.store.governance import ApiKey
from tracehound.timefmt import now_us

KEY_PREFIX = "th_"
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # argon2 hashes anything, but an unbounded input is a denial-of-service lever


def hash_secret(value: str | bytes) -> str:
    """The SHA-256 hex digest stored for a key or a session token."""
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).hexdigest()


def new_api_key(name: str, role: str, projects: Sequence[str] | None, *,
                created_by: str | None = None) -> tuple[str, ApiKey]:
    """A fresh key: the secret (shown once, never stored) and the record to store.

    Raises:
        ValueError: an unknown role, an empty name or an empty project list.
    """
    check_role(role)
    if not name.strip():
        raise ValueError("a key needs a name")
    if projects is not None and not projects:
        raise ValueError("give at least one project, or none for every project")
    key_id = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    record = ApiKey(id=key_id, name=name.strip(), prefix=f"{KEY_PREFIX}{key_id}", key_hash=hash_secret(secret),
                    role=role, projects=None if projects is None else tuple(sorted(set(projects))),
                    created_us=now_us(), created_by=created_by)
    return secret, record


def hash_password(password: str) -> str:
    """An argon2id hash string (salt and parameters inside). Raises ``ValueError`` for a weak password."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"a password has at most {MAX_PASSWORD_CHARS} characters")
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` matches; constant-time inside argon2, never raises for a mismatch."""
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: list[str] = []


def burn_password_check(password: str) -> None:
    """Spend the time a real check takes, so an unknown username answers as slowly as a wrong password."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("x" * MIN_PASSWORD_CHARS))
    verify_password(_DUMMY_HASH[0], password)
