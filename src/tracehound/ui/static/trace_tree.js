// Trace page behaviour: collapse and expand subtrees, select a span (detail fetched as HTML), keep
// the address a deep link (/trace/<id>?span=<id>), move with the arrow keys.
// Rows arrive depth first with their depth in data-d, so a subtree is the run of following rows
// deeper than its root: every operation is one linear walk, fine for 10,000 spans.
(function () {
  "use strict";
  const wf = document.getElementById("waterfall");
  const detail = document.getElementById("detail");
  if (!wf || !detail) return;

  const traceId = wf.dataset.trace;
  const rows = Array.from(wf.querySelectorAll(".r"));
  const depth = new Int32Array(rows.length);
  const index = new Map();
  rows.forEach(function (row, i) {
    depth[i] = +row.dataset.d;
    index.set(row.id.slice(2), i);
  });
  let selected = wf.querySelector(".r.sel");
  let request = 0;

  function subtreeEnd(i) {
    let j = i + 1;
    while (j < rows.length && depth[j] > depth[i]) j++;
    return j;
  }

  function setCollapsed(i, collapsed) {
    const button = rows[i].querySelector("button.tw");
    if (!button || rows[i].classList.contains("closed") === collapsed) return;
    rows[i].classList.toggle("closed", collapsed);
    button.setAttribute("aria-expanded", String(!collapsed));
    button.setAttribute("aria-label", collapsed ? "Expand" : "Collapse");
    const end = subtreeEnd(i);
    for (let j = i + 1; j < end; j++) {
      if (collapsed) {
        rows[j].hidden = true;
        continue;
      }
      rows[j].hidden = false;
      if (rows[j].classList.contains("closed")) j = subtreeEnd(j) - 1; // keeps its own subtree hidden
    }
  }

  function setAll(collapsed) {
    for (let i = 0; i < rows.length; i++) {
      const button = rows[i].querySelector("button.tw");
      if (button) {
        rows[i].classList.toggle("closed", collapsed);
        button.setAttribute("aria-expanded", String(!collapsed));
      }
      rows[i].hidden = collapsed && depth[i] > 0;
    }
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

  function select(spanId, push) {
    const i = index.get(spanId);
    if (i === undefined) return;
    if (rows[i].hidden) reveal(i);
    if (selected) selected.classList.remove("sel");
    selected = rows[i];
    selected.classList.add("sel");
    const rect = selected.getBoundingClientRect();
    if (rect.top < 40 || rect.bottom > window.innerHeight) selected.scrollIntoView({ block: "nearest" });
    if (push) history.pushState({ span: spanId }, "", "?span=" + spanId);
    const mine = ++request;
    detail.setAttribute("aria-busy", "true");
    fetch("/trace/" + traceId + "/span/" + spanId)
      .then(function (response) {
        return response.text().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (mine !== request) return; // a later click won
        if (result.ok) {
          detail.innerHTML = result.body;
        } else {
          detail.innerHTML = '<p class="bad">Could not load span ' + spanId + "</p>";
        }
        detail.removeAttribute("aria-busy");
      })
      .catch(function (error) {
        if (mine !== request) return;
        detail.innerHTML = '<p class="bad">Could not load span: ' + String(error).replace(/</g, "&lt;") + "</p>";
        detail.removeAttribute("aria-busy");
      });
  }

  wf.addEventListener("click", function (event) {
    const row = event.target.closest(".r");
    if (!row) return;
    const i = index.get(row.id.slice(2));
    if (event.target.closest("button.tw")) {
      setCollapsed(i, !row.classList.contains("closed"));
      return;
    }
    const link = event.target.closest("a");
    if (link && (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0)) return; // new tab
    event.preventDefault();
    select(row.id.slice(2), true);
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
    for (let j = from + direction; j >= 0 && j < rows.length; j += direction) {
      if (!rows[j].hidden) return j;
    }
    return -1;
  }

  document.addEventListener("keydown", function (event) {
    if (!selected || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select")) return;
    const i = index.get(selected.id.slice(2));
    let next = -1;
    if (event.key === "ArrowDown" || event.key === "j") next = step(i, 1);
    else if (event.key === "ArrowUp" || event.key === "k") next = step(i, -1);
    else if (event.key === "ArrowLeft") setCollapsed(i, true);
    else if (event.key === "ArrowRight") setCollapsed(i, false);
    else return;
    event.preventDefault();
    if (next >= 0) select(rows[next].id.slice(2), true);
  });

  window.addEventListener("popstate", function () {
    const spanId = new URLSearchParams(location.search).get("span");
    select(spanId || rows[0].id.slice(2), false);
  });

  if (selected && selected !== rows[0]) selected.scrollIntoView({ block: "center" });
})();
