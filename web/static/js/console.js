/* Agent console: the list of screen pops, the keyboard, and the push channel (/ws).
 * T on a pop (Alt+T: the newest pop, even from a text field) opens the new-ticket form (console-tickets.js);
 * a pop's 预约回拨 / Schedule callback opens the callback dialog (callback-dialog.js) for its caller.
 *
 * Cards are built by pop-card.js (text only, never HTML). The pops on screen
 * and the last message id are kept in sessionStorage, so a reload or a dropped
 * connection resumes where it stopped: the server replays what was missed.
 * Every (re)connection then brings a snapshot of the calls ringing or answered
 * on this agent's phone now: a new tab, a login mid-call or a restarted service
 * shows them, and a stored pop that is no longer live is marked over.
 */
import { parseJSON, PUSH_EVENT, translator } from "./dom.js";
import { makeCards } from "./pop-card.js";
import "./escalations.js"; // supervisors: the open escalations and the calendar notice, from the same /ws
import "./ticket-news.js"; // promises at risk or broken, changes to the user's tickets, from the same /ws
import { makeConsoleTickets } from "./console-tickets.js";
import { isCallbackOpen, openCallback } from "./callback-dialog.js";

(function () {
  "use strict";

  var root = document.getElementById("console");
  if (!root) return;

  var T = parseJSON(root.getAttribute("data-i18n"), {});
  var t = translator(T);
  var AGENTS = parseJSON(root.getAttribute("data-agents"), {});
  var CSRF = root.getAttribute("data-csrf") || "";
  var STORE_KEY = "cti.console";
  var MAX_POPS = 8;
  var MAX_DISMISSED = 50; // call ids the agent closed: a snapshot on reconnect does not bring them back
  var FADE_AFTER_MS = 5000;
  var SILENCE_MS = 65000; // the server sends a heartbeat every 25 s
  var popsEl = document.getElementById("pops");
  var emptyEl = document.getElementById("pops-empty");
  var connEl = document.querySelector('[data-testid="connection"]');
  var baseTitle = document.title;

  var state = loadState(); // {user, epoch, lastId, pops: [record]} — newest first
  var views = {}; // call_id -> article element

  var cards = makeCards({
    t: t,
    agents: AGENTS,
    csrf: CSRF,
    actions: {
      dismiss: dismiss,
      select: select,
      changed: function (rec, rerender) {
        saveState();
        if (rerender) rerenderBody(rec);
      },
      created: function (rec) {
        saveState();
        rerenderBody(rec);
        tickets.customerCreated(rec);
      },
      newTicket: function (rec, customer) { tickets.openForm(rec, customer); },
      scheduleCallback: scheduleCallback
    }
  });

  /* The callback dialog for a pop: its caller's number, the chosen customer, the ticket the call is about. */
  function scheduleCallback(rec, from) {
    var caller = rec.pop.caller || {}, list = rec.pop.customers || [];
    var c = list[rec.selected || 0] || null;
    var ticket = cards.tickets.links(rec).chosen;
    var name = c ? c.name : caller.name || "";
    openCallback({
      number: caller.display || caller.e164 || caller.raw || "", customer: c ? c.id : "", ticket: ticket != null ? ticket : "",
      call: rec.call_id, name: name, label: [name, caller.display || caller.e164].filter(Boolean).join(" · ")
    }, from);
  }

  var tickets = makeConsoleTickets({
    t: t,
    csrf: CSRF,
    role: root.getAttribute("data-role") || "",
    vocabulary: parseJSON(root.getAttribute("data-ticket-vocabulary"), {}),
    cards: function () { return cards; },
    view: function (callId) { return views[callId]; },
    saveState: function () { saveState(); },
    rerender: function (rec) { rerenderBody(rec); }
  });

  function rerenderBody(rec) {
    var art = views[rec.call_id];
    if (art) cards.renderBody(rec, art.querySelector(".pop-body"));
  }

  /* ---------- persistence ---------- */

  /* The stored pops of this tab, if they are this user's; else start where the page was rendered
   * (data-epoch/data-last), so a pop sent before the push channel first opens, or while it is down
   * before any numbered message arrived, is replayed rather than lost. */
  function loadState() {
    var s = null, user = root.getAttribute("data-user") || "";
    var last = parseInt(root.getAttribute("data-last"), 10);
    try { s = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "null"); } catch (e) { s = null; }
    if (!s || !Array.isArray(s.pops) || s.user !== user) {
      s = { user: user, epoch: null, lastId: null, pops: [] };
    }
    if (!Array.isArray(s.dismissed)) s.dismissed = [];
    if (s.lastId == null) {
      s.epoch = root.getAttribute("data-epoch") || null;
      s.lastId = isNaN(last) ? null : last;
    }
    return s;
  }

  function saveState() {
    try { window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state)); } catch (e) { /* full or disabled */ }
  }

  function findRecord(callId) {
    for (var i = 0; i < state.pops.length; i++) if (state.pops[i].call_id === callId) return state.pops[i];
    return null;
  }

  function removeRecord(callId) {
    state.pops = state.pops.filter(function (r) { return r.call_id !== callId; });
  }

  /* Older pops that need no action fold to their header line when a new call arrives. */
  function foldOthers(current) {
    state.pops.forEach(function (r) {
      var s = (r.status || {}).state;
      if (r !== current && !r.collapsed && s !== "ringing" && s !== "answered") {
        r.collapsed = true;
        if (views[r.call_id]) cards.applyCollapsed(r, views[r.call_id]);
      }
    });
  }

  /* ---------- pop list ---------- */

  function select(rec, i) {
    rec.selected = i;
    saveState();
    var art = views[rec.call_id];
    if (art) {
      cards.renderBody(rec, art.querySelector(".pop-body"));
      var b = art.querySelectorAll(".choice")[i];
      if (b) b.focus();
    }
  }

  function refreshEmpty() {
    var any = state.pops.length > 0;
    emptyEl.hidden = any;
    var ringing = state.pops.some(function (r) { return (r.status || {}).state === "ringing"; });
    document.title = ringing ? t("pop.title_ringing") + " · " + baseTitle : baseTitle;
  }

  function statusOf(data) {
    var st = { state: data.state || "ringing" };
    if (data.by) st.by = data.by;
    return st;
  }

  function addPop(data) {
    var rec = findRecord(data.call_id);
    if (rec) {
      rec.pop = data;
      rec.status = statusOf(data);
      removeRecord(data.call_id);
    } else {
      rec = { call_id: data.call_id, pop: data, status: statusOf(data), selected: 0 };
    }
    rec.collapsed = false;
    state.pops.unshift(rec);
    var old = views[rec.call_id];
    var art = cards.render(rec);
    views[rec.call_id] = art;
    if (old && old.parentNode) old.parentNode.removeChild(old);
    popsEl.insertBefore(art, popsEl.firstChild);
    foldOthers(rec);
    trim();
    refreshEmpty();
  }

  function trim() {
    while (state.pops.length > MAX_POPS) {
      var victim = null;
      for (var i = state.pops.length - 1; i >= 0; i--) {
        if ((state.pops[i].status || {}).state !== "ringing") { victim = state.pops[i]; break; }
      }
      if (!victim) victim = state.pops[state.pops.length - 1];
      dropView(victim.call_id);
      removeRecord(victim.call_id);
      forget(victim.call_id);
    }
  }

  function updateCall(data) {
    var rec = findRecord(data.call_id);
    if (!rec) return;
    var prev = (rec.status || {}).state;
    // "ended" after "answered elsewhere" or a local miss keeps the more telling line
    if (data.state === "ended" && (prev === "missed" || prev === "caller_left" || prev === "transferred")) return;
    rec.status = data;
    var art = views[rec.call_id];
    if (art) cards.applyState(rec, art);
    if (data.state === "answered_elsewhere") {
      removeRecord(rec.call_id); // it leaves the screen: do not restore it after a reload
      setTimeout(function () { fade(rec.call_id); }, FADE_AFTER_MS);
    }
    refreshEmpty();
  }

  function fade(callId) {
    var art = views[callId];
    if (!art) return;
    art.classList.add("is-fading");
    setTimeout(function () { dropView(callId); refreshEmpty(); }, 800);
  }

  function dropView(callId) {
    var art = views[callId];
    if (art && art.parentNode) art.parentNode.removeChild(art);
    delete views[callId];
  }

  function forget(callId) {
    state.dismissed = state.dismissed.filter(function (id) { return id !== callId; }).concat([callId]);
    if (state.dismissed.length > MAX_DISMISSED) state.dismissed = state.dismissed.slice(-MAX_DISMISSED);
  }

  function dismiss(callId) {
    forget(callId);
    removeRecord(callId);
    dropView(callId);
    saveState();
    refreshEmpty();
    var next = popsEl.querySelector(".pop");
    if (next) next.focus();
  }

  function markUnknown() {
    state.pops.forEach(function (rec) {
      if ((rec.status || {}).state === "ringing") {
        rec.status = { state: "unknown" };
        if (views[rec.call_id]) cards.applyState(rec, views[rec.call_id]);
      }
    });
    refreshEmpty();
  }

  /* The calls live on this phone now. A pop already on screen keeps its card (and a quick-create form
   * being filled in): only its state follows. A stored pop still ringing or answered that is not live
   * any more is over (its state is unknown while the service is not linked to the PBX). */
  function applySnapshot(data) {
    var live = {};
    (data.pops || []).forEach(function (pop) {
      live[pop.call_id] = true;
      var rec = findRecord(pop.call_id);
      if (!rec && state.dismissed.indexOf(pop.call_id) >= 0) return; // closed by the agent: stays closed
      if (!rec) addPop(pop);
      else if ((rec.status || {}).state !== pop.state) updateCall(Object.assign({ call_id: pop.call_id }, statusOf(pop)));
    });
    state.pops.forEach(function (rec) {
      var s = (rec.status || {}).state;
      if (live[rec.call_id] || (s !== "ringing" && s !== "answered" && s !== "unknown")) return;
      rec.status = data.synced ? { state: "ended" } : { state: "unknown" };
      if (views[rec.call_id]) cards.applyState(rec, views[rec.call_id]);
    });
    refreshEmpty();
  }

  function restore() {
    state.pops.slice().reverse().forEach(function (rec) {
      var art = cards.render(rec);
      views[rec.call_id] = art;
      popsEl.insertBefore(art, popsEl.firstChild);
    });
    refreshEmpty();
  }

  /* ---------- keyboard ---------- */

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function currentPop(target) {
    var art = target && target.closest ? target.closest(".pop") : null;
    return art || popsEl.querySelector(".pop");
  }

  document.addEventListener("keydown", function (ev) {
    if (tickets.isOpen() || isCallbackOpen()) return; // a dialog has the keyboard (Esc closes it, not a pop)
    if (ev.altKey && !ev.ctrlKey && !ev.metaKey && (ev.code === "KeyT" || ev.key === "t" || ev.key === "T")) {
      var newest = popsEl.querySelector(".pop"); // Alt+T: the newest pop, even from a text field
      var newestRec = newest && findRecord(newest.getAttribute("data-call-id"));
      if (newestRec) { ev.preventDefault(); tickets.newTicket(newestRec); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Escape") {
      if (typing(ev.target)) { ev.target.blur(); return; }
      var top = popsEl.querySelector(".pop");
      if (top) { ev.preventDefault(); dismiss(top.getAttribute("data-call-id")); }
      return;
    }
    if (typing(ev.target)) return;
    var art = currentPop(ev.target);
    if (!art) return;
    var rec = findRecord(art.getAttribute("data-call-id"));
    if (!rec) return;
    var list = rec.pop.customers || [];
    if ((ev.key === "t" || ev.key === "T") && !ev.shiftKey) {
      ev.preventDefault();
      tickets.newTicket(rec);
    } else if (ev.key === "Enter" && (ev.target === document.body || ev.target === art)) {
      var c = list[rec.selected || 0];
      if (c) { ev.preventDefault(); window.open("/customers/" + encodeURIComponent(c.id), "_blank", "noopener"); }
    } else if ((ev.key === "ArrowDown" || ev.key === "ArrowUp") && list.length > 1) {
      ev.preventDefault();
      var step = ev.key === "ArrowDown" ? 1 : -1;
      select(rec, ((rec.selected || 0) + step + list.length) % list.length);
    }
  });

  /* ---------- push channel ---------- */

  var ws = null, attempts = 0, silence = null, retry = null, opened = false, failures = 0;

  function setConn(s) {
    if (!connEl) return;
    connEl.setAttribute("data-state", s);
    connEl.querySelector(".conn-label").textContent = t("conn." + s);
  }

  function kick() {
    clearTimeout(silence);
    silence = setTimeout(function () { drop(); schedule(); }, SILENCE_MS);
  }

  function drop() {
    clearTimeout(silence);
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(); } catch (e) { /* already closed */ }
    ws = null;
  }

  function connect() {
    clearTimeout(retry);
    setConn(attempts ? "reconnecting" : "connecting");
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    if (state.lastId != null && state.epoch) {
      url += "?last=" + encodeURIComponent(state.lastId) + "&epoch=" + encodeURIComponent(state.epoch);
    }
    opened = false;
    ws = new WebSocket(url);
    ws.onopen = function () { opened = true; attempts = 0; failures = 0; setConn("connected"); kick(); };
    ws.onmessage = function (ev) {
      kick();
      var message = parseJSON(ev.data, null);
      handle(message);
      if (message) document.dispatchEvent(new CustomEvent(PUSH_EVENT, { detail: message }));
    };
    ws.onclose = function (ev) {
      clearTimeout(silence);
      ws = null;
      if (ev.code === 4401) { location.href = "/login?next=%2F"; return; }
      if (!opened && ++failures >= 2) checkLogin();
      schedule();
    };
  }

  function schedule() {
    setConn("reconnecting");
    var delay = Math.min(15000, 500 * Math.pow(2, attempts)) * (0.75 + Math.random() * 0.5);
    attempts = Math.min(attempts + 1, 8);
    clearTimeout(retry);
    retry = setTimeout(connect, delay);
  }

  function checkLogin() {
    fetch("/api/me", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (r.status === 401) location.href = "/login?next=%2F"; })
      .catch(function () { /* offline: keep retrying */ });
  }

  function handle(m) {
    if (!m || typeof m !== "object") return;
    if (m.epoch) state.epoch = m.epoch;
    if (m.id != null) state.lastId = m.id;
    if (m.type === "pop" && m.data) addPop(m.data);
    else if (m.type === "call" && m.data) updateCall(m.data);
    else if (m.type === "reset") markUnknown();
    else if (m.type === "snapshot" && m.data) applySnapshot(m.data);
    else if (m.type === "ticket" && m.data) ticketChanged(m.data.id, m.data.state, m.data.sla);
    else if (m.type === "sla" && m.data) ticketChanged(m.data.ticket_id, null, m.data.status);
    saveState();
  }

  /* A ticket a pop lists changed (its assignee or a supervisor is told): the pop shows it. */
  function ticketChanged(id, ticketState, sla) {
    if (typeof id !== "number") return;
    state.pops.forEach(function (rec) { if (cards.tickets.changed(rec, id, ticketState, sla)) rerenderBody(rec); });
  }

  window.addEventListener("online", function () { if (!ws) { attempts = 0; connect(); } });

  // A stored epoch from before a service restart is sent as is: the server answers "reset".
  restore();
  connect();
})();
