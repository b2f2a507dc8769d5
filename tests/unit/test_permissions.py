"""Default-deny: every route of the app, the LangSmith sub-app included, has an explicit permission."""

from __future__ import annotations

from pathlib import Path

from tests.route_table import route_table, sample_path
from tracehound.governance.roles import GRANTS, PERMISSIONS, PUBLIC
from tracehound.server import permissions
from tracehound.server.app import create_app
from tracehound.settings import Settings

# /feedback/tokens/{id}: a presigned feedback link; the unguessable token in the path is the credential
PUBLIC_PATHS = {"/healthz", "/-/static/{name}", "/login", "/api/v1/feedback/tokens/{token_id}",
                "/-/langsmith/feedback/tokens/{token_id}"}


def _routes(tmp_path: Path) -> list[tuple[str, str]]:
    return route_table(create_app(Settings.load(data_dir=str(tmp_path))))


def test_every_route_declares_its_permission(tmp_path: Path) -> None:
    missing = []
    for method, path in _routes(tmp_path):
        declared = [rule for rule in permissions.RULES if rule.path == path and method in rule.methods]
        if not declared:
            missing.append(f"{method} {path}")
    assert missing == [], "add these routes to server/permissions.py RULES"


def test_each_route_resolves_to_its_own_rule(tmp_path: Path) -> None:
    """Rule order cannot hand a route another route's permission (e.g. /x/{id} shadowing /x/compare)."""
    wrong = []
    for method, path in _routes(tmp_path):
        rule, _ = permissions.match(method, sample_path(path, {}))
        if rule.path != path:
            wrong.append(f"{method} {path} -> {rule.path}")
    assert wrong == []


def test_every_rule_names_a_route(tmp_path: Path) -> None:
    routes = set(_routes(tmp_path))
    stale = [f"{sorted(rule.methods)} {rule.path}" for rule in permissions.RULES
             if not any((method, rule.path) in routes for method in rule.methods)]
    assert stale == []


def test_only_the_allow_list_is_public() -> None:
    assert {rule.path for rule in permissions.RULES if rule.permission == PUBLIC} == PUBLIC_PATHS
    assert all(rule.permission in PERMISSIONS for rule in permissions.RULES)


def test_an_unknown_route_needs_admin_over_every_project() -> None:
    rule, _ = permissions.match("GET", "/api/v1/some-route-added-later")
    assert (rule.permission, rule.scope) == ("admin", "global")
    assert [role for role, grants in GRANTS.items() if rule.permission in grants] == ["admin"]
