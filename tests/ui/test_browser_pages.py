"""The runs, dashboard, triage, alerts, datasets and experiments pages in headless Chromium (seeded server)."""

from __future__ import annotations

import re
from typing import Any

from tests.ui.conftest import screenshot
from tests.ui.seed import CARD_TIMEOUT, DASH_PROJECT, DASH_RUNS, GATEWAY_502, SESSION, Seeded


def _ints(page: Any, selector: str, attribute: str) -> list[int]:
    return [int(float(value)) for value in page.eval_on_selector_all(
        selector, f"nodes => nodes.map(n => n.getAttribute('{attribute}'))")]


def test_runs_table_filters_and_opens_a_trace(page: Any, seeded: Seeded) -> None:
    page.goto("/runs?project=shop-support")
    rows = page.locator("table.runs tbody tr")
    assert rows.count() == 4  # three agent turns and the 10,000-span batch job, roots only
    first_turn = page.locator("table.runs tr", has=page.locator(f'a[href="/trace/{seeded.turns[0]["trace_id"]}"]'))
    # Tokens and cost are the whole trace's: (412 + 38) + (980 + 64) on the LLM spans.
    assert first_turn.locator("td.num").nth(1).inner_text() == "1,494"
    screenshot(page, "runs")

    page.fill('input[name="filter"]', 'and(eq(name, "lookup_shipping"), eq(status, "error"))')
    page.uncheck('input[type=checkbox][name="roots"]')  # quick filters apply at once, with the filter typed
    page.wait_for_function("document.querySelectorAll('table.runs tbody tr').length === 1")
    rows.first.locator("a.run-link").click()
    page.locator("#detail .traceback").wait_for()
    assert "carrier API returned 502" in page.locator("#detail .traceback").inner_text()
    turn = seeded.turns[1]  # the failing turn
    assert page.url.endswith(f"/trace/{turn['trace_id']}?span={turn['lookup_shipping']}")


def test_bad_filter_shows_where_it_went_wrong(page: Any, js_errors: list[str], seeded: Seeded) -> None:
    page.goto("/runs")
    page.fill('input[name="filter"]', 'and(eq(run_type, "tool") gt(latency, 2))')
    page.click("button.primary")
    page.wait_for_url(re.compile(r"filter="))
    error = page.locator("#filter-error")
    assert "Bad filter" in error.inner_text() and "position 25" in error.inner_text()
    assert error.locator("mark").inner_text() == "g"  # the caret sits on the unexpected token
    assert page.locator('input[name="filter"]').get_attribute("aria-invalid") == "true"
    assert page.locator("table.runs").count() == 0
    screenshot(page, "runs-bad-filter")
    js_errors.clear()  # the browser logs the 400 itself


def test_full_text_search_and_paging(page: Any, seeded: Seeded) -> None:
    page.goto("/runs?q=carrier&roots=0")
    names = page.locator("table.runs a.run-link").all_inner_texts()
    assert set(names) == {"lookup_shipping", "carrier_http", "support_agent"} or "carrier_http" in names
    page.goto(f"/runs?project={DASH_PROJECT}")
    assert page.locator("table.runs tbody tr").count() == DASH_RUNS
    page.goto("/runs?project=shop-support&roots=0&filter=" + 'eq(run_type, "parser")')
    assert page.locator("table.runs tbody tr").count() == 50
    page.locator("a.next-page").click()
    page.wait_for_url(re.compile(r"cursor="))
    assert page.locator("table.runs tbody tr").count() == 50


def test_dashboard_charts_show_the_seeded_numbers(page: Any, seeded: Seeded) -> None:
    page.goto(f"/dashboard?project={DASH_PROJECT}&window=6h")
    page.locator('.seg button[value="1h"]').click()
    page.wait_for_url(re.compile(r"window=1h"))
    charge = page.locator('tr[data-tool="charge_card"]')
    assert charge.locator("td").nth(1).inner_text() == "20"
    assert charge.locator("td").nth(2).inner_text() == "4"
    assert charge.locator("td.success").inner_text() == "80.0%"
    search = page.locator('tr[data-tool="search"]')
    assert search.locator("td").nth(1).inner_text() == "30" and search.locator("td.success").inner_text() == "100.0%"
    # p50 ≤ p95 ≤ p99 bars for every tool.
    for row in page.locator("table.tools tbody tr").all():
        widths = [float(row.locator(f".lat .{q}").evaluate("n => parseFloat(n.style.width)"))
                  for q in ("p50", "p95", "p99")]
        assert widths == sorted(widths) and widths[2] > 0
    assert sum(_ints(page, "#runs-chart g[data-ok]", "data-ok")) == 16
    assert sum(_ints(page, "#runs-chart g[data-ok]", "data-error")) == 4
    assert page.locator("#runs-chart rect.fail").count() >= 1
    assert sum(_ints(page, "#tokens-chart rect.bin", "data-count")) == DASH_RUNS
    assert sum(_ints(page, "#steps-chart rect.bin", "data-count")) == DASH_RUNS
    assert sum(_ints(page, "#cost-chart rect.bin", "data-count")) == DASH_RUNS
    stats = page.locator(".stats").inner_text()
    assert "Runs\n20" in stats and "Failed\n4" in stats
    assert page.locator("#tasks tbody tr").count() == 5  # five sessions of four runs
    screenshot(page, "dashboard", full_page=True)


