"""The pages in headless Chromium against a real server with seeded data; screenshots go to artifacts/."""

from __future__ import annotations

import re
import time
from typing import Any

from tests.ui.conftest import screenshot
from tests.ui.seed import ANSWERS, QUESTIONS, SESSION, Seeded


def _row(page: Any, span_id: str) -> Any:
    return page.locator(f"#s-{span_id}")


def test_home_lists_projects_and_opens_a_trace(page: Any, seeded: Seeded) -> None:
    page.goto("/")
    assert page.locator(".chips a", has_text="shop-support").count() == 1
    screenshot(page, "home")
    page.locator(".chips a", has_text="shop-support").click()
    page.wait_for_url(re.compile(r"\?project=shop-support"))
    links = page.locator("a.trace-link", has_text="support_agent")
    assert links.count() == 3
    links.last.click()  # newest first: the last link is the first turn
    page.wait_for_url(f"**/trace/{seeded.turns[0]['trace_id']}")
    assert page.locator("#waterfall .r").count() == 7
    assert page.locator("h1").inner_text().startswith("support_agent")
    # The two tools overlap in time: both are marked parallel; the slower one is on the critical path.
    turn = seeded.turns[0]
    assert _row(page, turn["lookup_order"]).locator(".par").count() == 1
    assert _row(page, turn["lookup_shipping"]).locator(".par").count() == 1
    assert "crit" in (_row(page, turn["lookup_shipping"]).get_attribute("class") or "")
    assert "crit" not in (_row(page, turn["lookup_order"]).get_attribute("class") or "")
    screenshot(page, "trace")


def test_collapse_expand_and_read_a_spans_inputs(page: Any, seeded: Seeded) -> None:
    turn = seeded.turns[1]
    page.goto(f"/trace/{turn['trace_id']}")
    shipping, http = _row(page, turn["lookup_shipping"]), _row(page, turn["carrier_http"])
    assert http.is_visible()
    shipping.locator("button.tw").click()
    assert http.is_hidden()
    assert shipping.locator("button.tw").get_attribute("aria-expanded") == "false"
    root = _row(page, turn["support_agent"])
    root.locator("button.tw").click()  # collapse the root: everything else hides
    assert page.locator("#waterfall .r:visible").count() == 1
    root.locator("button.tw").click()  # expand it: lookup_shipping stays collapsed
    assert shipping.is_visible() and http.is_hidden()
    shipping.locator("button.tw").click()
    assert http.is_visible()

    _row(page, turn["lookup_order"]).locator("a").click()
    detail = page.locator("#detail")
    detail.locator(f'[data-span="{turn["lookup_order"]}"]').wait_for()
    page.wait_for_url(f"**/trace/{turn['trace_id']}?span={turn['lookup_order']}")
    inputs = detail.locator('[data-section="inputs"]')
    assert "order_id" in inputs.inner_text() and "1043" in inputs.inner_text()
    assert "sel" in (_row(page, turn["lookup_order"]).get_attribute("class") or "")
    # A large value starts folded: the plan's long system prompt shows its length, not its text.
    _row(page, turn["plan"]).locator("a").click()
    detail.locator(f'[data-span="{turn["plan"]}"]').wait_for()
    folded = detail.locator('[data-section="inputs"] details.j-long').first
    assert folded.get_attribute("open") is None
    assert "chars" in folded.locator("summary").inner_text()
    screenshot(page, "trace-detail")
    page.go_back()  # history follows the selection
    detail.locator(f'[data-span="{turn["lookup_order"]}"]').wait_for()


def test_deep_link_selects_the_span(page: Any, seeded: Seeded) -> None:
    turn = seeded.turns[1]
    page.goto(f"/trace/{turn['trace_id']}?span={turn['lookup_shipping']}")
    row = _row(page, turn["lookup_shipping"])
    assert "sel" in (row.get_attribute("class") or "")
    assert "err" in (row.get_attribute("class") or "")
    detail = page.locator("#detail")
    assert "carrier API returned 502" in detail.locator(".traceback").inner_text()
    deep_link = detail.locator("a.deep-link")
    assert deep_link.get_attribute("href") == f"/trace/{turn['trace_id']}?span={turn['lookup_shipping']}"
    screenshot(page, "trace-deep-link")


