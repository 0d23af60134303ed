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

// A message with a number: the form for ``count`` in the page's language (the catalogue
// gives one per plural category; Intl.PluralRules says which category ``count`` is in).
function tn(singular, plural, count) {
  "use strict";
  t("");  // loads the catalogue
  var forms = t.catalogue[singular];
  var text = count === 1 ? singular : plural;
  if (forms && typeof forms === "object") {
    var category = "other";
    try { category = new Intl.PluralRules(document.documentElement.lang || "en").select(count); } catch (e) { /* English rules */ }
    text = forms[category] || forms.other || text;
  }
  return text.replace(/\{num\}/g, String(count));
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

// Photo uploads: drag and drop, file chooser or camera. Each photo is first prepared
// (window.TroveStrip.prepare, when loaded: metadata removed on the device), then sent over
// tus (tus-js-client, loaded on demand) in pieces, resuming from the server's offset after
// a dropped connection. Photos wait in IndexedDB until they are in: chosen offline, or cut
// off by the network, they survive a reload and go out when the browser is online again.
(function () {
  "use strict";
  var CONCURRENCY = 2;
  // One PATCH a photo: the server keeps what arrives as it comes (every tenth of the photo),
  // so neither a dropped connection nor a restarted server makes the phone send it again.
  var RETRY_DELAYS = [0, 1000, 3000, 5000];
  var WAIT_DELAYS = [2000, 5000, 10000, 30000];
  // Photos this page's script is already sending (the form may be set up again after a
  // boosted navigation: the queue in IndexedDB then names photos still in flight).
  var claimed = {};

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

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return String(Date.now()) + "-" + String(Math.random()).slice(2);
  }

  // --- the queue in IndexedDB: one record per photo not yet in ----------------------------
  var store = (function () {
    var opening = null;
    function open() {
      if (!window.indexedDB) { return Promise.reject(new Error("no IndexedDB")); }
      if (!opening) {
        opening = new Promise(function (resolve, reject) {
          var request = window.indexedDB.open("trove-uploads", 1);
          request.onupgradeneeded = function () {
            request.result.createObjectStore("queue", {keyPath: "id"});
          };
          request.onsuccess = function () { resolve(request.result); };
          request.onerror = function () { reject(request.error); };
        });
      }
      return opening;
    }
    function run(mode, work) {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var tx = db.transaction("queue", mode);
          var result = work(tx.objectStore("queue"));
          tx.oncomplete = function () { resolve(result && result.result); };
          tx.onerror = function () { reject(tx.error); };
        });
      });
    }
    return {
      put: function (record) { return run("readwrite", function (s) { return s.put(record); }); },
      remove: function (id) { return run("readwrite", function (s) { return s.delete(id); }); },
      all: function () { return run("readonly", function (s) { return s.getAll(); }); }
    };
  })();

  function ignore() { /* the queue is a convenience: without IndexedDB uploads still go */ }

  // Load tus-js-client once, when the first photo is sent.
  var tusLoading = null;
  function loadTus(src) {
    if (window.tus) { return Promise.resolve(window.tus); }
    if (!tusLoading) {
      tusLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = src;
        script.onload = function () { resolve(window.tus); };
        script.onerror = function () { tusLoading = null; reject(new Error("tus not loaded")); };
        document.head.append(script);
      });
    }
    return tusLoading;
  }

  // Step one: prepare the file (the in-browser strip, when present); step two sends it.
  function prepare(file, form) {
    var strip = window.TroveStrip;
    if (!strip || typeof strip.prepare !== "function") {
      return Promise.resolve({blob: file, note: ""});
    }
    var edge = parseInt(form.getAttribute("data-max-long-edge"), 10);
    return strip.prepare(file, {maxLongEdge: isNaN(edge) ? null : edge}).then(function (ready) {
      return {blob: ready.blob || file, note: ready.note || ""};
    }, function () {
      return {blob: file, note: ""};  // the server strips it anyway
    });
  }

  function setup(form) {
    var list = form.parentElement.querySelector("[data-upload-list]");
    var consent = form.querySelector("[data-consent]");
    var consentError = form.querySelector("[data-consent-error]");
    var zone = form.querySelector("[data-dropzone]");
    var waitingNote = form.parentElement.querySelector("[data-upload-waiting]");
    var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
    var endpoint = new URL(form.getAttribute("data-tus-endpoint"), window.location.href).toString();
    var cardUrl = form.getAttribute("data-card-url");
    var queue = [];
    var waiting = [];
    var active = 0;
    var sending = [];
    var waitTimer = null;
    var waitRound = 0;

    function row(name, size) {
      var li = document.createElement("li");
      li.className = "photo-card upload-row";
      var meta = document.createElement("div");
      meta.className = "photo-meta";
      var title = document.createElement("p");
      title.className = "photo-name";
      title.textContent = name + " · " + formatSize(size);
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload progress of " + name);
      var status = document.createElement("p");
      status.className = "upload-status muted";
      status.textContent = t("Waiting…");
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "button button-small button-secondary";
      cancel.textContent = t("Cancel");
      meta.append(title, bar, status, cancel);
      li.append(meta);
      list.prepend(li);
      return {li: li, bar: bar, status: status, cancel: cancel};
    }

    function showWaiting() {
      if (!waitingNote) { return; }
      var count = waiting.length + (navigator.onLine ? 0 : queue.length);
      waitingNote.hidden = count === 0;
      waitingNote.textContent = tn("Waiting for a connection — {num} photo", "Waiting for a connection — {num} photos", count);
    }

    function finish(job) {
      job.done = true;
      delete claimed[job.id];
      store.remove(job.id).catch(ignore);
      waiting = waiting.filter(function (other) { return other !== job; });
      showWaiting();
    }

    function fail(job, message) {
      var item = job.item;
      finish(job);
      item.li.classList.add("status-rejected");
      item.status.className = "upload-status error-text";
      item.status.textContent = message;
      item.bar.remove();
      item.cancel.remove();
    }

    function wait(job) {
      // A network failure: the photo stays queued and goes out once a connection is back.
      job.item.status.textContent = t("Waiting for a connection");
      job.item.cancel.textContent = t("Remove");
      if (waiting.indexOf(job) < 0) { waiting.push(job); }
      showWaiting();
      if (navigator.onLine && !waitTimer) {
        // Online but unreachable (the server restarting, a captive network): try again later.
        var delay = WAIT_DELAYS[Math.min(waitRound, WAIT_DELAYS.length - 1)];
        waitRound += 1;
        waitTimer = window.setTimeout(function () { waitTimer = null; resume(); }, delay);
      }
    }

    function resume() {
      if (!navigator.onLine) { showWaiting(); return; }
      var again = waiting;
      waiting = [];
      again.forEach(function (job) {
        job.item.status.textContent = t("Waiting…");
        job.item.cancel.textContent = t("Cancel");
        queue.push(job);
      });
      showWaiting();
      next();
    }

    function showRemaining(header) {
      var count = parseInt(header, 10);
      var place = document.querySelector("[data-remaining]");
      if (!place || isNaN(count)) { return; }
      place.textContent = tn("{num} more photo", "{num} more photos", count);
    }

    function next() {
      if (!navigator.onLine) {
        queue.forEach(function (job) { job.item.status.textContent = t("Waiting for a connection"); job.item.cancel.textContent = t("Remove"); });
        showWaiting();
        return;
      }
      while (active < CONCURRENCY && queue.length) {
        send(queue.shift());
      }
    }

    function showCard(job, submissionId, remaining) {
      var url = cardUrl.replace(/\/0\/card$/, "/" + submissionId + "/card");
      return fetch(url, {headers: {"HX-Request": "true"}, credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error("card " + response.status); }
        return response.text();
      }).then(function (html) {
        var card = fragment(html);
        job.item.li.replaceWith(card);
        if (window.TroveStrip && window.TroveStrip.note) { window.TroveStrip.note(card, job.note); }
        showRemaining(remaining);
        if (window.htmx) { window.htmx.process(card); }
      }).catch(function () {
        job.item.status.textContent = t("Received.");
        job.item.bar.remove();
        job.item.cancel.remove();
      });
    }

    function refused(job, error) {
      var response = error && error.originalResponse;
      var status = response ? response.getStatus() : 0;
      if (status === 401) {
        fail(job, t("You were signed out. Sign in again to send this photo."));
        var signIn = document.createElement("a");
        signIn.className = "button button-small";
        signIn.href = "/login?next=" + encodeURIComponent(window.location.pathname);
        signIn.textContent = t("Sign in");
        job.item.status.append(" ", signIn);
        return;
      }
      var text = response ? (response.getBody() || "").trim() : "";
      fail(job, text || t("The photo could not be sent (error {status}).", {status: status}));
    }

    function isNetworkFailure(error) {
      var response = error && error.originalResponse;
      var status = response ? response.getStatus() : 0;
      return status === 0 || (status >= 500 && status !== 507) || status === 423;
    }

    function stopped(job) {
      sending = sending.filter(function (other) { return other !== job; });
      active -= 1;
      job.upload = null;
    }

    function send(job) {
      if (job.done) { next(); return; }
      active += 1;
      var item = job.item;
      item.status.textContent = t("Removing location…");
      sending.push(job);
      var ended = function () {
        if (sending.indexOf(job) < 0) { return; }  // paused by going offline meanwhile
        stopped(job);
        next();
      };
      Promise.all([prepare(job.file, form), loadTus(form.getAttribute("data-tus-src"))]).then(function (ready) {
        var prepared = ready[0];
        var tus = ready[1];
        if (sending.indexOf(job) < 0) { return; }  // paused while being prepared
        if (job.done) { ended(); return; }
        if (prepared.blob.size > maxBytes) {  // still too large after the brief's resize
          ended();
          fail(job, t("This file is larger than {size}.", {size: formatSize(maxBytes)}));
          return;
        }
        job.note = prepared.note;
        if (window.TroveStrip && window.TroveStrip.note) { window.TroveStrip.note(item.li, prepared.note); }
        var upload = new tus.Upload(prepared.blob, {
          endpoint: endpoint,
          retryDelays: RETRY_DELAYS,
          metadata: {filename: job.name, consent: String(job.consent)},
          headers: {"X-CSRFToken": csrfToken(form)},
          // One stored upload per chosen photo (its queue id), so a reload resumes it.
          fingerprint: function () { return Promise.resolve("trove-" + endpoint + "-" + job.id); },
          storeFingerprintForResuming: true,
          removeFingerprintOnSuccess: true,
          onShouldRetry: function (error) {
            var response = error && error.originalResponse;
            var status = response ? response.getStatus() : 0;
            // An offset conflict says where to go on; a refusal (4xx) would only repeat.
            return navigator.onLine && (isNetworkFailure(error) || (status === 409 && response.getHeader("Upload-Offset") !== null && response.getHeader("Upload-Offset") !== ""));
          },
          onProgress: function (sent, total) {
            item.bar.value = Math.round(100 * sent / total);
            item.status.textContent = item.bar.value < 100 ? t("Sending… {percent}%", {percent: item.bar.value}) : t("Checking the photo…");
          },
          onAfterResponse: function (request, response) {
            var id = response.getHeader("X-Trove-Submission");
            if (id) { job.submissionId = id; }
            var remaining = response.getHeader("X-Trove-Remaining");
            if (remaining) { job.remaining = remaining; }
          },
          onSuccess: function () {
            finish(job);
            waitRound = 0;
            ended();
            if (job.submissionId) { showCard(job, job.submissionId, job.remaining); }
          },
          onError: function (error) {
            if (sending.indexOf(job) < 0) { return; }  // paused: already waiting
            job.url = upload.url;
            ended();
            if (job.done) { return; }
            if (isNetworkFailure(error)) { wait(job); } else { refused(job, error); }
          }
        });
        job.upload = upload;
        item.status.textContent = t("Sending…");
        upload.findPreviousUploads().then(function (previous) {
          if (previous.length) { upload.resumeFromPreviousUpload(previous[0]); }
          upload.start();
        });
      }, function () {
        if (sending.indexOf(job) < 0) { return; }
        ended();
        wait(job);  // tus-js-client could not be loaded: no connection
      });
    }

    function enqueue(record) {
      var item = row(record.name, record.size);
      claimed[record.id] = true;
      var job = {id: record.id, file: record.blob, name: record.name, consent: record.consent, item: item, done: false, upload: null};
      item.cancel.addEventListener("click", function () {
        var upload = job.upload;
        fail(job, t("Cancelled."));
        if (upload) {
          upload.abort(true).catch(ignore);  // terminates it on the server too
        } else if (job.url && navigator.onLine) {
          fetch(job.url, {method: "DELETE", credentials: "same-origin", headers: {"Tus-Resumable": "1.0.0", "X-CSRFToken": csrfToken(form)}}).catch(ignore);
        }
        queue = queue.filter(function (other) { return other !== job; });
        if (sending.indexOf(job) >= 0) { stopped(job); next(); }
      });
      queue.push(job);
      return job;
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
        // A photo over the limit may fit once the brief's resize shrinks it (checked again then).
        if ((file.size > maxBytes && !form.hasAttribute("data-max-long-edge")) || file.size === 0) {
          var item = row(file.name, file.size);
          fail({id: "", item: item}, file.size ? t("This file is larger than {size}.", {size: formatSize(maxBytes)}) : t("This file is empty."));
          return;
        }
        var record = {id: newId(), endpoint: endpoint, consent: consent.value, name: file.name, size: file.size, blob: file, added: Date.now()};
        store.put(record).catch(ignore);
        enqueue(record);
      });
      next();
    }

    // Photos a previous visit left in the queue (a reload, a closed tab) go out again.
    store.all().then(function (records) {
      records.filter(function (record) { return record.endpoint === endpoint && !claimed[record.id]; })
        .sort(function (a, b) { return a.added - b.added; })
        .forEach(enqueue);
      next();
    }).catch(ignore);
    window.addEventListener("online", function () { waitRound = 0; resume(); });
    window.addEventListener("offline", function () {
      // A request in flight may hang rather than fail: pause it (the server keeps what came)
      // and queue the photo; it resumes from the server's offset once the network is back.
      sending.slice().forEach(function (job) {
        if (job.upload) { job.url = job.upload.url; job.upload.abort(false).catch(ignore); }
        stopped(job);
        wait(job);
      });
      next();
      showWaiting();
    });

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
// Z zooms, U undoes the last decision. The next cards' images are fetched ahead (they are
// lazy-loaded otherwise), so a keyboard decision shows the next photo without waiting on
// the network; the next page of cards is asked for a few cards before the end.
(function () {
  "use strict";
  var lastDecided = null;
  var AHEAD = 8;

  function prefetchAfter(card) {
    var next = card;
    for (var n = 0; n < AHEAD && next; n++) {
      next = next.nextElementSibling;
      if (!next) { break; }
      var img = next.querySelector("img[loading='lazy']");
      if (img) { img.loading = "eager"; }
      if (next.matches(".load-more") && window.htmx && !next.hasAttribute("data-asked")) {
        next.setAttribute("data-asked", "");
        window.htmx.trigger(next, "review-more");
      }
    }
  }

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
    prefetchAfter(card);
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
        // Show the next photo first (its image is already fetched), then send the decision.
        var next = list[index + 1];
        if (next) { focusCard(next); }
        approve.click();
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
