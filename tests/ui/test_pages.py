"""Pages in process (no browser): each page, its JSON twin, HTML errors, static assets, the patterns page."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest

from tests.spans import span, tree
from tracehound.ui.templating import static

pytestmark = pytest.mark.anyio

HTML = {"accept": "text/html,application/xhtml+xml"}


class _Collector(HTMLParser):
    """Ids, classes and links of a page, so assertions read the structure rather than raw text."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.classes: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(found["id"] or "")
        self.classes.append(found.get("class") or "")
        if tag == "a" and found.get("href"):
            self.links.append(found["href"] or "")


def parse(text: str) -> _Collector:
    collector = _Collector()
    collector.feed(text)
    return collector


async def _seed(api: httpx.AsyncClient) -> list[dict]:
    spans = tree(4, project="shop", session_id="s-1", inputs={"question": "where is it?"},
                 outputs={"answer": "here"})
    spans[2]["error"] = "Traceback (most recent call last):\nValueError: boom"
    second = tree(2, project="shop", session_id="s-1")
    response = await api.post("/api/v1/spans", json={"spans": spans + second})
    assert response.status_code == 200
    return spans


async def test_home_lists_projects_and_recent_traces(api: httpx.AsyncClient) -> None:
    spans = await _seed(api)
    page = parse((await api.get("/")).text)
    assert "/?project=shop" in page.links
    assert f"/trace/{spans[0]['trace_id']}" in page.links
    twin = (await api.get("/.json", params={"project": "shop"})).json()
    assert twin["project"] == "shop" and len(twin["traces"]) == 2
    assert (await api.get("/.json", params={"project": "nope"})).json()["traces"] == []


async def test_trace_page_and_its_json_twin_agree(api: httpx.AsyncClient) -> None:
    spans = await _seed(api)
    trace_id = spans[0]["trace_id"]
    response = await api.get(f"/trace/{trace_id}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    twin = (await api.get(f"/trace/{trace_id}.json")).json()
    assert {f"s-{row['id']}" for row in twin["rows"]} <= page.ids
    assert twin["span_count"] == 4 and twin["error_count"] == 1
    assert [row["depth"] for row in twin["rows"]] == [0, 1, 1, 1]
    assert twin["selected_id"] == trace_id  # the root when no span is asked for
    assert any("r rt-tool err" in cls for cls in page.classes)


async def test_span_query_selects_and_detail_fragment_matches(api: httpx.AsyncClient) -> None:
    spans = await _seed(api)
    trace_id, failing = spans[0]["trace_id"], spans[2]["id"]
    twin = (await api.get(f"/trace/{trace_id}.json", params={"span": failing})).json()
    assert twin["selected"]["id"] == failing and "ValueError: boom" in twin["selected"]["error"]
    fragment = await api.get(f"/trace/{trace_id}/span/{failing}")
    assert "ValueError: boom" in fragment.text and "<html" not in fragment.text
    assert (await api.get(f"/trace/{trace_id}/span/{failing}.json")).json()["selected"]["id"] == failing
    missing = await api.get(f"/trace/{trace_id}", params={"span": spans[0]["id"][:-1] + "0"}, headers=HTML)
    assert missing.status_code == 404 and "no span" in missing.text


async def test_session_page_shows_turns_with_links(api: httpx.AsyncClient) -> None:
    spans = await _seed(api)
    page = parse((await api.get("/session/s-1")).text)
    assert f"/trace/{spans[0]['trace_id']}" in page.links
    twin = (await api.get("/session/s-1.json")).json()
    assert twin["turn_count"] == 2 and twin["turns"][0]["user_message"] == "where is it?"
    assert twin["turns"][0]["answer"] == "here"


async def test_errors_are_html_on_pages_and_json_elsewhere(api: httpx.AsyncClient) -> None:
    page = await api.get("/trace/00000000-0000-0000-0000-000000000000", headers=HTML)
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    assert "no trace with id" in page.text and "error-page" in page.text
    twin = await api.get("/trace/00000000-0000-0000-0000-000000000000.json", headers=HTML)
    assert twin.status_code == 404 and twin.json()["error"]["code"] == "not_found"
    assert (await api.get("/api/v1/traces/nope", headers=HTML)).json()["error"]["code"] == "not_found"
    assert (await api.get("/session/none")).status_code == 404
    unknown = await api.get("/no/such/page", headers=HTML)
    assert unknown.status_code == 404 and "text/html" in unknown.headers["content-type"]
    assert (await api.get("/no/such/page")).json()["error"]["code"] == "not_found"  # API clients


async def test_static_assets_carry_a_content_hash(api: httpx.AsyncClient) -> None:
    url = static("app.css")
    assert url.startswith("/-/static/app.css?h=")
    response = await api.get(url)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    assert "immutable" in response.headers["cache-control"]
    assert "immutable" not in (await api.get("/-/static/app.css?h=stale")).headers["cache-control"]
    assert (await api.get("/-/static/..%2Fcontext.py")).status_code == 404
    assert url in (await api.get("/")).text
    with pytest.raises(LookupError):
        static("missing.css")


async def test_patterns_page_shows_every_component(api: httpx.AsyncClient) -> None:
    text = (await api.get("/-/patterns")).text
    for component in ("crumbs", "badge rt rt-guardrail", "st-interrupted", "grid-table", "class=\"axis\"",
                      "id=\"waterfall\"", "detail-in", "class=\"json\"", "article class=\"turn", "error-page"):
        assert component in text, component


async def test_running_span_and_orphan_render(api: httpx.AsyncClient) -> None:
    root = span(name="still_running", start_time=1_776_247_200_000_000, end_time=None)
    orphan = span(root["trace_id"], parent_id="11111111-1111-4111-8111-111111111111", name="orphan")
    assert (await api.post("/api/v1/spans", json={"spans": [root, orphan]})).status_code == 200
    twin = (await api.get(f"/trace/{root['trace_id']}.json")).json()
    assert {row["name"] for row in twin["rows"]} == {"still_running", "orphan"}
    assert (await api.get(f"/trace/{root['trace_id']}")).status_code == 200
