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
  // Elements with data-print print the page (reports).
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-print]");
    if (el) { event.preventDefault(); window.print(); }
  });
})();
