// GPS never leaves the phone: before a photo is sent, a Web Worker (strip-worker.js) removes
// its location, serial numbers, owner and every other hidden detail, keeping the picture byte
// for byte; when the brief sets a maximum long edge it also resizes the photo (a re-encode).
//
//   TroveStrip.prepare(file, {maxLongEdge}) -> Promise<{blob, strippedOnDevice, note}>
//   TroveStrip.note(element, note)  shows the note in a row or card, and again on the card
//                                    that replaces it while it polls itself
//   TroveStrip.strip(blob) -> Promise<{bytes, kind}>  (the lossless strip alone; tests)
//
// Whatever the worker cannot read (HEIC, damaged files) is sent as chosen: the server strips
// and checks every upload anyway.
(function () {
  "use strict";
  // In the page's language: base.html's message catalogue (this file runs before app.js's t()).
  function say(text) {
    try {
      var data = document.getElementById("trove-messages");
      var catalogue = data ? JSON.parse(data.textContent) : {};
      return typeof catalogue[text] === "string" ? catalogue[text] : text;
    } catch (e) { return text; }
  }
  var ON_PHONE = say("Location removed on your phone");
  var ON_SERVER = say("Location will be removed on our server");
  var script = document.currentScript;
  var workerUrl = script && script.getAttribute("data-worker");
  var worker = null;
  var pending = {};
  var counter = 0;
  var notes = {};  // card id -> note, so a card that re-renders itself keeps its note

  function ask(message) {
    if (worker === null) {
      worker = new Worker(workerUrl);
      worker.addEventListener("message", function (event) {
        var answer = pending[event.data.id];
        delete pending[event.data.id];
        if (event.data.error !== undefined) { answer.reject(new Error(event.data.error)); }
        else { answer.resolve(event.data.result); }
      });
      worker.addEventListener("error", function (event) {
        // The worker itself failed (it could not load): every waiting photo goes as chosen.
        event.preventDefault();
        Object.keys(pending).forEach(function (id) {
          pending[id].reject(new Error("The stripper did not start."));
          delete pending[id];
        });
        worker = null;
      });
    }
    counter += 1;
    message.id = counter;
    return new Promise(function (resolve, reject) {
      pending[counter] = {resolve: resolve, reject: reject};
      worker.postMessage(message);
    });
  }

  function prepare(file, options) {
    var maxLongEdge = (options && options.maxLongEdge) || null;
    var asChosen = {blob: file, strippedOnDevice: false, note: ON_SERVER};
    if (!workerUrl || typeof Worker === "undefined") { return Promise.resolve(asChosen); }
    return ask({op: "prepare", file: file, maxLongEdge: maxLongEdge}).then(function (result) {
      if (!result.stripped) { return asChosen; }
      var note = ON_PHONE;
      if (result.resized) {
        note += " · " + say("resized to {width} × {height} px")
          .replace("{width}", result.resized[0]).replace("{height}", result.resized[1]);
      }
      return {blob: result.blob, strippedOnDevice: true, note: note};
    }, function () { return asChosen; });
  }

  function strip(blob) {
    return ask({op: "strip", file: blob});
  }

  function note(element, text) {
    if (!element || !text) { return; }
    if (element.id) { notes[element.id] = text; }
    var place = element.querySelector(".photo-meta") || element;
    var p = place.querySelector("[data-strip-note]");
    if (!p) {
      p = document.createElement("p");
      p.className = "small strip-note";
      p.setAttribute("data-strip-note", "");
      place.append(p);
    }
    p.classList.toggle("strip-note-server", text === ON_SERVER);
    p.textContent = text;
  }

  // A processing card replaces itself every few seconds (hx-swap="outerHTML"): put its
  // note back on the new copy.
  document.addEventListener("htmx:load", function (event) {
    var element = event.detail.elt;
    if (element && element.id && notes[element.id]) { note(element, notes[element.id]); }
  });

  window.TroveStrip = {prepare: prepare, strip: strip, note: note, ON_PHONE: ON_PHONE, ON_SERVER: ON_SERVER};
})();
