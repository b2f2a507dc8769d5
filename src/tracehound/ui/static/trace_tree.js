// Trace page behaviour: collapse and expand subtrees, select a span (detail fetched as HTML), keep
// the address a deep link (/trace/<id>?span=<id>), move with the arrow keys.
// Rows are depth first with their depth, so a subtree is the run of following rows deeper than its
// root: every operation is one linear walk over typed arrays, fine for 10,000 spans.
// A small trace has every row in the page. A big one (the server sends #wf-rows, one JSON array per
// row) is virtual: only the rows in view exist in the document, absolutely placed, re-rendered as
// the page scrolls, so the browser lays out a screenful instead of 10,000 rows.
(function () {
  "use strict";
  const wf = document.getElementById("waterfall");
  const detail = document.getElementById("detail");
  if (!wf || !detail) return;

  const ERROR = 1, CRITICAL = 2, PARALLEL = 4, HAS_CHILDREN = 8; // as ui/trace_view.py
  const BUFFER_ROWS = 30;
  const traceId = wf.dataset.trace;
  const body = wf.querySelector(".wf-body");
  const source = document.getElementById("wf-rows");
  const data = source ? JSON.parse(source.textContent) : null;
  const els = data ? null : Array.from(wf.querySelectorAll(".r"));
  const count = data ? data.length : els.length;
  const ids = data ? data.map(function (r) { return r[0]; }) : els.map(function (el) { return el.id.slice(2); });
  const depth = data ? Int32Array.from(data, function (r) { return r[4]; })
    : Int32Array.from(els, function (el) { return +el.dataset.d; });
  const closed = new Uint8Array(count);
  const hidden = new Uint8Array(count);
  const index = new Map();
  ids.forEach(function (id, i) { index.set(id, i); });
  let selected = index.has(wf.dataset.selected) ? index.get(wf.dataset.selected) : 0;
  let request = 0;

  function hasChildren(i) {
    return i + 1 < count && depth[i + 1] > depth[i];
  }

  function subtreeEnd(i) {
    let j = i + 1;
    while (j < count && depth[j] > depth[i]) j++;
    return j;
  }

  // Virtual rendering ------------------------------------------------------------------------------
  let visible = null; // indices of the rows not hidden, in order
  let rowHeight = 0;
  let layer = null;
  let shown = [-1, -1];

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function rowHtml(i, top) {
    const r = data[i];
    const flags = r[3];
    let cls = "r rt-" + escapeHtml(r[2]);
    if (flags & ERROR) cls += " err";
    if (flags & CRITICAL) cls += " crit";
    if (i === selected) cls += " sel";
    if (closed[i]) cls += " closed";
    const twist = flags & HAS_CHILDREN
      ? '<button type="button" class="tw" aria-expanded="' + !closed[i] + '" aria-label="'
        + (closed[i] ? "Expand" : "Collapse") + '"></button>'
      : '<i class="tw"></i>';
    return '<div class="' + cls + '" id="s-' + r[0] + '" data-d="' + r[4] + '" style="--d:' + r[4] + ";top:"
      + top + 'px" role="treeitem"><span class="nm">' + twist + '<a href="?span=' + r[0] + '">'
      + escapeHtml(r[1]) + "</a>"
      + (flags & PARALLEL ? '<b class="par" title="ran in parallel with a sibling">∥</b>' : "")
      + '</span><span class="du">' + escapeHtml(r[7]) + '</span><span class="tr"><span class="bar" style="left:'
      + r[5] + "%;width:" + r[6] + '%"></span></span></div>';
  }

  function render(force) {
    const top = body.getBoundingClientRect().top;
    const first = Math.max(0, Math.floor(-top / rowHeight) - BUFFER_ROWS);
    const last = Math.min(visible.length, Math.ceil((window.innerHeight - top) / rowHeight) + BUFFER_ROWS);
    if (!force && first === shown[0] && last === shown[1]) return;
    shown = [first, last];
    const parts = [];
    for (let k = first; k < last; k++) parts.push(rowHtml(visible[k], k * rowHeight));
    layer.innerHTML = parts.join("");
  }

  function relayout() {
    const list = [];
    for (let i = 0; i < count; i++) if (!hidden[i]) list.push(i);
    visible = Int32Array.from(list);
    body.style.height = visible.length * rowHeight + "px";
    render(true);
  }

  function position(i) {
    // Where row i sits among the visible rows (binary search: visible is sorted).
    let lo = 0, hi = visible.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (visible[mid] === i) return mid;
      if (visible[mid] < i) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  if (data) {
    const first = body.querySelector(".r");
    rowHeight = (first && first.offsetHeight) || 24;
    body.querySelectorAll(".r").forEach(function (el) { el.remove(); });
    layer = document.createElement("div");
    body.appendChild(layer);
    let pending = false;
    const onScroll = function () {
      if (pending) return;
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        render(false);
      });
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    window.addEventListener("resize", onScroll);
    relayout();
  }

  // The model's changes reach the document ---------------------------------------------------------
  function apply(from, to) {
    if (data) {
      relayout();
      return;
    }
    for (let i = from; i < to; i++) {
      els[i].hidden = !!hidden[i];
      const button = els[i].querySelector("button.tw");
      if (!button) continue;
      els[i].classList.toggle("closed", !!closed[i]);
      button.setAttribute("aria-expanded", String(!closed[i]));
      button.setAttribute("aria-label", closed[i] ? "Expand" : "Collapse");
    }
  }

  function setCollapsed(i, collapsed) {
    if (!hasChildren(i) || !!closed[i] === collapsed) return;
    closed[i] = collapsed ? 1 : 0;
    const end = subtreeEnd(i);
    for (let j = i + 1; j < end; j++) {
      hidden[j] = collapsed ? 1 : 0;
      if (!collapsed && closed[j]) j = subtreeEnd(j) - 1; // keeps its own subtree hidden
    }
    apply(i, end);
  }

  function setAll(collapsed) {
    for (let i = 0; i < count; i++) {
      if (hasChildren(i)) closed[i] = collapsed ? 1 : 0;
      hidden[i] = collapsed && depth[i] > 0 ? 1 : 0;
    }
    apply(0, count);
  }

  function reveal(i) {
    // Open every collapsed ancestor, nearest last, so the row becomes visible.
    const ancestors = [];
    let want = depth[i] - 1;
    for (let k = i - 1; k >= 0 && want >= 0; k--) {
      if (depth[k] === want) {
        ancestors.push(k);
        want--;
      }
    }
    for (let a = ancestors.length - 1; a >= 0; a--) setCollapsed(ancestors[a], false);
  }

  function scrollTo(i, block) {
    if (!data) {
      const rect = els[i].getBoundingClientRect();
      if (block === "center" || rect.top < 40 || rect.bottom > window.innerHeight) {
        els[i].scrollIntoView({ block: block });
      }
      return;
    }
    const y = position(i) * rowHeight + body.getBoundingClientRect().top; // in the viewport
    if (block === "center" || y < 40 || y + rowHeight > window.innerHeight) {
      window.scrollBy(0, block === "center" ? y - window.innerHeight / 2 : y < 40 ? y - 40
        : y + rowHeight - window.innerHeight);
    }
    render(true);
  }

  function select(spanId, push) {
    const i = index.get(spanId);
    if (i === undefined) return;
    if (hidden[i]) reveal(i);
    if (els) {
      els[selected].classList.remove("sel");
      els[i].classList.add("sel");
    }
    selected = i;
    scrollTo(i, "nearest");
    if (push) history.pushState({ span: spanId }, "", "?span=" + spanId);
    const mine = ++request;
    detail.setAttribute("aria-busy", "true");
    fetch("/trace/" + traceId + "/span/" + spanId)
      .then(function (response) {
        return response.text().then(function (text) {
          return { ok: response.ok, body: text };
        });
      })
      .then(function (result) {
        if (mine !== request) return; // a later click won
        detail.innerHTML = result.ok ? result.body : '<p class="bad">Could not load span ' + spanId + "</p>";
        detail.removeAttribute("aria-busy");
      })
      .catch(function (error) {
        if (mine !== request) return;
        detail.innerHTML = '<p class="bad">Could not load span: ' + escapeHtml(error) + "</p>";
        detail.removeAttribute("aria-busy");
      });
  }

  wf.addEventListener("click", function (event) {
    const row = event.target.closest(".r");
    if (!row) return;
    const i = index.get(row.id.slice(2));
    if (event.target.closest("button.tw")) {
      setCollapsed(i, !closed[i]);
      return;
    }
    const link = event.target.closest("a");
    if (link && (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0)) return; // new tab
    event.preventDefault();
    select(ids[i], true);
  });

  detail.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-span-link]");
    if (!link || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    select(link.dataset.spanLink, true);
  });

  document.addEventListener("click", function (event) {
    const action = event.target.closest("[data-action]");
    if (action && action.dataset.action === "expand-all") setAll(false);
    if (action && action.dataset.action === "collapse-all") setAll(true);
  });

  function step(from, direction) {
    for (let j = from + direction; j >= 0 && j < count; j += direction) {
      if (!hidden[j]) return j;
    }
    return -1;
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select")) return;
    let next = -1;
    if (event.key === "ArrowDown" || event.key === "j") next = step(selected, 1);
    else if (event.key === "ArrowUp" || event.key === "k") next = step(selected, -1);
    else if (event.key === "ArrowLeft") setCollapsed(selected, true);
    else if (event.key === "ArrowRight") setCollapsed(selected, false);
    else return;
    event.preventDefault();
    if (next >= 0) select(ids[next], true);
  });

  window.addEventListener("popstate", function () {
    const spanId = new URLSearchParams(location.search).get("span");
    select(spanId || ids[0], false);
  });

  if (selected !== 0) scrollTo(selected, "center");
})();
