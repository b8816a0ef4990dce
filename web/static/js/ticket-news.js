/* Ticket news on the console: promises at risk or broken, and changes to the user's own tickets, as
 * a short live list above the pops ("工单动态"), newest first, each a link to its ticket.
 *
 * console.js owns the push channel and announces every message as a "cti:push" event (dom.js). This
 * module follows two of them:
 *   sla     {ticket_id, number, kind, status, due}  a promise of a ticket the user is assigned to or
 *                                                    supervises is at risk or broken
 *   ticket  {id, number, state, sla}                 a ticket assigned to the user changed
 * (console.js updates a pop on screen that lists the ticket.) The list keeps the last MAX items (one per ticket: a newer item replaces an older one) and can be
 * cleared; nothing here is stored: the ticket pages have the history. Every value goes in with
 * textContent, never as HTML.
 */

import { el, parseJSON, PUSH_EVENT, translator } from "./dom.js";

var MAX = 8;
var root = document.getElementById("console");

if (root) {
  var t = translator(parseJSON(root.getAttribute("data-i18n"), {}));
  var LANG = document.documentElement.lang || "zh-CN";
  var items = []; // newest first: {ticket_id, number, text, tone, at}
  var panel = null, list = null;

  document.addEventListener(PUSH_EVENT, function (ev) { handle(ev.detail); });

  function code(x) { return typeof x === "string" && /^[a-z_]+$/.test(x); }

  function handle(m) {
    if (!m || typeof m !== "object" || !m.data) return;
    var d = m.data;
    if (m.type === "sla" && typeof d.ticket_id === "number" && code(d.kind) && code(d.status)) {
      add({ ticket_id: d.ticket_id, number: d.number, tone: d.status,
            text: t("news.sla." + d.status, { kind: t("ticket.clock." + d.kind) }) });
    } else if (m.type === "ticket" && typeof d.id === "number" && code(d.state)) {
      add({ ticket_id: d.id, number: d.number, tone: code(d.sla) ? d.sla : "ok",
            text: t("news.state", { state: t("ticket.state." + d.state) }) });
    }
  }

  function add(item) {
    item.at = new Date();
    items = [item].concat(items.filter(function (x) { return x.ticket_id !== item.ticket_id; })).slice(0, MAX);
    render();
  }

  function build() {
    panel = el("section", "card ticket-news");
    panel.setAttribute("data-testid", "ticket-news");
    panel.setAttribute("aria-live", "polite");
    var head = el("h2", "card-title", t("news.title"));
    var clear = el("button", "btn btn-quiet btn-small", t("news.clear"));
    clear.type = "button";
    clear.setAttribute("data-testid", "ticket-news-clear");
    clear.addEventListener("click", function () { items = []; render(); });
    head.appendChild(clear);
    list = el("ul", "ticket-news-list");
    panel.appendChild(head);
    panel.appendChild(list);
    var pops = document.getElementById("pops");
    if (pops && pops.parentNode) pops.parentNode.insertBefore(panel, pops);
    else root.insertBefore(panel, root.firstChild);
  }

  function render() {
    if (!panel && !items.length) return;
    if (!panel) build();
    panel.hidden = !items.length;
    while (list.firstChild) list.removeChild(list.firstChild);
    items.forEach(function (x) {
      var li = el("li", "ticket-news-item");
      li.setAttribute("data-testid", "ticket-news-item");
      li.setAttribute("data-ticket", String(x.ticket_id));
      var link = el("a", "mono", x.number || "#" + x.ticket_id);
      link.href = "/tickets/" + encodeURIComponent(x.ticket_id);
      var what = el("span", "badge sla-" + x.tone, x.text);
      what.setAttribute("data-testid", "ticket-news-what");
      var at = el("span", "muted small nowrap",
        x.at.toLocaleTimeString(LANG, { hour: "2-digit", minute: "2-digit" }));
      [link, what, at].forEach(function (n) { li.appendChild(n); });
      list.appendChild(li);
    });
  }
}
