// Game form: live preview of the image URL (pure comfort: the server validates and normalises).
(function () {
  "use strict";
  var input = document.getElementById("id_img");
  var preview = document.getElementById("image-preview");
  var error = document.getElementById("image-preview-error");
  if (!input || !preview || !error) return;

  var placeholder = preview.dataset.placeholder;
  var imgurPage = /^https?:\/\/(?:www\.|m\.)?imgur\.com\/([A-Za-z0-9]{5,10})\/?$/;
  var timer = null;
  var attempt = 0;

  function show(url) {
    var current = ++attempt;
    clearTimeout(timer);
    error.hidden = true;
    if (!url) {
      preview.src = placeholder;
      return;
    }
    var probe = new Image();
    function fail() {
      if (current !== attempt) return;
      clearTimeout(timer);
      preview.src = placeholder;
      error.hidden = false;
    }
    probe.onload = function () {
      if (current !== attempt) return;
      clearTimeout(timer);
      preview.src = url;
    };
    probe.onerror = fail;
    timer = setTimeout(fail, 4000);
    probe.src = url;
  }

  input.addEventListener("blur", function () {
    var match = imgurPage.exec(input.value.trim());
    if (match) input.value = "https://i.imgur.com/" + match[1] + ".webp";
    show(input.value.trim());
  });
  input.addEventListener("change", function () {
    show(input.value.trim());
  });
})();
