"""The review loop's pages in Chromium: the online-rule form, thumbs on a trace, a queue and its review screen."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ui.conftest import screenshot
from tests.ui.seed import Seeded


def test_an_online_rule_is_added_and_deleted_from_the_page(page: Any, ui_server: str) -> None:
    page.goto("/online")
    form = page.locator("#online-rule-form")
    form.locator("input[name=id]").fill("ui-rule")
    form.locator("input[name=project]").fill("ui-project")
    form.locator("input[name=sample_rate]").fill("0.25")
    form.locator("textarea[name=evaluators]").fill('[{"name": "no_errors"}]')
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = page.locator('tr[data-rule="ui-rule"]')
    assert row.count() == 1 and "25.0%" in row.inner_text()
    rules = httpx.get(f"{ui_server}/api/v1/online-rules").json()["rules"]
    assert {"id": "ui-rule", "project": "ui-project", "sample_rate": 0.25}.items() <= next(
        r for r in rules if r["id"] == "ui-rule").items()
    screenshot(page, "online-rules")
    page.on("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator('button[data-delete-rule="ui-rule"]').click()
    assert page.locator('tr[data-rule="ui-rule"]').count() == 0


def test_a_bad_rule_is_explained_on_the_page(page: Any, js_errors: list[str]) -> None:
    page.goto("/online")
    form = page.locator("#online-rule-form")
    form.locator("input[name=id]").fill("bad-rule")
    form.locator("textarea[name=evaluators]").fill('[{"name": "judge"}]')
    form.locator("button[type=submit]").click()
    error = form.locator(".fb-error")
    error.wait_for()
    assert "rubric" in error.inner_text()
    js_errors.clear()  # the browser logs the 400 itself


def test_thumbs_down_on_a_trace_is_stored_as_feedback(page: Any, seeded: Seeded, ui_server: str) -> None:
    trace_id = seeded.turns[0]["trace_id"]
    page.goto(f"/trace/{trace_id}")
    widget = page.locator("form[data-feedback]").first
    run_id = widget.get_attribute("data-run")
    widget.locator("input[name=comment]").fill("wrong refund window")
    widget.locator('button[data-score="0"]').click()
    page.wait_for_selector('form[data-feedback][data-saved="0"]')
    stored = httpx.get(f"{ui_server}/api/v1/feedback", params={"run_id": run_id, "key": "thumbs"}).json()["feedback"]
    assert stored and stored[0]["score"] == 0.0 and stored[0]["comment"] == "wrong refund window"
    assert stored[0]["source"] == "human"


def test_a_queue_page_and_an_empty_review_screen(page: Any, seeded: Seeded, ui_server: str) -> None:
    created = httpx.post(f"{ui_server}/api/v1/queues", json={"name": "ui-queue", "rubric": [
        {"key": "correct", "values": ["pass", "fail"]}]})
    assert created.status_code == 201
    run_id = seeded.turns[1]["trace_id"]
    root = httpx.get(f"{ui_server}/api/v1/traces/{run_id}").json()
    root_id = next(s["id"] for s in root["spans"] if s.get("parent_id") is None)
    assert httpx.post(f"{ui_server}/api/v1/queues/ui-queue/items", json={"run_ids": [root_id]}).status_code == 200
    page.goto("/queues")
    assert page.locator('tr[data-queue="ui-queue"]').count() == 1
    page.goto("/queues/ui-queue/review")
    page.fill("input[name=reviewer]", "kim")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_attribute("#review", "data-run") == root_id
    screenshot(page, "review-screen", full_page=True)
    page.keyboard.press("1")
    assert page.locator('input[data-shortcut="1"]').is_checked()
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert page.locator("#queue-done").count() == 1
