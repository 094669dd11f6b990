// The patient's queue page: when a ticket becomes "near" or "called", say so unmistakably —
// the page already shows it in large words; here the phone also vibrates and beeps, once.
(function () {
  "use strict";
  var KEY = "ymt-queue-states";
  function load() { try { return JSON.parse(sessionStorage.getItem(KEY) || "{}"); } catch (e) { return {}; } }
  function save(states) { try { sessionStorage.setItem(KEY, JSON.stringify(states)); } catch (e) { /* private mode */ } }
  function beep(times) {
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      for (var i = 0; i < times; i++) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = 880; g.gain.value = 0.15; o.connect(g); g.connect(audio.destination);
        o.start(audio.currentTime + i * 0.35); o.stop(audio.currentTime + i * 0.35 + 0.2);
      }
    } catch (e) { /* sound not allowed yet: the words and vibration remain */ }
  }
  function check() {
    var states = load(), changed = false;
    document.querySelectorAll("[data-ticket]").forEach(function (card) {
      var id = card.getAttribute("data-ticket"), state = card.getAttribute("data-state");
      if (states[id] !== state) {
        if (state === "called") {
          if (navigator.vibrate) { navigator.vibrate([400, 150, 400, 150, 400]); }
          beep(3);
        } else if (state === "near" && states[id] !== "called") {
          if (navigator.vibrate) { navigator.vibrate([300]); }
          beep(1);
        }
        states[id] = state; changed = true;
      }
    });
    if (changed) { save(states); }
  }
  // Phones play sounds and vibrate only after a tap on the page: one clear button asks for it.
  function setupSwitch() {
    var button = document.querySelector("[data-alert-switch]");
    if (!button) { return; }
    button.hidden = false;
    if (sessionStorage.getItem("ymt-alerts") === "on") { button.setAttribute("aria-pressed", "true"); }
    button.addEventListener("click", function () {
      try { sessionStorage.setItem("ymt-alerts", "on"); } catch (e) { /* private mode */ }
      button.setAttribute("aria-pressed", "true");
      if (navigator.vibrate) { navigator.vibrate(80); }
      beep(1);
    });
  }
  document.addEventListener("DOMContentLoaded", setupSwitch);
  document.addEventListener("DOMContentLoaded", check);
  document.addEventListener("htmx:afterSettle", check);
})();
