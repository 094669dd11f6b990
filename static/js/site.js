// Progressive touches only: every page works without this file.
(function () {
  "use strict";
  // After an htmx swap, put focus on the new main content for screen readers and keyboards.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail && event.detail.boosted) {
      var main = document.getElementById("main");
      if (main) { main.focus({ preventScroll: true }); }
    }
  });
})();
