// Lobby kiosk: whatever one person left on the screen (an answer, a language they chose, a
// half-typed card number) is cleared after a while without a touch or a key, so nothing of
// them is left for the next. Any touch or key starts the wait again. Leaving an answer replaces
// it in the history, so "Back" cannot bring it back. (Without JavaScript a <noscript> refresh
// clears an answer after the same time.)
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var screen = document.querySelector("[data-reset-after]");
    if (!screen) { return; }
    var seconds = parseInt(screen.getAttribute("data-reset-after"), 10) || 20;
    var input = document.querySelector("[data-scan-input]");
    var timer = null;
    function forget() { window.location.replace("/kiosk/done"); }
    function somethingShown() {
      return screen.hasAttribute("data-reset-now") || (input && input.value !== "");
    }
    function wait() {
      if (timer) { clearTimeout(timer); timer = null; }
      if (somethingShown()) { timer = setTimeout(forget, seconds * 1000); }
    }
    ["pointerdown", "keydown", "input"].forEach(function (name) {
      document.addEventListener(name, function () { setTimeout(wait, 0); }, { passive: true });
    });
    document.querySelectorAll("[data-done]").forEach(function (link) {
      link.addEventListener("click", function (event) { event.preventDefault(); forget(); });
    });
    wait();

    // The keypad types into the card-number input and gives the focus back to it at once, so the
    // scanner can still type there.
    var keypad = document.querySelector("[data-keypad]");
    if (keypad && input) {
      keypad.hidden = false;
      keypad.addEventListener("click", function (event) {
        var button = event.target.closest("[data-key]");
        if (!button) { return; }
        var key = button.getAttribute("data-key");
        if (key === "clear") { input.value = ""; }
        else if (key === "back") { input.value = input.value.slice(0, -1); }
        else if (input.value.length < 19) { input.value += key; }
        input.focus();
        wait();
      });
    }
  });
})();
