/* The callbacks list (/callbacks): Call now, Done and Cancel without leaving the page. Each form posts as
 * it would without script, asking for JSON; the answer's sentence is said on the callback's line (your
 * phone is ringing; not connected to the PBX; not yours; …). A callback done, cancelled or being called
 * leaves the list of what is due: its line is greyed and its buttons put away, and the header's count is
 * read again ("cti:callbacks-changed"). Without script the forms post and the list comes back with the
 * same sentence on top.
 */
import { postForm } from "./http.js";
import { CHANGED } from "./callback-dialog.js";

var CLOSING = { done: true, cancel: true, call: true }; // what takes a callback out of "due now"

Array.prototype.forEach.call(document.querySelectorAll("form[data-cb-action]"), function (form) {
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    act(form);
  });
});

function act(form) {
  var item = form.closest("[data-id]");
  var result = item ? item.querySelector("[data-cb-result]") : null;
  var action = form.getAttribute("data-cb-action");
  var buttons = item ? item.querySelectorAll("button") : form.querySelectorAll("button");
  setDisabled(buttons, true);
  say(result, "", "");
  postForm(form.getAttribute("action"), {}, form.elements.csrf_token.value).then(function (r) {
    var ok = !!(r.data && r.data.ok);
    say(result, (r.data && r.data.message) || String(r.status), ok ? "is-ok" : "is-error");
    if (ok && CLOSING[action] && item) {
      item.classList.add(action === "call" ? "is-calling" : "is-closed");
      item.setAttribute("data-state", action === "call" ? "calling" : action);
      Array.prototype.forEach.call(item.querySelectorAll(".cb-actions"), function (a) { a.hidden = true; });
      recount(item);
      document.dispatchEvent(new CustomEvent(CHANGED, { detail: { id: item.getAttribute("data-id"), action: action } }));
    } else {
      setDisabled(buttons, false);
    }
  }).catch(function () {
    setDisabled(buttons, false);
    var page = document.querySelector("[data-msg-failed]");
    say(result, page ? page.getAttribute("data-msg-failed") : "", "is-error");
  });
}

function setDisabled(buttons, yes) {
  Array.prototype.forEach.call(buttons, function (b) { b.disabled = yes; });
}

function say(slot, text, cls) {
  if (!slot) return;
  slot.textContent = text;
  slot.className = "cb-result small " + cls;
}

/* The section's number: the callbacks still open in it. */
function recount(item) {
  var section = item.closest("section");
  var count = section ? section.querySelector(".card-title .count") : null;
  if (!count) return;
  var open = section.querySelectorAll("[data-id]:not(.is-closed):not(.is-calling)").length;
  count.textContent = String(open);
}
