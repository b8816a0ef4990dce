/* Escalations on the console of supervisors, managers and admins: a calm list of the complaints
 * escalated to them, kept live, each with an "acknowledge" button; and a notice when a business
 * calendar has no holiday data for this year.
 *
 * console.js owns the push channel and imports this module (one line); it announces every message
 * it receives as a "cti:push" event on document (dom.js), which this module follows. It reads
 *   snapshot        {escalations: [...], calendar_missing: [years]}  (only sent to supervisors+)
 *   escalation      {id, ticket_id, number, level, reason, at, customer}
 *   escalation_ack  {id}                                              (acknowledged, here or elsewhere)
 * and ignores everything else. Every value goes in with textContent, never as HTML; the POST
 * carries the CSRF token the page already has (data-csrf).
 */

import { el, parseJSON, PUSH_EVENT, translator } from "./dom.js";

var root = document.getElementById("console");

if (root) {
  var t = translator(parseJSON(root.getAttribute("data-i18n"), {}));
  var CSRF = root.getAttribute("data-csrf") || "";
  var LANG = document.documentElement.lang || "zh-CN";
  var items = {}; // escalation id -> its data
  var panel = null, list = null, count = null, notice = null;

  document.addEventListener(PUSH_EVENT, function (ev) { handle(ev.detail); });

  function handle(m) {
    if (!m || typeof m !== "object" || !m.data) return;
    if (m.type === "snapshot") {
      if (Array.isArray(m.data.escalations)) {
        items = {};
        m.data.escalations.forEach(function (x) { if (valid(x)) items[x.id] = x; });
        render();
      }
      if (Array.isArray(m.data.calendar_missing)) showCalendar(m.data.calendar_missing);
    } else if (m.type === "escalation" && valid(m.data)) {
      items[m.data.id] = m.data;
      render();
    } else if (m.type === "escalation_ack") {
      delete items[m.data.id];
      render();
    }
  }

  function valid(x) {
    return x && typeof x.id === "number" && (x.level === 1 || x.level === 2) && /^[a-z_]+$/.test(x.reason || "");
  }

  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.toLocaleString(LANG, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  function place(node) {
    var pops = document.getElementById("pops");
    if (pops && pops.parentNode) pops.parentNode.insertBefore(node, pops);
    else root.insertBefore(node, root.firstChild);
  }

  function build() {
    panel = el("section", "card escalations");
    panel.setAttribute("data-testid", "escalations");
    panel.setAttribute("aria-live", "polite");
    var head = el("h2", "card-title", t("escalations.banner_title"));
    count = el("span", "count");
    count.setAttribute("data-testid", "escalations-count");
    head.appendChild(count);
    var all = el("a", "escalations-all small", t("escalations.all"));
    all.href = "/escalations";
    head.appendChild(all);
    list = el("ul", "escalation-list");
    panel.appendChild(head);
    panel.appendChild(list);
    place(panel);
  }

  function render() {
    var open = Object.keys(items).map(function (k) { return items[k]; });
    open.sort(function (a, b) { return b.level - a.level || (a.at < b.at ? 1 : a.at > b.at ? -1 : b.id - a.id); });
    if (!panel && !open.length) return;
    if (!panel) build();
    panel.hidden = !open.length;
    count.textContent = String(open.length);
    while (list.firstChild) list.removeChild(list.firstChild);
    open.forEach(function (x) { list.appendChild(row(x)); });
  }

  function row(x) {
    var li = el("li", "escalation");
    li.setAttribute("data-testid", "escalation");
    li.setAttribute("data-id", String(x.id));
    li.setAttribute("data-level", String(x.level));
    var level = el("span", "badge " + (x.level === 2 ? "warranty-expired" : "warranty-expiring"),
      t("ticket.escalation.level." + x.level));
    level.setAttribute("data-testid", "escalation-level");
    var link = el("a", "mono", x.number || "#" + x.ticket_id);
    link.href = "/tickets/" + encodeURIComponent(x.ticket_id);
    link.setAttribute("data-testid", "escalation-ticket");
    var who = el("span", "escalation-customer", x.customer || "");
    who.setAttribute("data-testid", "escalation-customer");
    var why = el("span", "muted", t("ticket.escalation.reason." + x.reason));
    why.setAttribute("data-testid", "escalation-reason");
    var at = el("span", "muted small nowrap", when(x.at));
    var button = el("button", "btn btn-small", t("escalations.ack"));
    button.type = "button";
    button.setAttribute("data-testid", "escalation-ack");
    var status = el("span", "form-status");
    status.setAttribute("role", "status");
    button.addEventListener("click", function () { acknowledge(x.id, button, status); });
    [level, link, who, why, at, button, status].forEach(function (n) { li.appendChild(n); });
    return li;
  }

  function acknowledge(id, button, status) {
    button.disabled = true;
    status.textContent = "";
    fetch("/escalations/" + encodeURIComponent(id) + "/ack", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": CSRF, "Accept": "application/json" }
    }).then(function (r) {
      if (r.ok || r.status === 404 || r.status === 409) { // done, or gone or done elsewhere: off the list
        delete items[id];
        render();
        return;
      }
      if (r.status === 401) { location.href = "/login?next=%2F"; return; }
      button.disabled = false;
      status.textContent = r.status === 403 ? t("escalations.for_managers") : t("escalations.ack_failed");
    }).catch(function () {
      button.disabled = false;
      status.textContent = t("escalations.ack_failed");
    });
  }

  function showCalendar(years) {
    var clean = years.filter(function (y) { return typeof y === "number"; });
    if (!clean.length) {
      if (notice) notice.hidden = true;
      return;
    }
    if (!notice) {
      notice = el("div", "notice notice-warn");
      notice.setAttribute("role", "status");
      notice.setAttribute("data-testid", "calendar-notice");
      place(notice);
    }
    notice.hidden = false;
    notice.textContent = t("calendar.missing", { years: clean.join(", ") });
  }
}