def test_session_turns_open_their_traces(page: Any, seeded: Seeded) -> None:
    page.goto(f"/session/{SESSION}")
    turns = page.locator("article.turn")
    assert turns.count() == 3
    for index, turn in enumerate(turns.all()):
        assert QUESTIONS[index] in turn.locator(".msg-user").inner_text()
        assert ANSWERS[index] in turn.locator(".msg-agent").inner_text()
    second = turns.nth(1)
    assert "error" in second.locator(".badge").first.inner_text()
    assert "1,494 tokens" in second.locator(".turn-facts").inner_text()  # (412 + 38) + (980 + 64) on the LLM spans
    screenshot(page, "session", full_page=True)
    second.locator("a.open-trace").click()
    page.wait_for_url(f"**/trace/{seeded.turns[1]['trace_id']}")
    assert page.locator("#waterfall .r").count() == 7


def test_missing_trace_shows_an_error_page(page: Any, js_errors: list[str], seeded: Seeded) -> None:
    response = page.goto("/trace/00000000-0000-0000-0000-000000000000")
    assert response is not None and response.status == 404
    assert "no trace with id" in page.locator(".error-page").inner_text()
    js_errors.clear()  # the browser logs the 404 itself


def test_patterns_page_renders_every_component(page: Any) -> None:
    page.goto("/-/patterns")
    assert page.locator(".badge.rt").count() >= 9
    assert page.locator("#waterfall .r").count() == 7
    screenshot(page, "patterns", full_page=True)


def test_ten_thousand_span_trace_renders_only_the_rows_in_view(page: Any, seeded: Seeded) -> None:
    """A 10,000-span trace is virtual: a screenful of rows exists, the rest appear as the page scrolls.

    Timings are printed, not asserted (bench/ui_pages.py is where speed is measured).
    """
    started = time.perf_counter()
    page.goto(f"/trace/{seeded.big_trace_id}")
    load_s = time.perf_counter() - started
    rows = page.locator("#waterfall .r")
    assert "virtual" in (page.locator("#waterfall").get_attribute("class") or "")
    in_dom = rows.count()
    assert 0 < in_dom < 300, f"{in_dom} rows in the document"
    root_id = seeded.big_trace_id
    assert "sel" in (_row(page, root_id).get_attribute("class") or "")

    # Selecting a span far down (as a deep link does) scrolls it into view, renders and marks it.
    target = seeded.big_deep_span_id
    assert _row(page, target).count() == 0
    clicked = page.evaluate("""async (id) => {
        const started = performance.now();
        history.pushState({}, "", "?span=" + id);
        window.dispatchEvent(new PopStateEvent("popstate"));
        while (!document.querySelector('#detail [data-span="' + id + '"]')) {
            await new Promise(r => setTimeout(r, 5));
        }
        return performance.now() - started;
    }""", target)
    row = _row(page, target)
    assert row.is_visible() and "sel" in (row.get_attribute("class") or "")
    assert rows.count() < 300

    collapse_ms = page.evaluate("""() => {
        const started = performance.now();
        document.querySelector('[data-action="collapse-all"]').click();
        document.body.offsetHeight;  // force layout
        return performance.now() - started;
    }""")
    assert page.locator("#waterfall .r:visible").count() == 1
    page.locator('[data-action="expand-all"]').click()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("() => !!document.querySelector('#waterfall .r:last-child')")
    last_id = page.evaluate("JSON.parse(document.getElementById('wf-rows').textContent).at(-1)[0]")
    _row(page, last_id).wait_for()
    assert rows.count() < 300
    screenshot(page, "trace-10k")
    print(f"10k-span trace: load {load_s * 1000:.0f} ms, select {clicked:.0f} ms, collapse all {collapse_ms:.0f} ms")
