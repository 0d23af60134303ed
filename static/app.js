// Trove's small script: no inline handlers, no eval (the CSP forbids both).

// Messages in the page's language: base.html carries {English text: translation} as JSON
// (trove/i18n.py JS_MESSAGES); "{name}" placeholders are filled from ``params``.
function t(message, params) {
  "use strict";
  if (!t.catalogue) {
    var data = document.getElementById("trove-messages");
    try { t.catalogue = data ? JSON.parse(data.textContent) : {}; } catch (e) { t.catalogue = {}; }
  }
  var text = t.catalogue[message] || message;
  return text.replace(/\{(\w+)\}/g, function (whole, name) {
    return params && name in params ? String(params[name]) : whole;
  });
}

// The viewer's time zone, so the server shows times in it (until the account sets one).
(function () {
  "use strict";
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("trove_tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "trove_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* no Intl: times stay in UTC */ }
})();

// The footer's language switcher changes as soon as a language is picked.
document.addEventListener("change", function (event) {
  "use strict";
  if (event.target.matches && event.target.matches("[data-autosubmit]")) { event.target.form.requestSubmit(); }
});
// An error page that says "reload" (an expired form) carries [data-reload]: offer the
// reload as a button next to the message, one tap away.
function troveReloadButton(html, place) {
  "use strict";
  var doc = new DOMParser().parseFromString(html || "", "text/html");
  if (!doc.querySelector("[data-reload]")) { return; }
  var button = document.createElement("button");
  button.type = "button";
  button.className = "button button-small";
  button.textContent = t("Reload the page");
  button.setAttribute("data-reload", "");
  button.addEventListener("click", function () { window.location.reload(); });
  place.append(" ", button);
}

(function () {
  "use strict";

  // Show the short message of an error response (4xx/5xx other than 422) in the alert region.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var alerts = document.getElementById("alerts");
    if (!alerts) { return; }
    var text = t("Something went wrong. Please try again.");
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var message = doc.querySelector(".error-message");
      if (message && message.textContent.trim()) { text = message.textContent.trim(); }
    } catch (e) { /* keep the generic message */ }
    var p = document.createElement("p");
    p.className = "alert alert-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    troveReloadButton(xhr.responseText, p);
    alerts.replaceChildren(p);
  });

  document.addEventListener("htmx:sendError", function () {
    var alerts = document.getElementById("alerts");
    if (!alerts) { return; }
    var p = document.createElement("p");
    p.className = "alert alert-error";
    p.setAttribute("role", "alert");
    p.textContent = t("The connection failed. Check your network and try again.");
    alerts.replaceChildren(p);
  });

  // Copy a read-only field (an invitation link): buttons carry data-copy="input id".
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    input.focus();
    input.select();
    function done() { button.textContent = t("Copied"); }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        button.textContent = t("Press Ctrl+C");
      });
    } else {
      // Plain http on a LAN address: no Clipboard API; the selection can still be copied.
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
      if (copied) { done(); } else { button.textContent = t("Press Ctrl+C"); }
    }
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

