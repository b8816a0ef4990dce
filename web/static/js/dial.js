/* Click-to-dial: a [data-dial] button (a customer's phone, a ticket, a call-log row) posts what it is about
 * to /dial; the user's own phone rings first, then the customer is called with the hotline's number. What
 * happened is said in a toast that stays a few seconds (role=status, read out by screen readers). */
import { el, parseJSON } from "./dom.js";
import { postForm } from "./http.js";

var RINGING = document.body.getAttribute("data-dial-ringing") || "…";
var FAILED = document.body.getAttribute("data-dial-failed") || "!";
var toast = null;
var hideTimer = null;

function say(text, ok) {
  if (!toast) {
    toast = el("div", "toast");
    toast.setAttribute("role", "status");
    toast.setAttribute("aria-live", "polite");
    toast.setAttribute("data-testid", "dial-status");
    document.body.appendChild(toast);
  }
  toast.textContent = text;
  toast.className = "toast " + (ok ? "toast-ok" : "toast-error");
  toast.hidden = false;
  clearTimeout(hideTimer);
  hideTimer = setTimeout(function () { toast.hidden = true; }, 6000);
}

function csrf() {
  var input = document.querySelector("input[name=csrf_token]");
  return input ? input.value : "";
}

document.addEventListener("click", function (ev) {
  var button = ev.target.closest ? ev.target.closest("[data-dial]") : null;
  if (!button || button.disabled) return;
  ev.preventDefault();
  var fields = parseJSON(button.getAttribute("data-dial"), {});
  button.disabled = true;
  say(RINGING, true);
  postForm("/dial", fields, csrf()).then(function (r) {
    say(r.data.message || FAILED, r.status === 200);
  }, function () { say(FAILED, false); }).then(function () {
    setTimeout(function () { button.disabled = false; }, 3000);  // one click, one call
  });
});
