// wait.js moves the sign-in on as soon as the user has answered in chat.
// Without JavaScript the page refreshes itself every few seconds instead.
(function () {
  "use strict";
  var el = document.querySelector("[data-status]");
  if (!el || !window.fetch) {
    return;
  }
  var url = el.getAttribute("data-status");
  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json();
      })
      .then(function (s) {
        if (s.done) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);
      });
  }
  window.setTimeout(poll, 1000);
})();
