// Progressive touches only: every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // After an htmx swap of the whole page, put focus on the main content for screen readers.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail && event.detail.boosted) {
      var main = document.getElementById("main");
      if (main) { main.focus({ preventScroll: true }); }
    }
  });

  // The e-card's live code: count down each second and fetch a fresh code just before the
  // window ends; also when the phone wakes up and the page becomes visible again.
  var timer = null;
  function codeBox() { return document.getElementById("ecard-code"); }
  function refresh() {
    var box = codeBox();
    if (box && window.htmx) { window.htmx.trigger(box, "ecard-refresh"); }
    else if (box) { window.location.reload(); }
  }
  function tick() {
    var box = codeBox();
    if (!box) { return; }
    var left = parseInt(box.getAttribute("data-seconds-left"), 10) - 1;
    box.setAttribute("data-seconds-left", String(left));
    var shown = box.querySelector("[data-countdown]");
    if (shown && left >= 0) { shown.textContent = String(left); }
    if (left === 0 || (left < 0 && left % 5 === 0)) { refresh(); }  // retry every 5 s if offline
  }
  function start() {
    if (timer) { clearInterval(timer); timer = null; }
    if (codeBox()) { timer = setInterval(tick, 1000); }
  }
  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("htmx:afterSettle", start);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && codeBox()) { refresh(); }
  });

  // "Print" buttons exist only when this script can print.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
