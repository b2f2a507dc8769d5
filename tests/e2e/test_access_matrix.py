"""With access control on, every route × {no key, wrong key, each role, another project's key, admin}
against a running server: 401 without a known credential, 403 for a role without the permission (or a
project-scoped key on shared records), 404 for another project's data, and never a 5xx."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tests.route_table import route_table, sample_path
from tests.spans import span
from tracehound.cli import main
from tracehound.governance.roles import GRANTS, PUBLIC
from tracehound.server import permissions
from tracehound.server.app import create_app
from tracehound.settings import Settings
from tracehound.testing import running_server

ROLES = ("ingest", "viewer", "editor", "admin")


def _cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server with TRACEHOUND_AUTH=on, an admin bootstrapped from the CLI, a key per role on p1, one trace."""
    data_dir = tmp_path_factory.mktemp("secured")
    admin = _cli("keys", "create", "--data-dir", str(data_dir), "--role", "admin", "--name", "bootstrap")
    with running_server(data_dir, env={"TRACEHOUND_AUTH": "on", "TRACEHOUND_ALERTS": "true"}) as port:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=60, headers={"accept": "application/json"}) as http:
            keys = {"admin-all": admin}
            for role in ROLES:
                answer = http.post("/api/v1/keys", json={"name": role, "role": role, "projects": ["p1"]},
                                   headers={"X-API-Key": admin})
                assert answer.status_code == 201, answer.text
                keys[role] = answer.json()["key"]
            keys["other-project"] = http.post("/api/v1/keys", json={"name": "p2", "role": "admin", "projects": ["p2"]},
                                              headers={"X-API-Key": admin}).json()["key"]
            root = span(project="p1", session_id="sess-1")
            child = span(root["trace_id"], parent_id=root["id"], project="p1", run_type="tool")
            assert http.post("/api/v1/spans", json={"spans": [root, child]},
                             headers={"X-API-Key": keys["ingest"]}).status_code == 200
            other = span(project="p2")
            assert http.post("/api/v1/spans", json={"spans": [other]},
                             headers={"X-API-Key": keys["other-project"]}).status_code == 200
            yield {"base": base, "http": http, "keys": keys, "trace": root["trace_id"], "span": child["id"],
                   "p2_trace": other["trace_id"], "data_dir": data_dir}


def _request(http: httpx.Client, method: str, path: str, key: str | None) -> httpx.Response:
    headers = {} if key is None else {"X-API-Key": key}
    body = None if method in ("GET", "DELETE", "OPTIONS") else b"{}"
    if body is not None:
        headers["content-type"] = "application/json"
    return http.request(method, path, content=body, headers=headers)


def _expected(rule: permissions.Rule, who: str, status: int) -> str | None:
    """Why ``status`` is wrong for ``who`` on ``rule``, or ``None`` when it is right."""
    if status >= 500 and status != 501:  # 501: a LangSmith endpoint tracehound does not implement
        return "server error"
    if rule.permission == PUBLIC:
        return "401 on a public route" if status == 401 and who not in ("wrong",) else None
    if who in ("none", "wrong"):
        return None if status == 401 else "expected 401"
    if who == "admin-all":
        return "refused an all-projects admin" if status in (401, 403) else None
    role = "admin" if who == "other-project" else who
    if rule.permission not in GRANTS[role]:
        return None if status == 403 else "expected 403 (role lacks the permission)"
    if rule.scope == "global":
        return None if status == 403 else "expected 403 (shared records need an all-projects key)"
    if who == "other-project" and rule.scope in ("query", "path"):
        return None if status == 404 else "expected 404 (another project's data)"
    if who == "other-project" and any(name in rule.path for name in ("{trace_id}", "{span_id}", "{run_id}")):
        return None if status == 404 else "expected 404 (a run of another project)"
    return "refused a permitted request" if status in (401, 403) else None


