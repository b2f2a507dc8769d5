// The runs page's filter bar: quick filters apply on change, example chips fill the filter box,
// "/" focuses the filter, Escape clears it, a table row opens its trace, and the caret of a syntax
// error is selected in the box. The form works without this script (a plain GET).
(function () {
  "use strict";
  const form = document.querySelector("form[data-filter-bar]");
  if (!form) return;
  const input = form.querySelector('input[name="filter"]');

  // Drop empty fields so the address stays short and shareable.
  form.addEventListener("submit", function () {
    for (const field of form.querySelectorAll("input, select")) {
      if (field.name && field.type !== "checkbox" && field.type !== "hidden" && field.value === "") {
        field.disabled = true;
      }
    }
  });

  for (const select of form.querySelectorAll(".fb-quick select, .fb-quick input[type=checkbox]")) {
    select.addEventListener("change", function () { form.requestSubmit(); });
  }

  for (const chip of form.querySelectorAll("[data-example]")) {
    chip.addEventListener("click", function () {
      input.value = chip.dataset.example;
      input.focus();
    });
  }

  document.addEventListener("keydown", function (event) {
    const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName);
    if (event.key === "/" && !typing) {
      event.preventDefault();
      input.focus();
      input.select();
    } else if (event.key === "Escape" && document.activeElement === input) {
      input.value = "";
    }
  });

  // Point at the syntax error: the caret's offset is the length of the text before it.
  const before = form.querySelector(".fb-caret span");
  if (before && input.classList.contains("invalid")) {
    const at = before.textContent.length;
    input.focus();
    input.setSelectionRange(at, Math.min(at + 1, input.value.length));
  }

  // A click anywhere on a row (not on a link in it) opens the run.
  const table = document.querySelector("table.runs");
  if (table) {
    table.addEventListener("click", function (event) {
      if (event.target.closest("a")) return;
      const row = event.target.closest("tr[data-href]");
      if (row) window.location.href = row.dataset.href;
    });
  }
})();
