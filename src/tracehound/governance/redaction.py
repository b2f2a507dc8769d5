"""Server-side redaction per project: the SDK redactor's rules, stored as a project setting.

A project's config (``PUT /api/v1/projects/{p}/redaction``, ``tracehound projects redaction``)::

    {"enabled": true, "detectors": ["email", "phone"], "patterns": {"order": "ORD-\\\\d+"},
     "fields": ["inputs", "outputs"], "sensitive_keys": ["ssn"], "key": "<secret>"}

Every field but ``enabled`` is optional (the SDK's defaults apply). ``key`` keys the redaction
tokens; unset, the server's own secret (kept in the meta store) is used, so tokens stay stable
across restarts. The key is never logged or answered: reads show ``"key": "set"``.
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from tracehound.errors import InvalidValue
from tracehound.sdk.redaction import Redactor
from tracehound.store.base import MetaStore

SETTING: Final = "redaction"
_FIELDS: Final = ("enabled", "detectors", "patterns", "fields", "sensitive_keys", "key")


def _redactor(config: dict[str, Any], default_key: bytes) -> Redactor | None:
    if not config.get("enabled", True):
        return None
    options: dict[str, Any] = {name: config[name] for name in ("detectors", "patterns", "fields", "sensitive_keys")
                               if config.get(name) is not None}
    return Redactor(key=config.get("key") or default_key, **options)


def validate(config: dict[str, Any]) -> dict[str, Any]:
    """The config if a redactor can be built from it. Raises ``InvalidValue`` naming the field."""
    unknown = sorted(set(config) - set(_FIELDS))
    if unknown:
        raise InvalidValue(f"unknown redaction settings {unknown}; use {', '.join(_FIELDS)}", field=unknown[0])
    try:
        _redactor(config, b"check")
    except (ValueError, TypeError) as exc:
        raise InvalidValue(f"redaction: {exc}", field=str(exc).split(":", 1)[0]) from None
    return config


def public_view(config: dict[str, Any] | None) -> dict[str, Any]:
    """What the API shows: the key replaced by whether one is set."""
    view = dict(config or {"enabled": False})
    if "key" in view:
        view["key"] = "set" if view["key"] else None
    return view


def project_redactors(meta: MetaStore) -> dict[str, Redactor | None]:
    """One redactor per configured project (``None`` where the project turned redaction off)."""
    configs = meta.governance.project_settings(SETTING)
    if not configs:
        return {}
    default_key = meta.governance.secret("redaction", lambda: secrets.token_bytes(32))
    return {project: _redactor(config, default_key) for project, config in configs.items()}
