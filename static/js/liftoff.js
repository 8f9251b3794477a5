// Liftoff's only script besides htmx. No inline handlers anywhere (CSP forbids them).
(function () {
  "use strict";
  // Messages fade after a while so dense pages stay readable.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".messages .msg-success").forEach(function (el) {
      setTimeout(function () { el.classList.add("fade"); }, 6000);
    });
  });
  // The top bar's menu: open (inline) on a wide screen, folded behind "Menu" on a phone. The page
  // is served with it open, so without JavaScript everything stays reachable.
  var narrow = window.matchMedia("(max-width: 720px)");
  function fitMenu() {
    document.querySelectorAll("details.topbar-menu").forEach(function (menu) { menu.open = !narrow.matches; });
  }
  fitMenu();
  if (narrow.addEventListener) { narrow.addEventListener("change", fitMenu); }
  // A tap outside the open menu, or Escape, folds it again (phones only).
  document.addEventListener("click", function (event) {
    if (!narrow.matches) { return; }
    document.querySelectorAll("details.topbar-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !narrow.matches) { return; }
    document.querySelectorAll("details.topbar-menu[open]").forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });
  // A table (or box) that scrolls sideways on a narrow screen takes the keyboard focus, so that it
  // can be scrolled without a mouse (WCAG 2.1.1); it gives it back when it fits again.
  var SCROLLERS = "table.table, .table-wrap, .scroll-x, .board";
  function markScrollers() {
    document.querySelectorAll(SCROLLERS).forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", markScrollers);
  document.addEventListener("htmx:afterSettle", markScrollers);
  window.addEventListener("resize", markScrollers);
  // Elements with data-print print the page (reports).
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-print]");
    if (el) { event.preventDefault(); window.print(); }
  });
})();
