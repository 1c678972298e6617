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

  /* Shrink large photos before upload so a 2G link carries less. Resolves when done. */
  function shrink(input) {
    return new Promise(function (done) {
      var file = input.files && input.files[0];
      if (!file || !/^image\/jpeg|^image\/png/.test(file.type) || file.size < 800000 ||
          !window.DataTransfer || !window.createImageBitmap) { done(); return; }
      createImageBitmap(file).then(function (img) {
        var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(img.width * scale);
        canvas.height = Math.round(img.height * scale);
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (blob && blob.size < file.size) {
            var dt = new DataTransfer();
            dt.items.add(new File([blob], file.name.replace(/\.png$/i, ".jpg"), { type: "image/jpeg" }));
            input.files = dt.files;
          }
          done();
        }, "image/jpeg", 0.8);
      }, done);
    });
  }

  /* A chosen file is sent at once (its section then shows it, or why it was refused). The
     page's buttons send any file still chosen, so nothing is lost without this script. */
  var pending = 0, held = null;

  function chosen(input) {
    var url = input.getAttribute("data-upload");
    if (!window.Promise) { return; }
    if (!url || !window.FormData || !window.XMLHttpRequest || !window.DOMParser) {
      if (input.hasAttribute("data-shrink")) { shrink(input); }
      return;
    }
    pending++;
    var section = input.closest("section"), form = input.form;
    var status = document.createElement("p");
    status.className = "upload-status";
    status.setAttribute("role", "status");
    status.textContent = form.getAttribute("data-uploading") + " ";
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    status.appendChild(bar);
    section.appendChild(status);
    (input.hasAttribute("data-shrink") ? shrink(input) : Promise.resolve()).then(function () {
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
