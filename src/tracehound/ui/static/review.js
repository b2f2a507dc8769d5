// The review screen, keyboard-first: 1–9 pick a label, p toggles "promote", Ctrl+Enter submits,
// s skips, e edits the reference. Submitting posts the annotation and loads the next claimed item.
(function () {
  "use strict";
  const root = document.getElementById("review");
  const form = document.getElementById("review-form");
  if (!root || !form) return;
  const error = document.getElementById("review-error");

  function typing(target) {
    return target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type !== "radio"
      && target.type !== "checkbox"));
  }

  function reference() {
    const text = form.elements.namedItem("reference_output").value.trim();
    if (!text) return null;
    try { return JSON.parse(text); } catch (_) { return text; }
  }

  function labels() {
    const found = {};
    form.querySelectorAll("fieldset.rubric").forEach(function (set) {
      const key = set.getAttribute("data-key");
      if (set.getAttribute("data-kind") === "score") {
        const input = set.querySelector("input");
        if (input.value !== "") found[key] = Number(input.value);
      } else {
        const picked = set.querySelector("input:checked");
        if (picked) found[key] = picked.value;
      }
    });
    return found;
  }

  async function submit() {
    error.hidden = true;
    const queue = root.getAttribute("data-queue");
    const run = root.getAttribute("data-run");
    const response = await fetch("/api/v1/queues/" + encodeURIComponent(queue) + "/items/" + encodeURIComponent(run)
      + "/annotations", {
      method: "POST",
      headers: {"content-type": "application/json",
                "x-csrf-token": (document.querySelector("meta[name=csrf-token]") || {getAttribute: () => ""}).getAttribute("content")},
      body: JSON.stringify({reviewer: root.getAttribute("data-reviewer"), labels: labels(),
        reference_output: reference(), comment: form.elements.namedItem("comment").value || null,
        promote: form.elements.namedItem("promote").checked}),
    });
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).error.message; } catch (_) { /* keep the status text */ }
      error.textContent = "Not saved: " + message;
      error.hidden = false;
      return;
    }
    window.location.reload();  // the server hands out the reviewer's next item
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); submit(); return; }
    if (typing(event.target)) { if (event.key === "Escape") event.target.blur(); return; }
    if (/^[1-9]$/.test(event.key)) {
      const radio = form.querySelector('input[data-shortcut="' + event.key + '"]');
      if (radio) { radio.checked = true; event.preventDefault(); }
    } else if (event.key === "p") {
      const promote = form.elements.namedItem("promote");
      promote.checked = !promote.checked;
    } else if (event.key === "s") {
      document.getElementById("skip").click();
    } else if (event.key === "e") {
      event.preventDefault();
      document.getElementById("reference").focus();
    }
  });
})();
