// Progressive enhancement: mark the lesson read when its end scrolls into view.
// Without JavaScript the "mark as read" button does the same.
(function () {
  "use strict";
  var end = document.getElementById("lesson-end");
  if (!end || end.dataset.read === "true" || !("IntersectionObserver" in window)) return;
  var tokenField = document.querySelector('input[name="csrf_token"]');
  var status = document.getElementById("read-status");
  var observer = new IntersectionObserver(function (entries) {
    if (!entries.some(function (entry) { return entry.isIntersecting; })) return;
    observer.disconnect();
    fetch(end.dataset.readUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenField ? tokenField.value : "", "Accept": "application/json" }
    }).then(function (response) {
      if (response.ok && status) {
        end.dataset.read = "true";
        status.textContent = status.dataset.doneText;
        status.className = "badge badge-done";
      }
    }).catch(function () { /* the button still works */ });
  });
  observer.observe(end);
})();
