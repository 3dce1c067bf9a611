// Sesame's login page: copy buttons, the expiry countdown, and no
// authorization code left in the address bar. Served as a file, never
// inline, so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";

  // The callback's URL carries the (spent) authorization code and state:
  // drop them from the address bar and the history.
  if (window.location.search) {
    window.history.replaceState(null, "", window.location.pathname);
  }

  function copyText(text, button) {
    var done = function () {
      button.classList.add("copied");
      button.textContent = "Copied";
      setTimeout(function () { button.classList.remove("copied"); button.textContent = "Copy"; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else {
      fallbackCopy(text);
      done();
    }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing more to try */ }
    document.body.removeChild(area);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (target) { copyText(target.textContent, button); }
    });
  });

  var countdown = document.getElementById("countdown");
  if (countdown) {
    var expires = Date.parse(countdown.getAttribute("data-expires"));
    var tick = function () {
      var left = Math.floor((expires - Date.now()) / 1000);
      if (left <= 0) {
        countdown.textContent = "expired";
        countdown.classList.add("expired");
        return false;
      }
      var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      countdown.textContent = (h > 0 ? h + "h " : "") + (h > 0 || m > 0 ? m + "m " : "") + s + "s";
      return true;
    };
    if (tick()) {
      var timer = setInterval(function () { if (!tick()) { clearInterval(timer); } }, 1000);
    }
  }
})();
