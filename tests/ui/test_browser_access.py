"""Signing in and out in Chromium, CSRF on state changes, and pages that follow the role (access control on)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tests.spans import span
from tracehound.cli import main
from tracehound.testing import running_server

PASSWORD = "correct horse battery staple"


def _cli(*args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(main, list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = str(tmp_path_factory.mktemp("secured-ui"))
    admin = _cli("keys", "create", "--data-dir", data_dir, "--role", "admin")
    _cli("users", "create", "alice", "--data-dir", data_dir, "--role", "admin", "--password-stdin",
         stdin=PASSWORD + "\n")
    keys = {role: _cli("keys", "create", "--data-dir", data_dir, "--role", role) for role in ("viewer", "editor")}
    keys["p1-viewer"] = _cli("keys", "create", "--data-dir", data_dir, "--role", "viewer", "--project", "p1")
    with running_server(data_dir, env={"TRACEHOUND_AUTH": "on"}) as port:
        base = f"http://127.0.0.1:{port}"
        for project in ("p1", "p2"):
            httpx.post(base + "/api/v1/spans", json={"spans": [span(project=project)]},
                       headers={"X-API-Key": admin}).raise_for_status()
        yield {"base": base, "admin": admin, **keys}


@pytest.fixture
def tab(browser: Any, secured: dict[str, Any], js_errors: list[str]) -> Iterator[Any]:
    context = browser.new_context(base_url=secured["base"], viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda exc: js_errors.append(f"page error: {exc}"))
    yield page
    context.close()
    assert js_errors == []


def _sign_in_with_key(tab: Any, key: str, target: str = "/") -> None:
    tab.goto(target)
    tab.fill("#api_key", key)
    tab.click("form[data-login-form] button[type=submit]")
    tab.wait_for_load_state()


def test_sign_in_with_a_password_then_sign_out(tab: Any, secured: dict[str, Any]) -> None:
    tab.goto("/runs?status=error")
    assert tab.url.endswith("/login?next=%2Fruns%3Fstatus%3Derror")
    tab.fill("#username", "alice")
    tab.fill("#password", PASSWORD)
    tab.click("form[data-login-form] button[type=submit]")
    tab.wait_for_url("**/runs?status=error")
    assert "alice" in tab.inner_text("[data-who]")
    cookie = next(c for c in tab.context.cookies() if c["name"] == "th_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert tab.evaluate("document.cookie").find("th_session") == -1  # scripts cannot read it
    tab.click("[data-logout]")
    tab.wait_for_url("**/login")
    tab.goto("/runs")
    assert "/login?next=" in tab.url


def test_a_wrong_password_is_refused(tab: Any) -> None:
    tab.goto("/login")
    tab.fill("#username", "alice")
    tab.fill("#password", "not the password")
    with tab.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as answer:
        tab.click("form[data-login-form] button[type=submit]")
    assert answer.value.status == 401
    assert "Wrong" in tab.inner_text("[data-error]")
    assert not any(c["name"] == "th_session" for c in tab.context.cookies())


def test_a_viewer_cannot_see_the_alert_rule_form(tab: Any, secured: dict[str, Any]) -> None:
    _sign_in_with_key(tab, secured["viewer"], "/alerts")
    assert "/alerts" in tab.url and tab.locator("h1").inner_text() == "Alerts"
    assert tab.locator("form[data-alert-rule-form]").count() == 0
    assert tab.locator("a[href='/settings']").count() == 0


def test_an_editor_adds_a_rule_through_the_form(tab: Any, secured: dict[str, Any]) -> None:
    _sign_in_with_key(tab, secured["editor"], "/alerts")
    tab.fill("#rule-id", "editor-rule")
    tab.select_option("#rule-kind", "error_rate")
    tab.click("form[data-alert-rule-form] button[type=submit]")
    tab.wait_for_selector("tr[data-rule='editor-rule']")


def test_state_changes_need_the_csrf_token(tab: Any, secured: dict[str, Any]) -> None:
    _sign_in_with_key(tab, secured["admin"], "/alerts")
    statuses = tab.evaluate("""async () => {
        const put = (headers) => fetch('/api/v1/alerts/rules/forged', {method: 'PUT',
            headers: {'content-type': 'application/json', ...headers}, body: JSON.stringify({kind: 'loop'})});
        const token = document.querySelector('meta[name=csrf-token]').getAttribute('content');
        return [(await put({})).status, (await put({'x-csrf-token': 'wrong'})).status,
                (await put({'x-csrf-token': token})).status];
    }""")
    assert statuses == [403, 403, 200]


def test_pages_show_only_the_projects_a_key_may_see(tab: Any, secured: dict[str, Any]) -> None:
    _sign_in_with_key(tab, secured["p1-viewer"], "/")
    text = tab.inner_text("main")
    assert "p1" in text and "p2" not in text
    assert tab.goto("/?project=p2").status == 404
    assert tab.goto("/alerts").status == 403  # alert rules span projects: a project-scoped key is refused


def test_an_admin_creates_a_key_shown_once_and_revokes_it(tab: Any, secured: dict[str, Any]) -> None:
    _sign_in_with_key(tab, secured["admin"], "/settings")
    tab.fill("#key-name", "from-the-ui")
    tab.select_option("#key-role", "ingest")
    tab.fill("#key-projects", "p1")
    tab.click("form[data-create-key] button[type=submit]")
    secret = tab.inner_text("[data-secret]").strip()
    assert secret.startswith("th_")
    assert httpx.get(secured["base"] + "/api/v1/whoami", headers={"X-API-Key": secret}).json()["role"] == "ingest"
    tab.goto("/settings")
    assert secret not in tab.content()
    key_id = secret.split("_")[1]
    tab.click(f"tr[data-key='{key_id}'] button")
    tab.wait_for_url("**/settings")
    assert httpx.get(secured["base"] + "/api/v1/whoami", headers={"X-API-Key": secret}).status_code == 401
