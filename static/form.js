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
    if (t.type === "file" && t.hasAttribute("data-shrink")) { shrink(t); }
  });
  refresh();

  function loadCommunes(select) {
    var target = document.getElementById(select.getAttribute("data-communes"));
    if (!target || !select.value || !window.fetch) { return; }
    fetch("/api/v1/units/" + encodeURIComponent(select.value) + "/communes")
      .then(function (r) { return r.json(); })
      .then(function (data) {
        target.options.length = 1;
        target.options[0].text = "– chọn –";
        data.communes.forEach(function (c) { target.add(new Option(c.name, c.code)); });
      });
  }

  /* Shrink large photos before upload so a 2G link carries less. */
  function shrink(input) {
    var file = input.files && input.files[0];
    if (!file || !/^image\/jpeg|^image\/png/.test(file.type) || file.size < 800000 ||
        !window.DataTransfer || !window.createImageBitmap) { return; }
    createImageBitmap(file).then(function (img) {
      var scale = Math.min(1, 1600 / Math.max(img.width, img.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      canvas.toBlob(function (blob) {
        if (!blob || blob.size >= file.size) { return; }
        var dt = new DataTransfer();
        dt.items.add(new File([blob], file.name.replace(/\.png$/i, ".jpg"), { type: "image/jpeg" }));
        input.files = dt.files;
      }, "image/jpeg", 0.8);
    });
  }
}());
