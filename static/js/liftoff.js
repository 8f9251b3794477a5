// Liftoff's only script besides htmx. No inline handlers anywhere (CSP forbids them).
(function () {
  "use strict";
  // Messages fade after a while so dense pages stay readable.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".messages .msg-success").forEach(function (el) {
      setTimeout(function () { el.classList.add("fade"); }, 6000);
    });
  });
  // A form with data-confirm-field="to" data-confirm-values="rejected reopened" data-confirm="…" asks
  // before it is sent with one of those values chosen (a backward move among forward ones).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-confirm][data-confirm-field]")) { return; }
    var field = form.elements[form.getAttribute("data-confirm-field")];
    var values = (form.getAttribute("data-confirm-values") || "").split(" ");
    if (field && values.indexOf(field.value) !== -1 && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // A submit button with data-confirm asks first (e.g. "Reject" among "Approve" and "Request changes").
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // Parts of a form that apply only to one choice: <fieldset data-show-when="found_in=hypercare">
  // is hidden while the form's found_in field holds another value (shown without JavaScript).
  function applyShowWhen(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (part) {
      var rule = part.getAttribute("data-show-when").split("=");
      var field = form.elements[rule[0]];
      if (!field) { return; }
      var value = field.value;
      if (field.length && field[0] && field[0].type === "radio") {
        value = (Array.prototype.find.call(field, function (r) { return r.checked; }) || {}).value;
      }
      part.hidden = rule[1].split("|").indexOf(value) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-show-when]")) { applyShowWhen(form); }
    });
  });
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.querySelector("[data-show-when]")) { applyShowWhen(form); }
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
