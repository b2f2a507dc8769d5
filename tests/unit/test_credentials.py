"""Keys, passwords, cookies and CSRF tokens: what is stored, what is compared, what is refused."""

from __future__ import annotations

import pytest

from tracehound.errors import NotFound
from tracehound.governance.credentials import hash_password, hash_secret, new_api_key, verify_password
from tracehound.governance.roles import GRANTS, check_role
from tracehound.server.access import OPEN, Principal, narrow_projects, require_project, visible
from tracehound.server.routes.login import safe_next
from tracehound.server.sessions import Signer, cookie_token


def test_a_key_is_random_prefixed_and_stored_only_as_its_hash() -> None:
    secret, record = new_api_key("ci", "ingest", ["b", "a", "a"], created_by="cli:root")
    assert secret.startswith(record.prefix + "_") and len(secret) > 50
    assert record.key_hash == hash_secret(secret) and secret not in repr(record)
    assert record.projects == ("a", "b")
    assert new_api_key("ci", "ingest", None)[0] != secret
    with pytest.raises(ValueError, match="role"):
        new_api_key("x", "root", None)
    with pytest.raises(ValueError, match="project"):
        new_api_key("x", "viewer", [])


def test_passwords_use_argon2_and_weak_ones_are_refused() -> None:
    stored = hash_password("a long enough passphrase")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "a long enough passphrase")
    assert not verify_password(stored, "a long enough passphrasE")
    assert not verify_password("not a hash", "whatever")
    with pytest.raises(ValueError):
        hash_password("short")


def test_cookies_are_signed_and_csrf_tokens_are_bound_to_the_session() -> None:
    signer = Signer(b"k" * 32)
    token, cookie = signer.new_cookie()
    assert signer.token_of(cookie) == token
    assert signer.token_of(cookie[:-2] + "xx") is None
    assert Signer(b"other" * 8).token_of(cookie) is None
    assert signer.token_of("no-dot") is None and signer.token_of(None) is None
    csrf = signer.csrf(token)
    assert signer.check_csrf(token, csrf) and not signer.check_csrf(token, csrf[:-1] + "x")
    assert not signer.check_csrf(token, None) and signer.csrf(token, "login") != csrf
    assert cookie_token(b"a=1; th_session=abc.def; b=2", "th_session") == "abc.def"


def test_after_login_only_local_paths_are_followed() -> None:
    assert safe_next("/runs?status=error") == "/runs?status=error"
    for hostile in ("//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)", None, ""):
        assert safe_next(hostile) == "/"


def test_roles_grant_nested_permissions() -> None:
    assert GRANTS["ingest"] < GRANTS["editor"] < GRANTS["admin"]
    assert GRANTS["viewer"] < GRANTS["editor"] and "ingest" not in GRANTS["viewer"]
    assert check_role("viewer") == "viewer"


def test_project_scope_answers_404_outside_it() -> None:
    scoped = Principal("key", "k", "viewer", frozenset({"a", "b"}))
    assert visible(["c", "b", "a"], scoped) == ["b", "a"]
    require_project("a", scoped)
    with pytest.raises(NotFound):
        require_project("c", scoped)
    assert narrow_projects(None, scoped) == ["a", "b"]
    assert narrow_projects("a", scoped) == "a"
    with pytest.raises(NotFound):
        narrow_projects(["a", "c"], scoped)
    assert narrow_projects(None, OPEN) is None and OPEN.is_admin and not scoped.is_admin
