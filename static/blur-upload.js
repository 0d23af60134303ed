// Contributors blur parts of a photo themselves before it is sent (a house number, a
// screen): when "Let me blur parts of my photos" is ticked, each chosen JPEG opens in a
// dialog where boxes are drawn (drag, or tap two corners; Delete removes the selected one).
// Only a JPEG with boxes is changed: redrawn on a canvas with each box pixelated and
// encoded again as JPEG; every other file is sent exactly as chosen. The upload script
// (static/app.js) asks ``window.troveBlurBeforeSend`` before queueing files.
(function () {
  "use strict";

  var BLOCKS = 6; // blocks along a box's longer side, as the server's blur does

  function isJpeg(file) {
    return file.type === "image/jpeg" || /\.jpe?g$/i.test(file.name);
  }

  function dialog() {
    var d = document.getElementById("blur-upload-dialog");
    if (d) return d;
    d = document.createElement("dialog");
    d.id = "blur-upload-dialog";
    d.className = "blur-dialog";
    d.innerHTML =
      '<h2 class="blur-dialog-title">Blur parts of this photo</h2>' +
      '<p class="hint">Drag over anything that should not be seen (or tap two corners). ' +
      "Select a box and press Delete to remove it.</p>" +
      '<div class="blur-stage"><img alt="The photo to send"><span class="blur-overlay" ' +
      'data-blur-overlay data-editable data-source="contributor"></span></div>' +
      '<div class="actions"><button type="button" class="button" data-blur-send>Send</button>' +
      '<button type="button" class="button button-secondary" data-blur-clear>Clear boxes</button></div>';
    document.body.appendChild(d);
    window.troveBlur.editable(d.querySelector("[data-blur-overlay]"), function () {});
    return d;
  }

  // Ask for boxes on one JPEG; resolve with the boxes drawn (possibly none).
  function askBoxes(file) {
    return new Promise(function (resolve) {
      var d = dialog();
      var img = d.querySelector("img");
      var overlay = d.querySelector("[data-blur-overlay]");
      overlay.innerHTML = "";
      var url = URL.createObjectURL(file);
      img.onload = function () { window.troveBlur.place(overlay); };
      img.src = url;
      d.querySelector("[data-blur-clear]").onclick = function () { overlay.innerHTML = ""; };
      d.querySelector("[data-blur-send]").onclick = function () {
        var boxes = window.troveBlur.boxes(overlay);
        d.close();
        URL.revokeObjectURL(url);
        resolve(boxes);
      };
      d.showModal();
    });
  }

  // Return a JPEG File with ``boxes`` pixelated (the picture drawn upright, as shown).
  function applyBoxes(file, boxes) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var canvas = document.createElement("canvas");
      canvas.width = bitmap.width;
      canvas.height = bitmap.height;
      var ctx = canvas.getContext("2d");
      ctx.drawImage(bitmap, 0, 0);
      var small = document.createElement("canvas");
      var sctx = small.getContext("2d");
      boxes.forEach(function (b) {
        var x = Math.floor(b.x * canvas.width), y = Math.floor(b.y * canvas.height);
        var w = Math.max(1, Math.ceil(b.w * canvas.width)), h = Math.max(1, Math.ceil(b.h * canvas.height));
        var block = Math.max(1, Math.floor(Math.max(w, h) / BLOCKS));
        small.width = Math.max(1, Math.ceil(w / block));
        small.height = Math.max(1, Math.ceil(h / block));
        sctx.imageSmoothingEnabled = true;
        sctx.drawImage(canvas, x, y, w, h, 0, 0, small.width, small.height);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(small, 0, 0, small.width, small.height, x, y, w, h);
      });
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(new File([blob], file.name, { type: "image/jpeg" }));
        }, "image/jpeg", 0.92);
      });
    });
  }

  window.troveBlurBeforeSend = function (form, files, done) {
    var wanted = form.querySelector("[data-blur-own]");
    if (!wanted || !wanted.checked || !window.troveBlur || !window.createImageBitmap) return false;
    var list = Array.prototype.slice.call(files);
    if (!list.some(isJpeg)) return false;
    var out = [];
    list.reduce(function (chain, file) {
      return chain.then(function () {
        if (!isJpeg(file)) { out.push(file); return null; }
        return askBoxes(file).then(function (boxes) {
          if (!boxes.length) { out.push(file); return null; }
          return applyBoxes(file, boxes).then(function (edited) { out.push(edited); });
        });
      });
    }, Promise.resolve()).then(function () { done(out); });
    return true;
  };

  function init(root) {
    root.querySelectorAll("[data-blur-own-field]").forEach(function (field) { field.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
})();
