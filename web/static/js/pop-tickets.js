/* The tickets part of a screen pop: the customer's open tickets first (number, service, state, SLA
 * with the time left), which one this call is linked to, a link button on the others, and the
 * tickets resolved lately with a reopen offer. Everything comes with the pop message (no request
 * at ring time); linking and reopening post to /tickets/{id}/link and /reopen.
 *
 * The call's links, as this console knows them, are kept in the pop's record (``rec.tlink``):
 * ``links`` the tickets it is linked to, ``chosen`` the one it is about (the call linker's when the
 * caller has exactly one open ticket; then the agent's choice): choosing another moves the call.
 */
import { failure, postForm } from "./http.js";

export var REOPEN_DAYS = 7;
var SLA = ["ok", "at_risk", "breached", "met", "paused"];
var CODE = /^[a-z_]+$/;

export function makeTicketBlock(options) {
  "use strict";
  var t = options.t, el = options.el, testid = options.testid, CSRF = options.csrf, actions = options.actions;

  function code(value) { return CODE.test(value || "") ? value : "unknown"; }

  /* "3 h 20 min left", "2 d 4 h overdue": wall-clock time to the earliest due promise. */
  function leftText(dueIso, now) {
    var due = Date.parse(dueIso || "");
    if (isNaN(due)) return "";
    var ms = due - now, minutes = Math.floor(Math.abs(ms) / 60000);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    var span = d ? t("ticket.span.dh", { d: d, h: h }) : h ? t("ticket.span.hm", { h: h, m: m }) : t("ticket.span.m", { m: m });
    return t(ms >= 0 ? "ticket.due_in" : "ticket.overdue_by", { span: span });
  }

  function localTime(iso) {
    var when = new Date(iso || "");
    if (isNaN(when.getTime())) return "";
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(when.getMonth() + 1) + "-" + pad(when.getDate()) + " " + pad(when.getHours()) + ":" + pad(when.getMinutes());
  }

  function allOpen(rec) {
    var out = [];
    (rec.pop.customers || []).forEach(function (c) { ((c.tickets || {}).open || []).forEach(function (tk) { out.push(tk); }); });
    return out;
  }

  function openCount(rec) {
    return (rec.pop.customers || []).reduce(function (n, c) { return n + ((c.tickets || {}).open_count || 0); }, 0);
  }

  /* The call linker linked the call when the caller has exactly one open ticket: the pop says the same. */
  function links(rec) {
    if (!rec.tlink) {
      var open = allOpen(rec);
      rec.tlink = openCount(rec) === 1 && open.length === 1 ? { chosen: open[0].id, links: [open[0].id] } : { chosen: null, links: [] };
    }
    return rec.tlink;
  }

  function linked(rec, id, moved) {
    var l = links(rec);
    l.links = l.links.filter(function (x) { return x !== id && !(moved && x === l.chosen); }).concat([id]);
    l.chosen = id;
  }

  function kind(tk) {
    var text = t("ticket.type." + code(tk.type));
    return tk.type === "repair" && tk.mode ? text + " · " + t("ticket.mode." + code(tk.mode)) : text;
  }

  function numberLink(tk) {
    var a = testid(el("a", "mono ticket-number", tk.number), "pop-ticket-number");
    a.href = "/tickets/" + encodeURIComponent(tk.id);
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }

  function stateLabel(tk) {
    return testid(el("span", "label tstate " + (tk.open ? "tstate-open" : "tstate-done"), t("ticket.state." + code(tk.state))), "pop-ticket-state");
  }

  function slaBadge(status) {
    var s = SLA.indexOf(status) >= 0 ? status : "ok";
    return testid(el("span", "badge sla-" + s, t("ticket.sla." + s)), "pop-ticket-sla");
  }

  function post(rec, url, fields, button, status, done) {
    button.disabled = true;
    status.textContent = "";
    postForm(url, fields, CSRF).then(function (r) {
      button.disabled = false;
      if (r.status === 200 && r.data.ticket) { done(r.data.ticket); actions.changed(rec, true); return; }
      status.textContent = r.data.error || failure(t, r.status);
    }).catch(function () { button.disabled = false; status.textContent = t("pop.save_failed"); });
  }

  function openRow(rec, tk, status) {
    var li = testid(el("li", "pop-ticket"), "pop-ticket");
    li.setAttribute("data-ticket-id", String(tk.id));
    if (tk.sla === "at_risk" || tk.sla === "breached") li.classList.add("row-" + tk.sla);
    var main = el("div", "pop-ticket-main");
    main.appendChild(numberLink(tk));
    main.appendChild(el("span", "pop-ticket-kind", kind(tk)));
    main.appendChild(stateLabel(tk));
    var sla = el("div", "pop-ticket-sla");
    sla.appendChild(slaBadge(tk.sla));
    var left = leftText(tk.due, Date.now());
    if (left) {
      var span = testid(el("span", "sla-left", left), "pop-ticket-left");
      span.title = t("ticket.due_at", { at: localTime(tk.due) });
      sla.appendChild(span);
    }
    main.appendChild(sla);
    li.appendChild(main);
    var side = el("div", "pop-ticket-side");
    if (links(rec).links.indexOf(tk.id) >= 0) {
      side.appendChild(testid(el("span", "badge linked", "✓ " + t("pop.linked")), "pop-ticket-linked"));
    } else {
      var b = testid(el("button", "btn btn-small", t("pop.link")), "pop-ticket-link");
      b.type = "button";
      b.addEventListener("click", function () {
        var l = links(rec), from = l.chosen !== tk.id ? l.chosen : null;
        post(rec, "/tickets/" + encodeURIComponent(tk.id) + "/link", { call: rec.call_id, move_from: from }, b, status,
          function () { linked(rec, tk.id, true); });
      });
      side.appendChild(b);
    }
    li.appendChild(side);
    return li;
  }

  function reopenRow(rec, c, tk, status) {
    var li = testid(el("li", "pop-ticket is-done"), "pop-reopenable");
    var main = el("div", "pop-ticket-main");
    main.appendChild(numberLink(tk));
    main.appendChild(el("span", "pop-ticket-kind", kind(tk)));
    main.appendChild(stateLabel(tk));
    main.appendChild(el("span", "muted small", t("pop.resolved_on", { at: localTime(tk.resolved_at) })));
    li.appendChild(main);
    var details = el("details", "pop-reopen");
    var summary = testid(el("summary", "btn btn-small", t("pop.reopen")), "pop-ticket-reopen");
    details.appendChild(summary);
    var form = el("form", "pop-reopen-form");
    var note = el("input");
    note.name = "note";
    note.maxLength = 2000;
    note.placeholder = t("pop.reopen_note");
    note.setAttribute("aria-label", t("pop.reopen_note"));
    var go = testid(el("button", "btn btn-small btn-primary", t("pop.reopen_confirm")), "pop-ticket-reopen-confirm");
    go.type = "submit";
    form.appendChild(note);
    form.appendChild(go);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var from = links(rec).chosen;
      post(rec, "/tickets/" + encodeURIComponent(tk.id) + "/reopen", { note: note.value, call: rec.call_id, move_from: from }, go, status,
        function (fresh) {
          var own = c.tickets;
          own.reopenable = own.reopenable.filter(function (x) { return x.id !== tk.id; });
          own.open.unshift(fresh);
          own.open_count = (own.open_count || 0) + 1;
          linked(rec, tk.id, true);
        });
    });
    details.appendChild(form);
    details.addEventListener("toggle", function () { if (details.open) note.focus(); });
    li.appendChild(details);
    return li;
  }

  /* The block of one customer of the pop (``c``): open tickets, then the recently resolved ones. */
  function render(rec, c) {
    var own = c.tickets || (c.tickets = { open: [], open_count: 0, reopenable: [] });
    own.open = own.open || [];
    own.reopenable = own.reopenable || [];
    var wrap = testid(el("div", "pop-tickets"), "tickets");
    var head = el("div", "pop-tickets-head");
    head.appendChild(el("h4", "section-title", t("card.open_tickets") + (own.open_count ? " (" + own.open_count + ")" : "")));
    var add = testid(el("button", "btn btn-small btn-primary"), "new-ticket");
    add.type = "button";
    add.appendChild(el("span", null, t("pop.new_ticket")));
    add.appendChild(el("kbd", null, "T"));
    add.addEventListener("click", function () { actions.newTicket(rec, c); });
    head.appendChild(add);
    wrap.appendChild(head);
    var status = testid(el("p", "form-status"), "pop-ticket-status");
    status.setAttribute("role", "alert");
    if (rec.ticketNotice) {
      wrap.appendChild(testid(el("p", "notice notice-ok small", t("pop.ticket_opened", { number: rec.ticketNotice })), "pop-ticket-opened"));
      delete rec.ticketNotice;
    }
    var several = openCount(rec) > 1 && links(rec).chosen === null;
    if (several) wrap.appendChild(testid(el("p", "choices-note", t("pop.choose_ticket", { n: openCount(rec) })), "pop-choose-ticket"));
    if (own.open.length) {
      var ul = testid(el("ul", "pop-ticket-list"), "pop-open-tickets");
      own.open.forEach(function (tk) { ul.appendChild(openRow(rec, tk, status)); });
      wrap.appendChild(ul);
      if (own.open_count > own.open.length) {
        var more = el("a", "small", t("pop.more_tickets", { n: own.open_count - own.open.length }));
        more.href = "/customers/" + encodeURIComponent(c.id);
        more.target = "_blank";
        more.rel = "noopener";
        wrap.appendChild(more);
      }
    } else {
      wrap.appendChild(testid(el("p", "empty-inline", t("card.no_tickets")), "tickets-empty"));
    }
    if (own.reopenable.length) {
      wrap.appendChild(el("h4", "section-title", t("pop.reopenable", { days: REOPEN_DAYS })));
      var rl = el("ul", "pop-ticket-list");
      own.reopenable.forEach(function (tk) { rl.appendChild(reopenRow(rec, c, tk, status)); });
      wrap.appendChild(rl);
    }
    wrap.appendChild(status);
    return wrap;
  }

  /* A ticket opened from this pop: first in the customer's list, linked to the call. */
  function opened(rec, c, tk, moved) {
    var own = c.tickets || (c.tickets = { open: [], open_count: 0, reopenable: [] });
    own.open = [tk].concat(own.open || []);
    own.open_count = (own.open_count || 0) + 1;
    linked(rec, tk.id, moved);
    rec.ticketNotice = tk.number;
  }

  /* A ticket changed (a ``ticket`` or ``sla`` push): its line in this pop, if any, takes the new state
   * or SLA status. True when the pop lists it (the caller paints the pop again). */
  function changed(rec, id, state, sla) {
    var found = false;
    (rec.pop.customers || []).forEach(function (c) {
      ((c.tickets || {}).open || []).forEach(function (tk) {
        if (tk.id !== id) return;
        found = true;
        if (state && CODE.test(state)) tk.state = state;
        if (sla && SLA.indexOf(sla) >= 0) tk.sla = sla;
      });
    });
    return found;
  }

  return { render: render, opened: opened, links: links, changed: changed };
}
