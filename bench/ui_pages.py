"""Trace page load time with 1,000,000 spans stored: a 1,000-span trace rendered as the waterfall page.

Server time is measured twice: in process (store fetch, page context, template; what the route does)
and through a real server over HTTP. The baseline, measured in the same run, is the JSON API for the
same trace (``GET /api/v1/traces/<id>``), which fetches the same tree and only encodes it; the ratio
shows what the page costs above the data. Target: ≤ 300 ms server time for the page.

In process the page is also timed in CPU time (steadier than wall time on a shared machine), and,
as a same-run baseline, with every row rendered as HTML (what the page did before big traces became
virtual: ``ui/trace_view.py`` ``VIRTUAL_ABOVE``). With ``--browser`` (system Chromium + Playwright),
the time from navigation until the waterfall is interactive (rows in view rendered, script done).

    python bench/ui_pages.py [--spans 1000000] [--trace-spans 1000] [--browser]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(__file__))

from _dataset import build_store
from _server import running_server
from tracehound.model import Span
from tracehound.store.sqlite import SqliteSpanStore
from tracehound.ui import trace_view as trace_view_module
from tracehound.ui.context import trace_context
from tracehound.ui.templating import render
from tracehound.ui.trace_view import VIRTUAL_ABOVE

TARGET_MS = 300.0
ROUNDS = 40


def wide_trace(n_spans: int) -> list[Span]:
    """An agent run of ``n_spans`` spans: iterations of an LLM call and tools, some in parallel, some failing.

    The ids are derived from the size, so running the benchmark again rewrites the same trace. It goes to
    a project of its own with a handful of tool names, so it does not change what other benchmarks
    measure on the shared store (per-tool tables, for one).
    """
    trace_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tracehound-bench-ui-{n_spans}"))
    t0 = int(time.time() * 1e6) - 3_600_000_000
    spans = [Span(id=trace_id, trace_id=trace_id, name="long_agent_run", run_type="agent", project="bench-ui",
                  start_time=t0, end_time=t0 + n_spans * 2_000, inputs={"question": "reconcile all invoices"},
                  outputs={"answer": "done"}, session_id="bench-ui-session")]
    parent, index = trace_id, 0
    while len(spans) < n_spans:
        index += 1
        sid = str(uuid.uuid5(uuid.UUID(trace_id), str(index)))
        start = t0 + index * 2_000
        if index % 10 == 1:  # an iteration opens: its nine children follow
            spans.append(Span(id=sid, trace_id=trace_id, parent_id=trace_id, name=f"iteration_{index // 10}",
                              run_type="chain", project="bench-ui", start_time=start, end_time=start + 19_500))
            parent = sid
            continue
        run_type = "llm" if index % 10 == 2 else "tool"
        spans.append(Span(
            id=sid, trace_id=trace_id, parent_id=parent, name=f"{run_type}_{index % 10}", run_type=run_type,
            project="bench-ui", start_time=start, end_time=start + (3_500 if index % 3 == 0 else 1_800),
            inputs={"step": index, "args": {"query": f"invoice {index}", "limit": 20}},
            outputs={"rows": [{"id": n, "amount": n * 3.5} for n in range(5)]},
            prompt_tokens=500 if run_type == "llm" else None, completion_tokens=80 if run_type == "llm" else None,
            error="TimeoutError: upstream took too long" if index % 97 == 0 else None,
        ))
    return spans


def timed(func: Callable[[], object], rounds: int = ROUNDS) -> tuple[float, float]:
    """Median and p95 in milliseconds (after three warm-up calls)."""
    for _ in range(3):
        func()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        func()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(int(len(samples) * 0.95) - 1, 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000, help="spans in the store")
    parser.add_argument("--trace-spans", type=int, default=1_000, help="spans in the trace shown")
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    args = parser.parse_args()
    path = build_store(args.spans)
    store = SqliteSpanStore(path)
    spans = wide_trace(args.trace_spans)
    store.upsert(spans)
    trace_id = spans[0].trace_id
    total = store.count()
    print(f"ui_pages: trace page of a {len(spans):,}-span trace, {total:,} spans stored")

    def page_in_process() -> str:
        return render("trace.html", trace_context(store, trace_id))

    html_bytes = len(page_in_process().encode())
    fetch_ms, _ = timed(lambda: store.get_trace(trace_id))
    outline_ms, _ = timed(lambda: store.get_trace_outline(trace_id))
    context_ms, _ = timed(lambda: trace_context(store, trace_id))
    page_ms, page_p95 = timed(page_in_process)
    print(f"  in process  store.get_trace  median {fetch_ms:7.1f} ms")
    print(f"  in process  store.get_trace_outline (no payloads; what the page reads) median {outline_ms:7.1f} ms")
    print(f"  in process  + page context   median {context_ms:7.1f} ms")
    print(f"  in process  + template       median {page_ms:7.1f} ms  p95 {page_p95:7.1f} ms  "
          f"({html_bytes / 1e6:.2f} MB of HTML)")
    page_cpu = cpu_ms(page_in_process)
    trace_view_module.VIRTUAL_ABOVE = 10**9  # the baseline: every row as HTML
    all_rows_cpu = cpu_ms(page_in_process)
    all_rows_bytes = len(page_in_process().encode())
    trace_view_module.VIRTUAL_ABOVE = VIRTUAL_ABOVE
    print(f"  in process  page CPU time    best {page_cpu:7.1f} ms; baseline with every row as HTML"
          f" {all_rows_cpu:7.1f} ms ({all_rows_bytes / 1e6:.2f} MB): {all_rows_cpu / page_cpu:.1f}x;"
          f" target {TARGET_MS:.0f} ms {'OK' if page_cpu <= TARGET_MS else 'OVER TARGET'}")
    store.close()

    with running_server(os.path.dirname(path)) as port:
        base = f"http://127.0.0.1:{port}"

        def fetch(url: str) -> Callable[[], object]:
            def get() -> bytes:
                with urllib.request.urlopen(url) as response:
                    return response.read()
            return get

        api_ms, api_p95 = timed(fetch(f"{base}/api/v1/traces/{trace_id}"))
        http_ms, http_p95 = timed(fetch(f"{base}/trace/{trace_id}"))
        deep_ms, _ = timed(fetch(f"{base}/trace/{trace_id}?span={spans[len(spans) // 2].id}"))
        detail_ms, _ = timed(fetch(f"{base}/trace/{trace_id}/span/{spans[len(spans) // 2].id}"))
        interactive_ms = browser_ms(f"{base}/trace/{trace_id}") if args.browser else None
    print(f"  http  baseline: JSON API /api/v1/traces  median {api_ms:7.1f} ms  p95 {api_p95:7.1f} ms")
    print(f"  http  trace page /trace/<id>             median {http_ms:7.1f} ms  p95 {http_p95:7.1f} ms  "
          f"{http_ms / api_ms:.1f}x the JSON API; target {TARGET_MS:.0f} ms "
          f"({TARGET_MS / http_ms:.1f}x headroom at the median) {'OK' if http_ms <= TARGET_MS else 'OVER TARGET'}")
    print(f"  http  deep link /trace/<id>?span=<id>    median {deep_ms:7.1f} ms")
    print(f"  http  span detail fragment (row click)   median {detail_ms:7.1f} ms")
    if interactive_ms is not None:
        print(f"  browser  navigation to interactive waterfall  median {interactive_ms:7.1f} ms"
              f"  (target 1000 ms) {'OK' if interactive_ms <= 1000 else 'OVER TARGET'}")


def cpu_ms(func: Callable[[], object], rounds: int = 7) -> float:
    """Best process CPU time of ``rounds`` calls, in milliseconds (after one warm-up)."""
    func()
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best * 1000


def browser_ms(url: str, rounds: int = 5) -> float | None:
    """Median ms from navigation until the page's scripts ran and the waterfall's rows in view exist."""
    import shutil

    executable = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                       if (found := shutil.which(name))), None)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        print("  browser  skipped: needs Playwright and a system Chromium")
        return None
    samples = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        for _ in range(rounds + 1):
            page.goto(url, wait_until="load")
            page.wait_for_selector("#waterfall .r")
            # loadEventEnd: HTML parsed, deferred scripts (trace_tree.js) run, first layout done.
            samples.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
        browser.close()
    return statistics.median(samples[1:])


if __name__ == "__main__":
    main()
