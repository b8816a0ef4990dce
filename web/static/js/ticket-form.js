/* The new-ticket page: the chosen product's warranty shown before saving, the service mode only for
 * a repair, Ctrl+Enter saves. The page works without it (the options name their warranty). */
(function () {
  "use strict";

  function warrantyOf(select) {
    var opt = select.options[select.selectedIndex];
    return opt ? opt.getAttribute("data-warranty") || "" : "";
  }

  function setup(form) {
    var product = form.querySelector("select[name=product]");
    var badge = form.querySelector('[data-testid="form-warranty"]');
    var type = form.querySelector("select[name=type]");
    var modeField = form.querySelector(".mode-field");

    function showWarranty() {
      var w = warrantyOf(product);
      badge.hidden = !(w === "in" || w === "out");
      badge.className = "badge twarranty-" + (w || "none");
      var opt = product.options[product.selectedIndex];
      badge.textContent = badge.hidden ? "" : opt.getAttribute("data-label");
    }

    function showMode() {
      if (modeField) modeField.hidden = type.value !== "repair";
    }

    product.addEventListener("change", showWarranty);
    type.addEventListener("change", showMode);
    form.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); }
    });
    showWarranty();
    showMode();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector('[data-testid="ticket-form"]');
    if (form) setup(form);
  });
})();
