// Scan station: keep the input ready for the next card, and make success and refusal sound
// different (the screen also says it in words and with an icon, never by colour alone).
(function () {
  "use strict";
  var audio = null;
  function tone(frequency, start, duration) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var oscillator = audio.createOscillator();
      var gain = audio.createGain();
      oscillator.frequency.value = frequency;
      oscillator.type = "square";
      gain.gain.value = 0.08;
      oscillator.connect(gain);
      gain.connect(audio.destination);
      oscillator.start(audio.currentTime + start);
      oscillator.stop(audio.currentTime + start + duration);
    } catch (e) { /* no sound available: the words on screen still say it */ }
  }
  function announce(box) {
    var result = box.querySelector("[data-outcome]");
    if (!result) { return; }
    if (result.getAttribute("data-outcome") === "accepted") {
      tone(1320, 0, 0.08); tone(1760, 0.1, 0.08);        // two short high beeps
    } else {
      tone(220, 0, 0.45);                                  // one long low buzz
    }
  }
  function ready() {
    var input = document.querySelector("[data-scan-input]");
    if (input) { input.value = ""; input.focus(); }
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "scan-result") {
      announce(event.detail.target);
      ready();
    }
  });
  // A click elsewhere (or a page loaded after a plain form post) must not lose the scanner's focus.
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("scan-result");
    if (box) { announce(box); }
    ready();
    var input = document.querySelector("[data-scan-input]");
    if (input) {
      input.addEventListener("blur", function () {
        setTimeout(function () {
          var active = document.activeElement;
          if (!active || active === document.body) { input.focus(); }
        }, 150);
      });
    }
    setupCamera();
  });

  // Camera reading where the browser has a barcode detector.
  function setupCamera() {
    var button = document.querySelector("[data-camera]");
    var video = document.querySelector("[data-camera-view]");
    if (!button || !video || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code", "code_128"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        function look() {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stream.getTracks().forEach(function (track) { track.stop(); });
              video.hidden = true;
              var input = document.querySelector("[data-scan-input]");
              input.value = codes[0].rawValue;
              input.form.requestSubmit();
            } else {
              requestAnimationFrame(look);
            }
          }).catch(function () { requestAnimationFrame(look); });
        }
        look();
      }).catch(function () { button.hidden = true; });
    });
  }
})();
