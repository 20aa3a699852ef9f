// Batch match: poll the run's status while it is queued or running, and reload when it ends.
(function () {
  "use strict";
  var el = document.getElementById("run-status");
  if (!el) { return; }
  var url = el.getAttribute("data-status-url");
  var status = el.getAttribute("data-status");
  if (status !== "queued" && status !== "running") { return; }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && (body.status === "done" || body.status === "failed")) {
          window.location.reload();
          return;
        }
        if (body) { el.querySelector("strong").textContent = body.label; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
