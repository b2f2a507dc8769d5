// The online rules page: create or replace a rule (PUT /api/v1/online-rules/<id>) and delete API rules,
// sending the session's CSRF token when signed in; reloads to show the result.
(function () {
  "use strict";
  function csrfToken() {
    const meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  async function send(method, id, body) {
    const response = await fetch("/api/v1/online-rules/" + encodeURIComponent(id), {
      method: method,
      headers: {"content-type": "application/json", "x-csrf-token": csrfToken()},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).error.message; } catch (_) { /* keep the status text */ }
      throw new Error(message);
    }
  }

  const form = document.getElementById("online-rule-form");
  if (form) {
    const status = form.querySelector(".fb-error");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const field = function (name) { return form.elements.namedItem(name).value.trim(); };
      try {
        const evaluators = JSON.parse(field("evaluators"));
        await send("PUT", field("id"), {project: field("project") || null, filter: field("filter") || null,
          sample_rate: Number(field("sample_rate")), evaluators: evaluators});
        window.location.reload();
      } catch (error) {
        status.textContent = "Not saved: " + error.message;
        status.hidden = false;
      }
    });
  }
  document.querySelectorAll("button[data-delete-rule]").forEach(function (button) {
    button.addEventListener("click", async function () {
      const id = button.getAttribute("data-delete-rule");
      if (!window.confirm("Delete online rule " + id + "?")) return;
      try { await send("DELETE", id); window.location.reload(); } catch (error) { window.alert(error.message); }
    });
  });
})();
