// Trove's small script: no inline handlers, no eval (the CSP forbids both).
(function () {
  "use strict";

  // Show the short message of an error response (4xx/5xx other than 422) in the alert region.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var alerts = document.getElementById("alerts");
    if (!alerts) { return; }
    var text = "Something went wrong. Please try again.";
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var message = doc.querySelector(".error-message");
      if (message && message.textContent.trim()) { text = message.textContent.trim(); }
    } catch (e) { /* keep the generic message */ }
    var p = document.createElement("p");
    p.className = "alert alert-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    alerts.replaceChildren(p);
  });

  document.addEventListener("htmx:sendError", function () {
    var alerts = document.getElementById("alerts");
    if (!alerts) { return; }
    var p = document.createElement("p");
    p.className = "alert alert-error";
    p.setAttribute("role", "alert");
    p.textContent = "The connection failed. Check your network and try again.";
    alerts.replaceChildren(p);
  });

  // Ask before a destructive action: buttons carry data-confirm="question".
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
})();
