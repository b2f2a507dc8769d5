// "Add to dataset" on the trace page: copies the root run into the chosen dataset as one example,
// its outputs as the reference, through POST /api/v1/datasets/<name>/promote, then links to it.
(function () {
  "use strict";
  const form = document.querySelector("form[data-add-to-dataset]");
  // Read controls through elements.namedItem and data-* through getAttribute: a control named like a
  // form property (form.dataset) would shadow it.
  if (!form || !form.elements.namedItem("target")) return;
  const status = form.querySelector(".added");
  // Signed-in pages carry the session's CSRF token; the server wants it on every state-changing request.
  function csrfToken() {
    const meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const name = form.elements.namedItem("target").value;
    const button = form.querySelector("button");
    button.disabled = true;
    status.textContent = "Adding…";
    try {
      const response = await fetch("/api/v1/datasets/" + encodeURIComponent(name) + "/promote", {
        method: "POST",
        headers: {"content-type": "application/json", "x-csrf-token": csrfToken()},
        body: JSON.stringify({run_id: form.getAttribute("data-run"), use_run_outputs: true}),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
      status.textContent = "";
      const link = document.createElement("a");
      link.href = "/evals/datasets/" + encodeURIComponent(name);
      link.className = "added-link";
      link.textContent = "Added to " + name + " →";
      status.appendChild(link);
    } catch (error) {
      status.textContent = "Could not add: " + error.message;
      status.classList.add("bad");
    } finally {
      button.disabled = false;
    }
  });
})();