// Photo uploads: drag and drop, file chooser or camera; one request per file with a
// progress bar, cancel, and the server's card (or reason) in place of the row when done.
(function () {
  "use strict";
  var CONCURRENCY = 2;

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function formatSize(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB" : Math.ceil(bytes / 1024) + " KB";
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function setup(form) {
    var list = form.parentElement.querySelector("[data-upload-list]");
    var consent = form.querySelector("[data-consent]");
    var consentError = form.querySelector("[data-consent-error]");
    var zone = form.querySelector("[data-dropzone]");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
    var maxLongEdge = parseInt(form.getAttribute("data-max-long-edge"), 10) || null;
    var queue = [];
    var active = 0;

    function row(file) {
      var li = document.createElement("li");
      li.className = "photo-card upload-row";
      var meta = document.createElement("div");
      meta.className = "photo-meta";
      var name = document.createElement("p");
      name.className = "photo-name";
      name.textContent = file.name + " · " + formatSize(file.size);
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload progress of " + file.name);
      var status = document.createElement("p");
      status.className = "upload-status muted";
      status.textContent = "Waiting…";
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "button button-small button-secondary";
      cancel.textContent = "Cancel";
      meta.append(name, bar, status, cancel);
      li.append(meta);
      list.prepend(li);
      return {li: li, bar: bar, status: status, cancel: cancel};
    }

    function fail(item, message) {
      item.li.classList.add("status-rejected");
      item.status.className = "upload-status error-text";
      item.status.textContent = message;
      item.bar.remove();
      item.cancel.remove();
    }

    function showRemaining(header) {
      var count = parseInt(header, 10);
      var place = document.querySelector("[data-remaining]");
      if (!place || isNaN(count)) { return; }
      place.textContent = count + " more photo" + (count === 1 ? "" : "s");
    }

    function next() {
      while (active < CONCURRENCY && queue.length) {
        send(queue.shift());
      }
    }

    // Prepare, then send: the photo's location and other hidden details are removed on the
    // phone first (static/strip.js); what cannot be read there goes as chosen.
    function send(job) {
      if (job.cancelled) { next(); return; }
      active += 1;
      job.item.status.textContent = "Removing location…";
      var prepared = window.TroveStrip ? window.TroveStrip.prepare(job.file, {maxLongEdge: maxLongEdge})
        : Promise.resolve({blob: job.file, note: ""});
      prepared.then(function (result) {
        if (job.cancelled) { active -= 1; next(); return; }
        if (result.blob.size > maxBytes) {
          fail(job.item, "This file is larger than " + formatSize(maxBytes) + ".");
          active -= 1;
          next();
          return;
        }
        job.note = result.note;
        if (window.TroveStrip) { window.TroveStrip.note(job.item.li, result.note); }
        transmit(job, result.blob);
      });
    }

    function transmit(job, body) {
      var item = job.item;
      var xhr = new XMLHttpRequest();
      job.xhr = xhr;
      item.status.textContent = "Sending…";
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          item.bar.value = Math.round(100 * event.loaded / event.total);
          item.status.textContent = item.bar.value < 100 ? "Sending… " + item.bar.value + "%" : "Checking the photo…";
        }
      });
      xhr.addEventListener("loadend", function () {
        active -= 1;
        if (job.cancelled) {
          fail(item, "Cancelled.");
        } else if (xhr.status === 201) {
          var card = fragment(xhr.responseText);
          item.li.replaceWith(card);
          if (window.TroveStrip) { window.TroveStrip.note(card, job.note); }
          showRemaining(xhr.getResponseHeader("X-Trove-Remaining"));
          if (window.htmx) { window.htmx.process(card); }
        } else if (xhr.status === 0) {
          fail(item, "The connection failed. Check your network and try again.");
        } else if (xhr.status === 401) {
          // Signed out (in another tab, or the session ended): the server names the sign-in
          // page in HX-Redirect; the link comes back here afterwards.
          fail(item, "You were signed out. Sign in again to send this photo.");
          var signIn = document.createElement("a");
          signIn.className = "button button-small";
          signIn.href = xhr.getResponseHeader("HX-Redirect") || "/login";
          signIn.textContent = "Sign in";
          item.status.append(" ", signIn);
        } else {
          var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
          var message = doc.querySelector(".error-message");
          fail(item, message ? message.textContent.trim() : "The photo could not be sent (error " + xhr.status + ").");
          troveReloadButton(xhr.responseText, item.status);
        }
        next();
      });
      // The file itself is the body (no multipart): the server streams it into quarantine.
      var url = new URL(form.action, window.location.href);
      url.searchParams.set("consent", consent.value);
      xhr.open("POST", url.toString());
      xhr.setRequestHeader("HX-Request", "true");
      xhr.setRequestHeader("HX-Current-URL", window.location.href);
      xhr.setRequestHeader("X-CSRFToken", csrfToken(form));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("X-Trove-Filename", encodeURIComponent(job.file.name));
      xhr.send(body);
    }

    function add(files, blurChecked) {
      if (!consent.checked) {
        consentError.hidden = false;
        consent.focus();
        return;
      }
      consentError.hidden = true;
      // The contributor's own blur boxes (static/blur-upload.js) may hand back edited files.
      var blur = !blurChecked && window.troveBlurBeforeSend;
      if (blur && blur(form, files, function (edited) { add(edited, true); })) { return; }
      Array.prototype.forEach.call(files, function (file) {
        var item = row(file);
        var job = {file: file, item: item, cancelled: false, xhr: null};
        item.cancel.addEventListener("click", function () {
          job.cancelled = true;
          if (job.xhr) { job.xhr.abort(); } else { fail(item, "Cancelled."); }
        });
        if (file.size > maxBytes && !maxLongEdge) {  // a resized copy may fit: see send()
          fail(item, "This file is larger than " + formatSize(maxBytes) + ".");
          return;
        }
        if (file.size === 0) {
          fail(item, "This file is empty.");
          return;
        }
        queue.push(job);
      });
      next();
    }

    form.querySelectorAll("[data-file-input]").forEach(function (input) {
      input.addEventListener("change", function () {
        add(input.files);
        input.value = "";
      });
    });
    consent.addEventListener("change", function () {
      if (consent.checked) { consentError.hidden = true; }
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("dragging");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        add(event.dataTransfer.files);
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
  }

  function init(root) {
    (root || document).querySelectorAll("[data-upload-form]").forEach(function (form) {
      if (!form.hasAttribute("data-ready")) {
        form.setAttribute("data-ready", "");
        setup(form);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();

// Review queue keyboard: arrows move between cards, A approves, R opens the decline form,
// Z zooms, U undoes the last decision.
(function () {
  "use strict";
  var lastDecided = null;

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-review-card]"));
  }

  function current() {
    var active = document.activeElement;
    return active && active.closest ? active.closest("[data-review-card]") : null;
  }

  function focusCard(card) {
    if (!card) { return; }
    cards().forEach(function (c) { c.classList.remove("focused"); });
    card.classList.add("focused");
    card.focus({preventScroll: false});
    card.scrollIntoView({block: "nearest"});
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    var card = event.detail.elt;
    if (card && card.matches && card.matches("[data-review-card]")) {
      lastDecided = card.id;
    }
  });

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-review-grid]")) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var list = cards();
    var card = current();
    var index = card ? list.indexOf(card) : -1;
    var key = event.key.toLowerCase();
    if (key === "arrowright" || key === "arrowdown" || key === "j") {
      focusCard(list[Math.min(index + 1, list.length - 1)] || list[0]);
    } else if (key === "arrowleft" || key === "arrowup" || key === "k") {
      focusCard(list[Math.max(index - 1, 0)]);
    } else if (key === "a" && card) {
      var approve = card.querySelector("[data-approve]");
      if (approve) {
        var next = list[index + 1];
        approve.click();
        if (next) { setTimeout(function () { focusCard(document.getElementById(next.id)); }, 0); }
      }
    } else if (key === "r" && card) {
      var box = card.querySelector("[data-reject]");
      if (box) { box.open = true; box.querySelector("select").focus(); }
    } else if (key === "z" && card) {
      var zoom = card.querySelector("[data-zoom]");
      if (zoom) { zoom.click(); }
    } else if (key === "u" && lastDecided) {
      var undo = document.querySelector("#" + lastDecided + " [data-undo]");
      if (undo) { undo.click(); }
    } else {
      return;
    }
    event.preventDefault();
  });

  // After a decision re-renders a card, keep the keyboard on the next undecided one.
  document.addEventListener("htmx:afterSettle", function (event) {
    var card = event.detail.elt;
    if (card && card.matches && card.matches("[data-review-card]") && !current()) {
      var list = cards();
      var following = list[list.indexOf(card) + 1];
      if (following) { focusCard(following); }
    }
  });
})();

// The zoom page: Esc goes back to the queue, the arrow keys to the previous or next photo.
(function () {
  "use strict";
  var keys = {escape: "[data-zoom-back]", arrowleft: "[data-prev]", arrowright: "[data-next]"};
  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-zoom-back]")) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (event.target.closest && event.target.closest("details[open]")) { return; }
    var link = keys[event.key.toLowerCase()] && document.querySelector(keys[event.key.toLowerCase()]);
    if (!link) { return; }
    event.preventDefault();
    link.click();
  });
})();
