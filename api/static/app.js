// pcmh-track: small enhancements; every page works without them.
(function () {
  "use strict";
  // htmx requests carry the session's CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) { event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content"); }
  });
  // When an htmx request fails (not found, not signed in, a fault), load the page itself, so
  // that the person sees the same page a plain form would have shown.
  document.addEventListener("htmx:responseError", function (event) {
    var path = event.detail.pathInfo && event.detail.pathInfo.finalRequestPath;
    if (path) { window.location.assign(path); }
  });
  // A file dropped on a drop zone goes into its file input.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-drop]").forEach(function (zone) {
      var input = zone.querySelector('input[type="file"]');
      if (!input) { return; }
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("over"); });
      });
      zone.addEventListener("drop", function (e) {
        if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; }
      });
    });
  });
})();