def test_every_route_for_every_credential(secured: dict[str, Any], tmp_path: Path) -> None:
    routes = route_table(create_app(Settings.load(data_dir=str(tmp_path))))
    values = {"project": "p1", "trace_id": secured["trace"], "span_id": secured["span"], "run_id": secured["span"],
              "session_id": "sess-1"}
    credentials = {"none": None, "wrong": "th_000000000000_" + uuid.uuid4().hex, **secured["keys"]}
    failures = []
    checked = 0
    for who, key in credentials.items():
        for method, template in routes:
            rule, _ = permissions.match(method, sample_path(template, values))
            path = sample_path(template, values)
            if rule.scope == "query":
                path += "?project=p1"
            # DELETE /api/v1/projects/p1 carries no ?confirm=, so even the admin's is refused (422) and p1 stays
            try:
                answer = _request(secured["http"], method, path, key)
            except httpx.HTTPError as exc:
                failures.append(f"{who:13} {method:6} {path} -> {exc!r}")
                continue
            checked += 1
            problem = _expected(rule, who, answer.status_code)
            if problem:
                failures.append(f"{who:13} {method:6} {path} -> {answer.status_code} {answer.text[:120]}: {problem}")
    assert failures == [], "\n".join(failures)
    assert checked == len(routes) * len(credentials) and len(routes) > 100


def test_a_scoped_key_sees_only_its_projects(secured: dict[str, Any]) -> None:
    http, keys = secured["http"], secured["keys"]
    viewer = {"X-API-Key": keys["viewer"]}
    assert [p["name"] for p in http.get("/api/v1/projects", headers=viewer).json()["projects"]] == ["p1"]
    runs = http.post("/api/v1/runs/query", json={}, headers=viewer).json()["runs"]
    assert runs and {run["project"] for run in runs} == {"p1"}
    assert http.post("/api/v1/runs/query", json={"project": "p2"}, headers=viewer).status_code == 404
    assert http.get(f"/api/v1/traces/{secured['p2_trace']}", headers=viewer).status_code == 404
    assert http.get(f"/api/v1/traces/{secured['trace']}", headers=viewer).status_code == 200
    for twin in ("/runs.json", "/dashboard.json"):
        assert http.get(twin, headers=viewer).json()["projects"] == ["p1"]
    page = http.get("/.json", headers=viewer).json()
    assert [p["name"] for p in page["projects"]] == ["p1"]
    assert {t["project"] for t in page["traces"]} == {"p1"}


def test_an_ingest_key_writes_only_to_its_projects(secured: dict[str, Any]) -> None:
    http, key = secured["http"], {"X-API-Key": secured["keys"]["ingest"]}
    assert http.post("/api/v1/spans", json={"spans": [span(project="p2")]}, headers=key).status_code == 404
    assert http.post("/api/v1/spans", json={"spans": [span(project="p1")]}, headers=key).status_code == 200
    assert http.get(f"/api/v1/traces/{secured['trace']}", headers=key).status_code == 403


def test_bearer_works_and_a_revoked_key_stops_working(secured: dict[str, Any]) -> None:
    http, admin = secured["http"], {"X-API-Key": secured["keys"]["admin-all"]}
    made = http.post("/api/v1/keys", json={"name": "short-lived", "role": "viewer"}, headers=admin).json()
    assert made["key"].startswith(made["prefix"] + "_")
    bearer = {"Authorization": f"Bearer {made['key']}"}
    assert http.get("/api/v1/projects", headers=bearer).status_code == 200
    basic = base64.b64encode(f"pk-anything:{made['key']}".encode()).decode()  # Langfuse-style public:secret
    assert http.get("/api/v1/projects", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert http.get("/api/v1/projects", headers={"Authorization": "Basic !!notbase64"}).status_code == 401
    listed = {k["id"]: k for k in http.get("/api/v1/keys", headers=admin).json()["keys"]}
    assert "key" not in listed[made["id"]] and listed[made["id"]]["last_used_at"] is not None
    assert http.delete(f"/api/v1/keys/{made['id']}", headers=admin).status_code == 200
    assert http.get("/api/v1/projects", headers=bearer).status_code == 401
    actions = [e["action"] for e in http.get("/api/v1/audit", headers=admin).json()["entries"]]
    assert "key.revoke" in actions and "key.create" in actions
    assert made["key"] not in http.get("/api/v1/audit?limit=1000", headers=admin).text


def test_without_a_credential_a_page_sends_you_to_login(secured: dict[str, Any]) -> None:
    answer = httpx.get(secured["base"] + "/runs?status=error", headers={"accept": "text/html"})
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=%2Fruns%3Fstatus%3Derror"
    assert httpx.get(secured["base"] + "/runs.json").status_code == 401
    assert httpx.get(secured["base"] + "/healthz").status_code == 200
