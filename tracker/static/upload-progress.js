// Shows how far the upload of a (large) survey file is. Without JavaScript the form simply
// posts as before; this only adds a progress bar.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-upload-progress]");
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var bar = document.getElementById("upload-progress");
  var label = document.getElementById("upload-progress-label");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("action") || window.location.href);
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        label.hidden = false;
        bar.hidden = false;
        bar.max = e.total;
        bar.value = e.loaded;
        bar.textContent = Math.round((100 * e.loaded) / e.total) + "%";
      }
    });
    request.addEventListener("load", function () {
      if (request.responseURL && request.responseURL !== window.location.href) {
        // Redirected to the preview: go there.
        window.location.assign(request.responseURL);
      } else {
        // The form again with its messages (or an error page): show what the server said.
        document.open();
        document.write(request.responseText);
        document.close();
      }
    });
    request.addEventListener("error", function () {
      form.submit();
    });
    request.send(new FormData(form));
  });
});
