// The alerts page's rule form (shown to editors and admins only): PUT /api/v1/alerts/rules/<id>
// with the session's CSRF token, then reload to show the rule.
(function () {
  "use strict";
  const form = document.querySelector("form[data-alert-rule-form]");
  if (!form) return;
  const status = form.querySelector(".rule-status");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const field = (name) => form.elements.namedItem(name).value.trim();
    let params;
    try {
      params = JSON.parse(field("params") || "{}");
    } catch (error) {
      status.textContent = "Parameters are not JSON: " + error.message;
      return;
    }
    const meta = document.querySelector("meta[name=csrf-token]");
    const body = {kind: field("kind"), params: params};
    if (field("project")) body.project = field("project");
    const response = await fetch("/api/v1/alerts/rules/" + encodeURIComponent(field("rule_id")), {
      method: "PUT",
      headers: {"content-type": "application/json", "x-csrf-token": meta ? meta.getAttribute("content") : ""},
      body: JSON.stringify(body),
    });
    if (response.ok) {
      window.location.reload();
    } else {
      const answer = await response.json().catch(() => ({}));
      status.textContent = "Not saved: " + (answer.error ? answer.error.message : response.statusText);
    }
  });
})();
