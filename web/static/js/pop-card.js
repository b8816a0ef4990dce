/* Pop cards: build the DOM of one screen pop (caller, customers, tickets, products, history, quick-create).
 * A campaign's call (a callback, a follow-up, a notification's transfer) carries ``origin``: the card says
 * "回拨 / Callback" with why it was made and its ticket.
 *
 * Every value from the server goes in with textContent or as an attribute value, never as HTML:
 * caller names come from the phone network. The console (console.js) owns the list of pops and
 * passes the actions a card can trigger: dismiss, select a customer, changed (collapsed, a ticket
 * linked), created (a customer), newTicket (open the new-ticket form for a customer of the pop),
 * scheduleCallback (open the schedule-a-callback dialog for the pop).
 */
import { why } from "./callback-why.js";
import { el, testid } from "./dom.js";
import { makeTicketBlock } from "./pop-tickets.js";

export var TIERS = ["standard", "vip", "enterprise"];

export function duration(sec) {
  if (sec == null) return "";
  sec = Math.max(0, Math.round(sec));
  var h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
  var ss = (s < 10 ? "0" : "") + s;
  return h ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
}

export function makeCards(options) {
  "use strict";
  var t = options.t, AGENTS = options.agents || {}, CSRF = options.csrf || "", actions = options.actions;

  var tickets = makeTicketBlock({ t: t, el: el, testid: testid, csrf: CSRF, actions: actions });

  function clock(iso) {
    var m = /T(\d\d:\d\d:\d\d)/.exec(iso || "");
    return m ? m[1] : "";
  }

  function agentName(iface) { return iface ? (AGENTS[iface] || iface) : "—"; }

  /* ---------- badges ---------- */

  function tierBadge(tier) {
    return testid(el("span", "badge tier-" + (TIERS.indexOf(tier) >= 0 ? tier : "standard"), t("tier." + tier)), "tier");
  }

  function warrantyBadge(p) {
    var status = ["in_warranty", "expiring", "expired"].indexOf(p.warranty_status) >= 0 ? p.warranty_status : "expired";
    return testid(el("span", "badge warranty-" + status,
      t("warranty." + status, { days: Math.abs(p.warranty_days_left || 0) })), "warranty");
  }

  function dispositionLabel(d) {
    var safe = /^[a-z_]+$/.test(d || "") ? d : "in_progress";
    return testid(el("span", "label disp-" + safe, t("disposition." + safe)), "disposition");
  }

  /* ---------- the pop card ---------- */

  function stateText(st) {
    switch (st.state) {
      case "ringing": return t("state.ringing");
      case "answered": return t("state.answered_you");
      case "answered_elsewhere": return t("state.answered_by", { name: st.by || "?" });
      case "missed": return t("state.missed");
      case "caller_left": return t("state.caller_left");
      case "transferred": return t("state.transferred", { target: st.target || "?" });
      case "ended":
        if (!st.disposition) return t("state.over"); // over while this console was away: how, unknown
        return st.talk_seconds ? t("state.ended_talk", { disposition: t("disposition." + st.disposition), talk: duration(st.talk_seconds) })
          : t("state.ended", { disposition: t("disposition." + st.disposition) });
      default: return t("state.unknown");
    }
  }

  function renderPop(rec) {
    var pop = rec.pop, caller = pop.caller || {};
    var art = testid(el("article", "pop"), "pop");
    art.setAttribute("data-call-id", rec.call_id);
    art.tabIndex = 0;
    art.setAttribute("aria-label", t("pop.aria", { caller: caller.name || caller.display || t("pop.no_caller_id") }));

    var head = el("div", "pop-head");
    var ident = el("div", "pop-ident");
    var kicker = el("div", "pop-kicker");
    kicker.appendChild(el("span", "pop-icon"));
    var bits = [t(pop.direction === "outbound" ? "pop.outgoing" : "pop.incoming")];
    if (pop.queue) bits.push(t("pop.queue", { queue: pop.queue }));
    if (clock(pop.at)) bits.push(clock(pop.at));
    kicker.appendChild(el("span", null, bits.join(" · ")));
    ident.appendChild(kicker);

    var name = testid(el("h2", "pop-caller"), "caller-name");
    if (caller.anonymous) name.textContent = t("pop.no_caller_id");
    else if (caller.name) name.textContent = caller.name;
    else { name.textContent = t("pop.no_name"); name.classList.add("is-placeholder"); }
    ident.appendChild(name);

    if (!caller.anonymous) {
      var line = el("div", "pop-line");
      line.appendChild(testid(el("span", "pop-number", caller.display || caller.raw), "caller-number"));
      var place = [caller.place, caller.carrier, caller.kind ? t("kind." + caller.kind) : ""].filter(Boolean).join(" · ");
      if (place) line.appendChild(testid(el("span", "pop-place", place), "caller-place"));
      ident.appendChild(line);
    }
    if (pop.origin && typeof pop.origin === "object") ident.appendChild(originLine(pop.origin));
    head.appendChild(ident);

    var side = el("div", "pop-side");
    side.appendChild(testid(el("div", "pop-state"), "pop-state"));
    if (!caller.anonymous && actions.scheduleCallback) {
      var later = testid(el("button", "btn btn-quiet btn-small pop-callback", t("callback.schedule")), "pop-schedule-callback");
      later.type = "button";
      later.title = t("callback.schedule_hint");
      later.addEventListener("click", function () { actions.scheduleCallback(rec, later); });
      side.appendChild(later);
    }
    var toggle = testid(el("button", "btn btn-quiet btn-small pop-toggle"), "pop-toggle");
    toggle.type = "button";
    toggle.addEventListener("click", function () {
      rec.collapsed = !rec.collapsed;
      applyCollapsed(rec, art);
      actions.changed(rec);
    });
    side.appendChild(toggle);
    var close = testid(el("button", "pop-dismiss", "×"), "pop-dismiss");
    close.type = "button";
    close.title = t("pop.dismiss");
    close.setAttribute("aria-label", t("pop.dismiss"));
    close.addEventListener("click", function () { actions.dismiss(rec.call_id); });
    side.appendChild(close);
    head.appendChild(side);
    art.appendChild(head);

    var body = el("div", "pop-body");
    art.appendChild(body);
    renderBody(rec, body);
    applyState(rec, art);
    applyCollapsed(rec, art);
    return art;
  }

  /* Why this campaign call rings: the badge, the reason (per its source), the ticket it is about. */
  function originLine(o) {
    var line = testid(el("div", "pop-origin"), "pop-origin");
    line.appendChild(testid(el("span", "badge cb-badge", t("callback.badge")), "pop-origin-badge"));
    var text = why(t, o);
    if (text) line.appendChild(testid(el("span", "pop-origin-why", text), "pop-origin-why"));
    if (o.ticket && typeof o.ticket.id === "number") {
      var a = testid(el("a", "mono", o.ticket.number || "#" + o.ticket.id), "pop-origin-ticket");
      a.href = "/tickets/" + encodeURIComponent(o.ticket.id);
      a.target = "_blank";
      a.rel = "noopener";
      line.appendChild(a);
    }
    if (typeof o.attempt === "number" && o.attempt > 1) line.appendChild(el("span", "muted small", t("callback.attempt_n", { n: o.attempt })));
    return line;
  }

  function applyCollapsed(rec, art) {
    art.classList.toggle("is-collapsed", !!rec.collapsed);
    var toggle = art.querySelector(".pop-toggle");
    toggle.textContent = rec.collapsed ? t("pop.expand") : t("pop.collapse");
    toggle.setAttribute("aria-expanded", rec.collapsed ? "false" : "true");
  }

  function renderBody(rec, body) {
    body.textContent = "";
    var pop = rec.pop, caller = pop.caller || {}, list = pop.customers || [];
    if (caller.anonymous) {
      var anon = testid(el("section", "pop-notice"), "anonymous");
      anon.appendChild(el("h3", "section-title", t("pop.anonymous_title")));
      anon.appendChild(el("p", "muted", t("pop.anonymous_hint")));
      body.appendChild(anon);
      return;
    }
    if (!list.length) {
      body.appendChild(quickCreate(rec));
      body.appendChild(historyBlock(pop.recent_calls || [], t("pop.number_history")));
      return;
    }
    if (rec.selected == null || rec.selected >= list.length) rec.selected = 0;
    if (list.length > 1) body.appendChild(choices(rec, list));
    body.appendChild(customerBlock(rec, list[rec.selected]));
  }

  function choices(rec, list) {
    var wrap = testid(el("div", "choices"), "customer-choices");
    wrap.appendChild(el("p", "choices-note", t("pop.several", { n: list.length })));
    var row = el("div", "choice-row");
    row.setAttribute("role", "group");
    list.forEach(function (c, i) {
      var b = testid(el("button", "choice"), "customer-choice");
      b.type = "button";
      b.setAttribute("aria-pressed", i === rec.selected ? "true" : "false");
      b.appendChild(el("span", "choice-name", c.name));
      var meta = [t("tier." + c.tier), c.city].filter(Boolean).join(" · ");
      b.appendChild(el("span", "choice-meta", meta));
      b.addEventListener("click", function () { actions.select(rec, i); });
      row.appendChild(b);
    });
    wrap.appendChild(row);
    return wrap;
  }

  function customerBlock(rec, c) {
    var sec = testid(el("section", "pop-customer"), "customer");
    sec.setAttribute("data-customer-id", String(c.id));
    var head = el("div", "customer-head");
    var h = testid(el("h3", "customer-name"), "customer-name");
    var a = el("a", null, c.name);
    a.href = "/customers/" + encodeURIComponent(c.id);
    a.target = "_blank";
    a.rel = "noopener";
    testid(a, "customer-link");
    h.appendChild(a);
    head.appendChild(h);
    head.appendChild(tierBadge(c.tier));
    if (c.city) head.appendChild(el("span", "customer-where", c.city));
    sec.appendChild(head);

    var phones = testid(el("ul", "phones"), "phones");
    (c.phones || []).forEach(function (p) {
      var li = el("li");
      li.appendChild(el("span", "phone", p.display || p.e164));
      if (p.label) li.appendChild(el("span", "muted", " " + p.label));
      phones.appendChild(li);
    });
    sec.appendChild(phones);
    if (c.notes) sec.appendChild(testid(el("p", "notes", c.notes), "notes"));
    sec.appendChild(tickets.render(rec, c)); // the customer's open tickets first

    var prod = el("div", "pop-products");
    prod.appendChild(el("h4", "section-title", t("card.products")));
    if (c.products && c.products.length) {
      var table = testid(el("table", "table compact"), "products");
      var thead = el("thead"), tr = el("tr");
      ["card.model", "card.serial", "card.purchased", "card.warranty_ends", "card.warranty"].forEach(function (k) {
        tr.appendChild(el("th", null, t(k)));
      });
      thead.appendChild(tr);
      table.appendChild(thead);
      var tbody = el("tbody");
      c.products.forEach(function (p) {
        var r = el("tr");
        r.appendChild(el("td", null, p.model));
        r.appendChild(el("td", "mono", p.serial));
        r.appendChild(el("td", "nowrap", p.purchase_date));
        r.appendChild(el("td", "nowrap", p.warranty_ends));
        var w = el("td");
        w.appendChild(warrantyBadge(p));
        r.appendChild(w);
        tbody.appendChild(r);
      });
      table.appendChild(tbody);
      prod.appendChild(table);
    } else {
      prod.appendChild(el("p", "empty-inline", t("card.no_products")));
    }
    sec.appendChild(prod);
    sec.appendChild(historyBlock(c.recent_calls || [], t("pop.recent_calls")));
    return sec;
  }

  function historyBlock(rows, title) {
    var wrap = testid(el("div", "pop-history"), "recent-calls");
    wrap.appendChild(el("h4", "section-title", title));
    if (!rows.length) {
      wrap.appendChild(el("p", "empty-inline", t("pop.no_calls")));
      return wrap;
    }
    var table = el("table", "table compact");
    var thead = el("thead"), tr = el("tr");
    ["calls.time", "calls.agent", "calls.disposition", "calls.talk"].forEach(function (k) {
      tr.appendChild(el("th", k === "calls.talk" ? "num" : null, t(k)));
    });
    thead.appendChild(tr);
    table.appendChild(thead);
    var tbody = el("tbody");
    rows.slice(0, 10).forEach(function (h) {
      var r = el("tr");
      r.appendChild(el("td", "nowrap", h.at));
      r.appendChild(el("td", null, agentName(h.agent)));
      var d = el("td");
      d.appendChild(dispositionLabel(h.disposition));
      r.appendChild(d);
      r.appendChild(el("td", "num", duration(h.talk_seconds)));
      tbody.appendChild(r);
    });
    table.appendChild(tbody);
    wrap.appendChild(table);
    return wrap;
  }

  function field(labelKey, input, name) {
    var lab = el("label", "field");
    lab.appendChild(el("span", "field-label", t(labelKey)));
    input.name = name;
    lab.appendChild(input);
    var err = testid(el("span", "field-error"), "error-" + name);
    err.hidden = true;
    lab.appendChild(err);
    return lab;
  }

  function quickCreate(rec) {
    var caller = rec.pop.caller || {};
    var sec = testid(el("section", "quick-create"), "quick-create");
    sec.appendChild(el("h3", "section-title", t("pop.unknown_title")));
    sec.appendChild(el("p", "muted small", t("pop.unknown_hint")));
    var form = el("form", "quick-form");
    form.noValidate = true;

    var name = el("input");
    name.required = true;
    name.maxLength = 200;
    name.autocomplete = "off";
    var phones = el("input");
    phones.value = caller.display || caller.e164 || caller.raw || "";
    phones.maxLength = 2000;
    var city = el("input");
    city.value = caller.place || "";
    city.maxLength = 100;
    var tier = el("select");
    TIERS.forEach(function (v) { var o = el("option", null, t("tier." + v)); o.value = v; tier.appendChild(o); });
    var notes = el("textarea");
    notes.rows = 2;
    notes.maxLength = 4000;

    var row1 = el("div", "field-row");
    row1.appendChild(field("customers.name", name, "name"));
    row1.appendChild(field("customers.phones", phones, "phones"));
    form.appendChild(row1);
    var row2 = el("div", "field-row");
    row2.appendChild(field("customers.city", city, "city"));
    row2.appendChild(field("customers.tier", tier, "tier"));
    form.appendChild(row2);
    form.appendChild(field("customers.notes", notes, "notes"));

    var status = testid(el("p", "form-status"), "quick-create-status");
    status.setAttribute("role", "alert");
    form.appendChild(status);
    var buttons = el("div", "actions");
    var submit = testid(el("button", "btn btn-primary", t("customers.create")), "quick-create-submit");
    submit.type = "submit";
    buttons.appendChild(submit);
    var andTicket = testid(el("button", "btn", t("pop.create_and_ticket")), "quick-create-ticket");
    andTicket.type = "button"; // the customer first, then the ticket form for them (the call linked)
    andTicket.addEventListener("click", function () { rec.ticketNext = true; form.requestSubmit(submit); });
    buttons.appendChild(andTicket);
    form.appendChild(buttons);
    if (rec.ticketNext) sec.appendChild(testid(el("p", "notice notice-warn small", t("pop.ticket_needs_customer")), "ticket-needs-customer"));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      createCustomer(rec, form, submit, status);
    });
    sec.appendChild(form);
    return sec;
  }

  function createCustomer(rec, form, submit, status) {
    var body = new URLSearchParams();
    ["name", "phones", "city", "tier", "notes"].forEach(function (n) { body.append(n, form.elements[n].value); });
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (e) { e.hidden = true; e.textContent = ""; });
    status.textContent = "";
    submit.disabled = true;
    fetch("/customers/new", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": CSRF, "Accept": "application/json" },
      body: body
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) { return { status: resp.status, data: data }; });
    }).then(function (r) {
      submit.disabled = false;
      if (r.status === 201 && r.data.customer) {
        var card = r.data.customer;
        card.recent_calls = rec.pop.recent_calls || [];
        rec.pop.customers = [card];
        rec.selected = 0;
        actions.created(rec);
        return;
      }
      if (r.status === 422 && r.data.errors) {
        Object.keys(r.data.errors).forEach(function (k) {
          var slot = form.querySelector('[data-testid="error-' + k + '"]');
          if (slot) { slot.textContent = r.data.errors[k]; slot.hidden = false; }
          if (form.elements[k]) form.elements[k].setAttribute("aria-invalid", "true");
        });
        status.textContent = t("form.has_errors");
        return;
      }
      status.textContent = r.status === 403 || r.status === 401 ? t("pop.session_expired") : t("pop.save_failed");
    }).catch(function () {
      submit.disabled = false;
      status.textContent = t("pop.save_failed");
    });
  }

  function applyState(rec, art) {
    var st = rec.status || { state: "ringing" };
    art.setAttribute("data-state", st.state);
    art.className = "pop state-" + st.state + (art.classList.contains("is-fading") ? " is-fading" : "") +
      (rec.collapsed ? " is-collapsed" : "");
    art.querySelector(".pop-state").textContent = stateText(st);
  }

  return { render: renderPop, renderBody: renderBody, applyState: applyState, applyCollapsed: applyCollapsed,
    tickets: tickets };
}
