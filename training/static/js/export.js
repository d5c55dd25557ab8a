// Progressive enhancement: while an export is being prepared, ask its status every few
// seconds and show the download link in place once it is ready (no reload: the status
// line is a live region). Without JavaScript the "Refresh" link does the same.
(function () {
  "use strict";
  var box = document.getElementById("export");
  if (!box || box.dataset.status !== "queued" || !window.fetch) return;
  var status = document.getElementById("export-status");
  var ready = document.getElementById("export-ready");
  var tries = 0;
  function poll() {
    tries += 1;
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.status === "ready") {
          box.dataset.status = "ready";
          status.textContent = status.dataset.readyText;
          ready.hidden = false;
        } else if (data && data.status === "failed") {
          box.dataset.status = "failed";
          status.textContent = status.dataset.failedText;
        } else if (tries < 200) {
          window.setTimeout(poll, 3000);
        }
      })
      .catch(function () { /* the refresh link still works */ });
  }
  window.setTimeout(poll, 2000);
})();
