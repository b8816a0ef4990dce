/* The campaign form: a weekday marked "same as Monday" shows Monday's times (greyed, not sent: the server
 * copies Monday's), and the context field's placeholder says the default of the chosen kind and mode.
 * Without this script the form works the same; it only shows it. */

import { parseJSON } from "./dom.js";

var form = document.querySelector("[data-testid=campaign-form]");

if (form) {
  var monday = form.querySelector("tr[data-day='0']");

  function inputs(row) { return row.querySelectorAll(".span-cell input"); }

  function mirror(row) {
    var same = row.querySelector("[data-same-toggle]");
    if (!same) return;
    var own = inputs(row), mon = inputs(monday);
    if (same.checked) {
      Array.prototype.forEach.call(own, function (input, i) {
        input.value = mon[i] ? mon[i].value : "";
        input.disabled = true;
      });
      row.setAttribute("data-same", "");
    } else {
      Array.prototype.forEach.call(own, function (input) {
        if (input.disabled) input.disabled = false;
      });
      row.removeAttribute("data-same");
    }
  }

  var rows = form.querySelectorAll("tr[data-day]");
  Array.prototype.forEach.call(rows, function (row) {
    var same = row.querySelector("[data-same-toggle]");
    if (same) {
      same.addEventListener("change", function () { mirror(row); });
      mirror(row);
    }
  });
  if (monday) {
    monday.addEventListener("input", function () { Array.prototype.forEach.call(rows, mirror); });
  }

  var context = form.querySelector("[data-contexts]");
  var kind = form.querySelector("[data-context-kind]");
  var mode = form.querySelector("[data-context-mode]");
  if (context) {
    var contexts = parseJSON(context.getAttribute("data-contexts"), {});
    var update = function () {
      var k = kind ? kind.value : "";
      var placeholder = mode && mode.value === "preview" ? contexts.preview : (contexts[k] || contexts.callback);
      if (placeholder) context.setAttribute("placeholder", placeholder);
    };
    if (kind) kind.addEventListener("change", update);
    if (mode) mode.addEventListener("change", update);
  }
}
