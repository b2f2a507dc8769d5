// Thumbs up/down with an optional comment on the trace and session pages: POST /api/v1/feedback
// as a reviewer's score (key "thumbs", source "human"); a thumbs down feeds failure pools.
(function () {
  "use strict";
  document.querySelectorAll("form[data-feedback]").forEach(function (form) {
    const status = form.querySelector(".fb-status");
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.querySelectorAll("button[data-score]").forEach(function (button) {
      button.addEventListener("click", async function () {
        const score = Number(button.getAttribute("data-score"));
        const comment = form.elements.namedItem("comment").value || null;
        status.textContent = "Saving…";
        try {
          const response = await fetch("/api/v1/feedback", {
            method: "POST",
            headers: {"content-type": "application/json",
                      "x-csrf-token": (document.querySelector("meta[name=csrf-token]") || {getAttribute: () => ""}).getAttribute("content")},
            body: JSON.stringify({run_id: form.getAttribute("data-run"), key: "thumbs", score: score,
              comment: comment, source: "human"}),
          });
          const body = await response.json();
          if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
          status.textContent = score ? "Saved 👍" : "Saved 👎";
          form.setAttribute("data-saved", String(score));
        } catch (error) {
          status.textContent = "Not saved: " + error.message;
        }
      });
    });
  });
})();
