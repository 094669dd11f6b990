// Waiting-room board: listen for pushed calls (Server-Sent Events) and refresh the panel at
// once; fall back to polling (every 30 s via htmx, every 3 s here) when the stream is down.
// Optionally read each call aloud with the browser's speech synthesis.
(function () {
  "use strict";
  var wrap, voice = false, lastSaid = "", pollTimer = null;

  function refresh() { if (window.htmx && wrap) { window.htmx.trigger(wrap, "board-refresh"); } }
  function startPolling() { if (!pollTimer) { pollTimer = setInterval(refresh, 3000); } }
  function stopPolling() { if (pollTimer) { clearInterval(pollTimer); pollTimer = null; } }

  function say() {
    var panel = document.getElementById("board-panel");
    if (!voice || !panel || !window.speechSynthesis) { return; }
    var text = panel.getAttribute("data-say") || "";
    var key = (panel.getAttribute("data-current") || "") + "|" + (panel.getAttribute("data-calls") || "");
    if (!text || key === lastSaid) { return; }
    lastSaid = key;
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = document.documentElement.lang === "en" ? "en-GB" : "zh-CN";
    utterance.rate = 0.85;
    window.speechSynthesis.speak(utterance);
  }

  document.addEventListener("DOMContentLoaded", function () {
    wrap = document.querySelector("[data-board]");
    if (!wrap) { return; }
    var button = document.querySelector("[data-voice]");
    if (button && window.speechSynthesis) {
      button.hidden = false;
      button.addEventListener("click", function () {
        voice = !voice;
        button.setAttribute("aria-pressed", voice ? "true" : "false");
        lastSaid = "";
        if (voice) { say(); }
      });
    }
    if (!window.EventSource) { startPolling(); return; }
    var source = new EventSource(wrap.getAttribute("data-events"));
    // Calls made while the stream was down are not replayed: catch up once when it is back.
    var dropped = false;
    source.addEventListener("ready", function () {
      if (dropped) { refresh(); }
      dropped = false;
      stopPolling();
    });
    source.addEventListener("queue", function (event) {
      try {
        var data = JSON.parse(event.data);
        if (data.kind === "called") { lastSaid = ""; }
      } catch (e) { /* refresh anyway */ }
      refresh();
    });
    source.addEventListener("error", function () { dropped = true; startPolling(); });
  });
  document.addEventListener("htmx:afterSettle", say);
})();