def test_triage_groups_failures_and_links_to_traces(page: Any, seeded: Seeded) -> None:
    page.goto(f"/dashboard?project={DASH_PROJECT}&window=1h")
    page.locator('tr[data-tool="charge_card"] a').click()
    page.wait_for_url(re.compile(r"/triage\?tool=charge_card"))
    stats = page.locator(".stats").inner_text()
    assert "Failures\n4" in stats and "Users affected\n3" in stats and "Sessions affected\n4" in stats
    groups = page.locator("article.group")
    assert groups.count() == 2
    assert {groups.nth(0).locator(".err-msg").inner_text(), groups.nth(1).locator(".err-msg").inner_text()} == {
        GATEWAY_502, CARD_TIMEOUT}
    assert "First failure" in stats
    screenshot(page, "triage", full_page=True)
    groups.first.locator("a.trace-link").first.click()
    page.wait_for_url(re.compile(r"/trace/"))
    assert page.locator("#waterfall .r.err").count() >= 1


def test_alerts_page_links_firing_alerts_to_evidence(page: Any, seeded: Seeded) -> None:
    page.goto("/alerts")
    firing = page.locator("tr.firing-row", has_text="charge-errors")
    assert firing.count() == 1 and "charge_card" in firing.inner_text()
    assert "firing" in page.locator('tr[data-rule="charge-errors"]').inner_text()
    assert page.locator("#history tbody tr").count() >= 1
    screenshot(page, "alerts", full_page=True)
    firing.locator("a.evidence").first.click()
    page.wait_for_url(re.compile(r"/trace/"))
    assert page.url.rsplit("/", 1)[1] in seeded.dash_traces


def test_datasets_show_examples_versions_and_take_a_run(page: Any, seeded: Seeded) -> None:
    page.goto("/evals/datasets")
    page.locator("a.dataset-link", has_text="support-faq").click()
    page.wait_for_url("**/evals/datasets/support-faq")
    assert page.locator("table.examples tbody tr").count() == 3
    screenshot(page, "dataset", full_page=True)

    page.goto(f"/trace/{seeded.turns[2]['trace_id']}")
    page.select_option("form[data-add-to-dataset] select", "support-faq")
    page.click("form[data-add-to-dataset] button")
    page.locator("a.added-link").click()
    page.wait_for_url("**/evals/datasets/support-faq")
    assert page.locator("table.examples tbody tr").count() == 4
    assert page.locator(".versions li").count() == 2
    page.locator(".versions a", has_text="v1").click()  # the older version still has three
    assert page.locator("table.examples tbody tr").count() == 3


def test_compare_two_experiments(page: Any, seeded: Seeded) -> None:
    page.goto("/evals/experiments")
    assert page.locator("table.experiments tbody tr").count() == 2
    screenshot(page, "experiments")
    page.select_option('select[name="baseline"]', "baseline-v1")
    page.select_option('select[name="candidate"]', "candidate-v2")
    page.click("form.compare-form button")
    page.wait_for_url(re.compile(r"/evals/compare\?baseline=baseline-v1&candidate=candidate-v2"))
    stats = page.locator(".stats").inner_text()
    assert "Fixed\n1" in stats and "Regressed\n1" in stats and "Unchanged\n1" in stats
    metric = page.locator('tr[data-metric="correctness"]')
    assert metric.locator("td.delta").inner_text() == "+0.083"  # (0.9+0.95+0.3)/3 - (0.9+0.2+0.8)/3
    regressed = page.locator('tr[data-status="regressed"]')
    assert regressed.count() == 1 and "Thanks!" in regressed.inner_text()
    assert page.locator("table.compare tbody tr").first.get_attribute("data-status") == "regressed"
    fixed = page.locator('tr[data-status="fixed"]')
    assert fixed.locator("a.trace-a").get_attribute("href") == f"/trace/{seeded.turns[1]['trace_id']}"
    screenshot(page, "compare", full_page=True)
    fixed.locator("a.trace-b").click()
    page.wait_for_url(f"**/trace/{seeded.turns[1]['trace_id']}")


def test_session_shows_feedback(page: Any, seeded: Seeded) -> None:
    page.goto(f"/session/{SESSION}")
    turns = page.locator("article.turn")
    assert turns.nth(0).locator(".feedback").count() == 0
    assert "thumbs 0" in turns.nth(1).locator(".feedback").inner_text()
    assert "did not help" in turns.nth(1).locator(".feedback").inner_text()
    assert "fb-good" in (turns.nth(2).locator(".fb").get_attribute("class") or "")
    screenshot(page, "session-feedback", full_page=True)
