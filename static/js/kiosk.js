// Lobby kiosk: an answer on screen clears itself after a while without a touch or a key,
// so nothing of one patient is left for the next. Any touch or key starts the wait again.
// (Without JavaScript a <noscript> refresh does the same after the same time.)
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-reset-after]");
    if (!box) { return; }
    var seconds = parseInt(box.getAttribute("data-reset-after"), 10) || 20;
    var timer = null;
    function wait() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(function () { window.location.assign("/kiosk/done"); }, seconds * 1000);
    }
    ["pointerdown", "keydown"].forEach(function (name) {
      document.addEventListener(name, wait, { passive: true });
    });
    wait();
  });
})();
