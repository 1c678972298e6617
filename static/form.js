/* Optional enhancements; every page works without this file. */
(function () {
  "use strict";
  document.documentElement.className += " js";

  function value(name) {
    var els = document.getElementsByName(name), i;
    for (i = 0; i < els.length; i++) {
      var el = els[i];
      if (el.type === "checkbox") { return el.checked; }
      if (el.type === "radio") { if (el.checked) { return el.value; } continue; }
      return el.value;
    }
    return "";
  }

  function refresh() {
    var blocks = document.querySelectorAll("[data-if]"), i;
    for (i = 0; i < blocks.length; i++) {
      var b = blocks[i], want = JSON.parse(b.getAttribute("data-eq")), got = value(b.getAttribute("data-if"));
      var parent = document.getElementById("f-" + b.getAttribute("data-if"));
      var show = typeof want === "boolean" ? got === want :
        typeof want === "number" ? parseFloat(String(got).replace(",", ".")) === want : got === want;
      if (parent && parent.hidden) { show = false; }
      b.hidden = !show;
    }
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    refresh();
    if (t.getAttribute && t.getAttribute("data-communes")) { loadCommunes(t); }
    if (t.type === "file") { chosen(t); }
  });
  refresh();

  function loadCommunes(select) {
    var target = document.getElementById(select.getAttribute("data-communes"));
    var province = select.value;
    if (!target || !province || !window.fetch) { return; }
    fetch("/api/v1/units/" + encodeURIComponent(province) + "/communes")
      .then(function (r) { return r.json(); })
      .then(function (data) {
        /* A later choice of province wins; a commune already chosen in this province stays
           chosen (the list may arrive after a quick hand picked from the page's own list). */
        if (select.value !== province) { return; }
        var keep = target.value;
        target.options.length = 1;
        target.options[0].text = "– chọn –";
        data.communes.forEach(function (c) { target.add(new Option(c.name, c.code, false, String(c.code) === keep)); });
      });
  }

  /* A photo above 200 KB is shrunk before upload so a 2G link carries less: a long side of
     1600 px keeps an A4 page's print legible; quality goes down first (0.8, 0.7, 0.6, 0.5, not
     lower: print blurs), then the size (not below 1024 px). The smallest JPEG is sent unless
     the original is smaller; on any failure the original is sent. Resolves when done. */
  var TARGET = 200000, SIDE = 1600, MIN_SIDE = 1024;

  function shrinks(input) {
    var file = input.files && input.files[0];
    return !!(file && /^image\/(jpeg|png)$/.test(file.type) && file.size > TARGET &&
      input.hasAttribute("data-shrink") && window.DataTransfer && window.createImageBitmap);
  }

  function shrink(input) {
    var file = input.files[0], best = file, canvas = document.createElement("canvas"), img;

    function draw(side) {
      var scale = Math.min(1, side / Math.max(img.width, img.height)), ctx;
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";  /* a transparent PNG turns white, not black */
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    }

    function attempt(quality) {
      return new Promise(function (done) { canvas.toBlob(done, "image/jpeg", quality); })
        .then(function (blob) {
          var side = Math.max(canvas.width, canvas.height);
          if (blob && blob.size < best.size) { best = blob; }
          if (!blob || blob.size <= TARGET) { return; }
          if (quality > 0.55) { return attempt(quality - 0.1); }
          if (side > MIN_SIDE) {
            draw(Math.max(MIN_SIDE, Math.floor(side * Math.sqrt(TARGET / blob.size) * 0.95)));
            return attempt(0.5);
          }
        });
    }

    return Promise.resolve().then(function () {
      return createImageBitmap(file, { imageOrientation: "from-image" });
    }).then(function (bitmap) {
      img = bitmap;
      draw(SIDE);
      return attempt(0.8);
    }).then(function () {
      if (img.close) { img.close(); }
      if (best === file) { return; }
      var dt = new DataTransfer();
      dt.items.add(new File([best], file.name.replace(/\.png$/i, ".jpg"), { type: "image/jpeg" }));
      input.files = dt.files;
    }).then(null, function () {});
  }

  /* A chosen file is sent at once (its section then shows it, or why it was refused). The
     page's buttons send any file still chosen, so nothing is lost without this script. */
  var pending = 0, held = null;

  function chosen(input) {
    var url = input.getAttribute("data-upload");
    if (!window.Promise) { return; }
    if (!url || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) {
      if (shrinks(input)) { shrink(input); }
      return;
    }
    pending++;
    var section = input.closest("section"), form = input.form, shrinking = shrinks(input);
    var status = document.createElement("p");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    status.textContent = form.getAttribute(shrinking ? "data-shrinking" : "data-uploading") + " ";
    var bar = document.createElement("progress");  /* no value yet: "busy" while shrinking */
    bar.max = 100;
    status.appendChild(bar);
    section.appendChild(status);
    (shrinking ? shrink(input) : Promise.resolve()).then(function () {
      status.firstChild.nodeValue = form.getAttribute("data-uploading") + " ";
      bar.value = 0;
      send(input, url, section, status, bar);
    });
  }

  function send(input, url, section, status, bar) {
    var form = input.form, file = input.files && input.files[0];
    if (!file) { status.remove(); settled(); return; }
    var data = new FormData();
    data.append("csrf_token", form.elements.csrf_token.value);
    data.append(input.name, file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    };
    xhr.onload = function () {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var fresh = doc.getElementById(section.id), alert = doc.querySelector(".errors");
      var ok = xhr.status < 400 && fresh;
      section = document.getElementById(section.id) || section;  /* another upload may have swapped it */
      if (fresh) { section.replaceWith(fresh); section = fresh; }
      status.textContent = ok ? form.getAttribute("data-uploaded") :
        (alert ? alert.textContent.trim() : form.getAttribute("data-failed"));
      status.className = ok ? "upload-status" : "upload-status error-msg";
      section.appendChild(status);
      settled();
    };
    xhr.onerror = function () {  /* the file stays chosen: the page's buttons still send it */
      status.textContent = form.getAttribute("data-failed");
      status.className = "upload-status error-msg";
      settled();
    };
    xhr.send(data);
  }

  function settled() {
    pending--;
    if (pending === 0 && held) {
      var h = held, left = false, inputs = h.form.querySelectorAll("input[type=file]"), i;
      held = null;
      for (i = 0; i < inputs.length; i++) { left = left || !!(inputs[i].files && inputs[i].files.length); }
      /* "Upload" pressed meanwhile: done, unless a file is still waiting (the link dropped). */
      if (h.button && h.button.value === "upload" && !left) { return; }
      if (h.form.requestSubmit && h.button) { h.form.requestSubmit(h.button); } else { h.form.submit(); }
    }
  }

  /* A button pressed while a file is still on its way waits for it. */
  document.addEventListener("submit", function (e) {
    if (pending > 0 && e.target.hasAttribute("data-uploads")) {
      e.preventDefault();
      held = { form: e.target, button: e.submitter };
    }
  });
}());
