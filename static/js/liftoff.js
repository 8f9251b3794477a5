// Liftoff's only script besides htmx. No inline handlers anywhere (CSP forbids them).
(function () {
  "use strict";
  // Messages fade after a while so dense pages stay readable.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".messages .msg-success").forEach(function (el) {
      setTimeout(function () { el.classList.add("fade"); }, 6000);
    });
  });
  // Elements with data-print print the page (reports).
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-print]");
    if (el) { event.preventDefault(); window.print(); }
  });
})();
