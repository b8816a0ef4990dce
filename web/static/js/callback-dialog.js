/* Scheduling a callback: the dialog the console's pops, the ticket page and the call log open, and the
 * page form /callbacks/new (the dialog's fallback without script). The form itself is the server's
 * (web/templates/_callbacks.html, ``schedule_fields``); this module fills it for what it is about,
 * shows when each quick choice falls (in the hotline's time zone, data-zone, whatever the browser's),
 * posts it (JSON back: each refusal next to its field, nothing saved), and says once it is saved.
 *
 * Triggers: a link or button with ``data-callback`` (JSON: number, customer, ticket, call, name, label)
 * opens the dialog; its href (/callbacks/new?…) is the way without script. Saved, the dialog announces
 * "cti:callbacks-changed" on document (the header's count refreshes at once).
 *
 * Keyboard: the chosen time has the focus (arrows change it); Tab to the rest; Ctrl+Enter saves; Esc closes.
 */
import { el, parseJSON, testid } from "./dom.js";
import { postForm } from "./http.js";

export var CHANGED = "cti:callbacks-changed";
var HIDDEN = ["customer", "ticket", "call", "name"];
var MINUTE = 60000;

function parts(date, zone) {
  var out = {};
  new Intl.DateTimeFormat("en-CA", {
    timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  }).formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
  return out;
}

/* A moment as a datetime-local value on the hotline's clock: "2026-12-01T14:35". */
export function localValue(date, zone) {
  var p = parts(date, zone);
  return p.year + "-" + p.month + "-" + p.day + "T" + p.hour + ":" + p.minute;
}

function clock(date, zone) {
  var p = parts(date, zone);
  return p.hour + ":" + p.minute;
}

/* A schedule form (the dialog's or the page's): quick choices show their time, typing a time chooses it. */
export function enhance(form) {
  "use strict";
  var zone = form.getAttribute("data-zone") || "Asia/Shanghai";
  var at = form.elements.at;

  function choose(value) {
    Array.prototype.forEach.call(form.querySelectorAll("input[name=quick]"), function (r) { r.checked = r.value === value; });
  }

  function refresh() {
    var now = Date.now();
    var shown = { "30m": new Date(now + 30 * MINUTE), "2h": new Date(now + 120 * MINUTE) };
    Object.keys(shown).forEach(function (k) {
      var slot = form.querySelector('[data-quick-at="' + k + '"]');
      if (slot) slot.textContent = clock(shown[k], zone);
    });
    if (at && !at.value) at.value = localValue(new Date(now + 30 * MINUTE), zone);
  }

  if (at) {
    at.addEventListener("input", function () { choose("at"); }); // typing a time chooses it (tabbing past does not)
  }
  form.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit(form.querySelector("[type=submit]"));
    }
  });
  refresh();
  return { refresh: refresh, choose: choose };
}

/* ---------- the dialog ---------- */

var dialog = null, form = null, enhanced = null, returnTo = null;

function setup() {
  dialog = document.getElementById("callback-dialog");
  if (!dialog) return false;
  form = dialog.querySelector("form");
  enhanced = enhance(form);
  dialog.addEventListener("close", function () {
    if (returnTo && document.body.contains(returnTo)) returnTo.focus();
  });
  Array.prototype.forEach.call(dialog.querySelectorAll("[data-cb-close]"), function (b) {
    b.addEventListener("click", function () { dialog.close(); });
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    submit();
  });
  return true;
}

function clearErrors() {
  Array.prototype.forEach.call(form.querySelectorAll("[data-error-for]"), function (e) { e.textContent = ""; e.hidden = true; });
  Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (e) { e.removeAttribute("aria-invalid"); });
  status("");
}

function status(text) {
  var s = form.querySelector("[data-cb-status]");
  if (s) s.textContent = text;
}

function showErrors(errors) {
  var first = null;
  Object.keys(errors).forEach(function (name) {
    var slot = form.querySelector('[data-error-for="' + name + '"]');
    if (slot) { slot.textContent = errors[name]; slot.hidden = false; }
    var input = name === "at" ? form.querySelector("input[name=quick]:checked") : form.elements[name];
    if (input && input.setAttribute) { input.setAttribute("aria-invalid", "true"); first = first || input; }
  });
  status(form.getAttribute("data-msg-errors") + (errors.form ? " " + errors.form : ""));
  if (first) first.focus();
}

function submit() {
  var fields = {};
  new FormData(form).forEach(function (value, name) { if (name !== "csrf_token") fields[name] = value; });
  var save = form.querySelector("[type=submit]");
  clearErrors();
  status(form.getAttribute("data-msg-saving"));
  save.disabled = true;
  postForm(form.getAttribute("action"), fields, form.elements.csrf_token.value).then(function (r) {
    save.disabled = false;
    if (r.status === 201 && r.data.callback) {
      status("");
      dialog.close();
      toast(r.data.callback.message);
      document.dispatchEvent(new CustomEvent(CHANGED, { detail: r.data.callback }));
      return;
    }
    if (r.status === 422 && r.data.errors) { showErrors(r.data.errors); return; }
    status(form.getAttribute(r.status === 401 || r.status === 403 ? "data-msg-expired" : "data-msg-failed"));
  }).catch(function () {
    save.disabled = false;
    status(form.getAttribute("data-msg-failed"));
  });
}

/* A short line that says what was saved, where the agent looks (bottom of the screen), for a few seconds. */
export function toast(text) {
  var box = document.querySelector(".cb-toast");
  if (!box) {
    box = testid(el("div", "cb-toast"), "callback-toast");
    box.setAttribute("role", "status");
    document.body.appendChild(box);
  }
  box.textContent = text || "";
  box.hidden = false;
  clearTimeout(box.ctiTimer);
  box.ctiTimer = setTimeout(function () { box.hidden = true; }, 6000);
}

/* Open the dialog for ``fields`` (number, customer, ticket, call, name, label); false when the page has none. */
export function openCallback(fields, from) {
  if (!dialog && !setup()) return false;
  if (dialog.open) dialog.close();
  returnTo = from || document.activeElement;
  fields = fields || {};
  clearErrors();
  HIDDEN.forEach(function (name) { form.elements[name].value = fields[name] != null ? String(fields[name]) : ""; });
  form.elements.number.value = fields.number || "";
  form.elements.reason.value = "";
  form.elements.at.value = "";
  form.elements.owner_only.checked = true;
  var about = form.querySelector("[data-cb-about]");
  if (about) { about.textContent = fields.label || ""; about.hidden = !fields.label; }
  enhanced.choose("30m");
  enhanced.refresh();
  dialog.showModal();
  var chosen = form.querySelector("input[name=quick]:checked");
  (chosen || form.elements.number).focus();
  return true;
}

export function isCallbackOpen() { return !!(dialog && dialog.open); }

/* Every trigger on the page opens the dialog; the page form (no dialog) gets its quick times. */
document.addEventListener("click", function (ev) {
  var trigger = ev.target && ev.target.closest ? ev.target.closest("[data-callback]") : null;
  if (!trigger || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
  if (openCallback(parseJSON(trigger.getAttribute("data-callback"), {}), trigger)) ev.preventDefault();
});
Array.prototype.forEach.call(document.querySelectorAll("form[data-callback-form]"), function (f) {
  if (!f.closest("dialog")) enhance(f);
});
