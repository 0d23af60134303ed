// Blur boxes over photos: place them on the picture as shown (object-fit cover or
// contain), and on the zoom page let a reviewer add boxes by dragging (mouse or touch) or
// tapping two corners, and remove, move or resize the selected box with keys. Each change
// sends the whole list through the page's own form (#blur-json-form), so the server stays
// the one place that keeps the boxes. No inline script or style: CSP allows neither.
(function () {
  "use strict";

  function parse(el) {
    return el.dataset.box.split(",").map(Number);
  }

  // The rectangle the picture occupies inside its box, in pixels, given object-fit.
  function pictureRect(img) {
    var bw = img.clientWidth, bh = img.clientHeight;
    var nw = img.naturalWidth || bw, nh = img.naturalHeight || bh;
    if (!nw || !nh) return { left: 0, top: 0, width: bw, height: bh };
    var fit = getComputedStyle(img).objectFit;
    var scale = fit === "cover" ? Math.max(bw / nw, bh / nh)
      : fit === "contain" ? Math.min(bw / nw, bh / nh) : null;
    if (scale === null) return { left: img.offsetLeft, top: img.offsetTop, width: bw, height: bh };
    var w = nw * scale, h = nh * scale;
    return { left: img.offsetLeft + (bw - w) / 2, top: img.offsetTop + (bh - h) / 2, width: w, height: h };
  }

  function place(overlay) {
    var img = overlay.parentElement.querySelector("img");
    if (!img) return;
    var r = pictureRect(img);
    overlay.querySelectorAll("[data-box]").forEach(function (el) {
      var b = parse(el);
      el.style.left = r.left + b[0] * r.width + "px";
      el.style.top = r.top + b[1] * r.height + "px";
      el.style.width = b[2] * r.width + "px";
      el.style.height = b[3] * r.height + "px";
    });
  }

  function boxes(overlay) {
    return Array.prototype.map.call(overlay.querySelectorAll("[data-box]"), function (el) {
      var b = parse(el);
      return { x: b[0], y: b[1], w: b[2], h: b[3], source: el.dataset.source || "reviewer" };
    });
  }

  function save(overlay) {
    var form = document.getElementById("blur-json-form");
    if (!form) return;
    form.elements.boxes.value = JSON.stringify(boxes(overlay));
    form.requestSubmit ? form.requestSubmit() : form.submit();
  }

  function clamp(v) { return Math.min(1, Math.max(0, v)); }

  function addBox(overlay, x0, y0, x1, y1) {
    var x = clamp(Math.min(x0, x1)), y = clamp(Math.min(y0, y1));
    var w = clamp(Math.max(x0, x1)) - x, h = clamp(Math.max(y0, y1)) - y;
    if (w < 0.01 || h < 0.01) return false;
    var el = document.createElement("span");
    var source = overlay.dataset.source || "reviewer";
    el.className = "blur-box blur-" + source;
    el.dataset.source = source;
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    el.setAttribute("aria-label", "Blur box: Delete removes it, arrows move it, Shift+arrows resize it");
    el.dataset.box = [x, y, w, h].map(function (v) { return v.toFixed(4); }).join(",");
    overlay.appendChild(el);
    place(overlay);
    return true;
  }

  function fraction(overlay, event) {
    var img = overlay.parentElement.querySelector("img");
    var r = pictureRect(img), o = overlay.getBoundingClientRect();
    return [(event.clientX - o.left - r.left) / r.width, (event.clientY - o.top - r.top) / r.height];
  }

  // Make an overlay take drags, taps and keys; ``changed`` is called after each change
  // that should be kept (the zoom page saves; the upload dialog keeps the list).
  function editable(overlay, changed) {
    var start = null, firstTap = null, ghost = null;
    overlay.addEventListener("pointerdown", function (event) {
      if (event.target !== overlay) return; // a box: selected by focus instead
      start = fraction(overlay, event);
      overlay.setPointerCapture(event.pointerId);
      ghost = document.createElement("span");
      ghost.className = "blur-box blur-ghost";
      overlay.appendChild(ghost);
      event.preventDefault();
    });
    overlay.addEventListener("pointermove", function (event) {
      if (!start || !ghost) return;
      var p = fraction(overlay, event);
      ghost.dataset.box = [Math.min(start[0], p[0]), Math.min(start[1], p[1]),
        Math.abs(p[0] - start[0]), Math.abs(p[1] - start[1])].join(",");
      place(overlay);
    });
    overlay.addEventListener("pointerup", function (event) {
      if (!start) return;
      var p = fraction(overlay, event), from = start;
      start = null;
      if (ghost) { ghost.remove(); ghost = null; }
      if (addBox(overlay, from[0], from[1], p[0], p[1])) { firstTap = null; changed(overlay); return; }
      // A tap, not a drag: two taps give two corners (easier than dragging on a phone).
      if (firstTap && addBox(overlay, firstTap[0], firstTap[1], p[0], p[1])) {
        firstTap = null;
        changed(overlay);
      } else {
        firstTap = p;
      }
    });
    overlay.addEventListener("keydown", function (event) {
      var el = event.target;
      if (!el.dataset || !el.dataset.box) return;
      if (event.key === "Delete" || event.key === "Backspace") {
        el.remove();
        changed(overlay);
        event.preventDefault();
        return;
      }
      if (event.key === "Enter") { changed(overlay); event.preventDefault(); return; }
      var step = 0.01, b = parse(el);
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      var d = moves[event.key];
      if (!d) return;
      if (event.shiftKey) { b[2] = Math.max(0.01, b[2] + d[0]); b[3] = Math.max(0.01, b[3] + d[1]); }
      else { b[0] = clamp(b[0] + d[0]); b[1] = clamp(b[1] + d[1]); }
      b[2] = Math.min(b[2], 1 - b[0]); b[3] = Math.min(b[3], 1 - b[1]);
      el.dataset.box = b.map(function (v) { return v.toFixed(4); }).join(",");
      el.dataset.moved = "1";
      place(overlay);
      event.preventDefault();
    });
  }

  function init(root) {
    root.querySelectorAll("[data-blur-overlay]").forEach(function (overlay) {
      var img = overlay.parentElement.querySelector("img");
      if (img && !img.complete) img.addEventListener("load", function () { place(overlay); });
      place(overlay);
      if (overlay.hasAttribute("data-editable") && !overlay.dataset.ready) {
        overlay.dataset.ready = "1";
        editable(overlay, save);
      }
    });
  }

  // Shared with the upload page's own boxes (static/blur-upload.js).
  window.troveBlur = { place: place, editable: editable, boxes: boxes };

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
  window.addEventListener("resize", function () {
    document.querySelectorAll("[data-blur-overlay]").forEach(place);
  });
})();
