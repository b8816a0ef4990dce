/* The wallboard: queues, agents and calls in progress, live from /wallboard/ws.
 *
 * The server sends a snapshot, then only what changed (at most a few messages a second). Waits and
 * times in state are counted up here every second from the instants the server gave, so a quiet floor
 * costs no traffic. Every value from outside (caller names, agents' names, queue names) goes in with
 * textContent. A closed channel reconnects with a growing delay and starts again from a snapshot;
 * a session that ended (4401) goes to the login page.
 */
import { el, parseJSON, testid, translator } from "./dom.js";
import { failure, postForm } from "./http.js";

var root = document.getElementById("wallboard");
if (root) start(root);

function start(root) {
  var t = translator(parseJSON(root.getAttribute("data-i18n"), {}));
  var lang = root.getAttribute("data-lang") || "zh";
  var state = { queues: {}, agents: {}, calls: { total: 0, list: [] }, hotline: {}, skew: 0 };
  var queuesBox = root.querySelector("[data-testid=wb-queues]");
  var agentsBody = root.querySelector("[data-testid=wb-agents] tbody");
  var callsBody = root.querySelector("[data-testid=wb-calls] tbody");
  var link = root.querySelector("[data-testid=wb-link]");
  var delay = 500;
  var csrf = root.getAttribute("data-csrf");
  var reasons = parseJSON(root.getAttribute("data-reasons"), []);
  var actionStatus = root.querySelector("[data-testid=wb-action-status]");

  function now() { return Date.now() / 1000 - state.skew; }  // the server's clock, as it counts

  function pct(v) { return v == null ? "—" : (Math.round(v * 1000) / 10).toLocaleString(lang) + "%"; }
  function secs(v) { return v == null ? "—" : clock(v); }
  function clock(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (r < 10 ? "0" : "") + r;
    return (h ? h + ":" : "") + mm + ":" + ss;
  }
  function grade(value, limits) {
    if (value == null || !limits) return "none";
    return value >= limits[1] ? "bad" : value >= limits[0] ? "warn" : "ok";
  }

  /* -- queues --------------------------------------------------------------------------------------- */

  function queueTile(q) {
    var tile = el("article", "wb-queue card");
    tile.setAttribute("data-queue", q.name);
    testid(tile, "wb-queue");
    var head = el("header", "wb-queue-head");
    var title = el("h2", "wb-queue-name", q.label || q.name);
    if (q.label) title.appendChild(el("span", "wb-queue-id mono", " " + q.name));
    head.appendChild(title);
    head.appendChild(el("span", "muted small", t("wallboard.logged_in", { n: q.logged_in })));
    tile.appendChild(head);

    var big = el("div", "wb-big");
    big.appendChild(figure("waiting", t("wallboard.waiting"), String(q.waiting), q.grades.waiting, "wb-waiting"));
    var longest = figure("longest_wait", t("wallboard.longest_wait"), q.oldest == null ? "—" : clock(now() - q.oldest),
      q.oldest == null ? "none" : grade(now() - q.oldest, q.limits.longest_wait), "wb-longest");
    if (q.oldest != null) {
      longest.setAttribute("data-since", String(q.oldest));
      longest.setAttribute("data-limits", JSON.stringify(q.limits.longest_wait));
    }
    big.appendChild(longest);
    tile.appendChild(big);

    tile.appendChild(statesBar(q.states, q.logged_in));

    var figs = el("dl", "wb-figures");
    [["offered", String(q.offered), "none"], ["answered", String(q.answered), "none"],
     ["abandoned", String(q.abandoned), "none"], ["service_level", pct(q.service_level), q.grades.service_level],
     ["abandon_rate", pct(q.abandon_rate), q.grades.abandon_rate], ["asa", secs(q.asa), q.grades.asa],
     ["aht", secs(q.aht), "none"], ["csat_queue", pct(q.csat), q.grades.csat]].forEach(function (f) {
      var box = el("div", "wb-fig grade-" + f[2]);
      box.setAttribute("data-figure", f[0]);
      box.appendChild(el("dt", "", t("wallboard." + f[0])));
      box.appendChild(el("dd", "", f[1]));
      figs.appendChild(box);
    });
    tile.appendChild(figs);
    return tile;
  }

  function figure(name, label, value, gradeName, id) {
    var box = el("div", "wb-bigfig grade-" + gradeName);
    box.setAttribute("data-figure", name);
    testid(box, id);
    box.appendChild(el("span", "wb-bigfig-value", value));
    box.appendChild(el("span", "wb-bigfig-label", label));
    return box;
  }

  function statesBar(states, total) {
    var wrap = el("div", "wb-states");
    var bar = el("div", "wb-bar");
    bar.setAttribute("role", "img");
    var words = [];
    ["available", "ringing", "on_call", "wrap_up", "paused", "unavailable"].forEach(function (s) {
      var n = states[s] || 0;
      if (n && total) {
        var part = el("span", "wb-bar-part st-" + s);
        part.style.flexGrow = String(n);
        bar.appendChild(part);
      }
      var item = el("span", "wb-state st-text-" + s);
      item.setAttribute("data-state", s);
      item.appendChild(el("b", "", String(n)));
      item.appendChild(document.createTextNode(" " + t("wallboard.state." + s)));
      wrap.appendChild(item);
      words.push(t("wallboard.state." + s) + " " + n);
    });
    bar.setAttribute("aria-label", words.join(", "));
    wrap.insertBefore(bar, wrap.firstChild);
    return wrap;
  }

  function drawQueues() {
    var names = Object.keys(state.queues).sort();
    queuesBox.textContent = "";
    if (!names.length) { queuesBox.appendChild(el("p", "empty-title muted", t("wallboard.no_queues"))); return; }
    names.forEach(function (n) { queuesBox.appendChild(queueTile(state.queues[n])); });
  }

  /* -- agents and calls ----------------------------------------------------------------------------- */

  function agentRow(a) {
    var tr = el("tr", "wb-agent st-row-" + a.state);
    tr.setAttribute("data-interface", a.interface);
    tr.setAttribute("data-state", a.state);
    testid(tr, "wb-agent");
    var who = el("td");
    who.appendChild(el("div", "wb-agent-name", a.name || a.interface));
    who.appendChild(el("div", "muted small mono", a.interface));
    tr.appendChild(who);
    var st = el("td");
    var badge = el("span", "badge st-" + a.state, t("wallboard.state." + a.state));
    testid(badge, "wb-agent-state");
    st.appendChild(badge);
    if (a.reason && (a.state === "paused" || a.state === "wrap_up")) {
      var reason = el("span", "wb-reason", reasonText(a.reason));
      testid(reason, "wb-agent-reason");
      st.appendChild(reason);
    }
    tr.appendChild(st);
    var since = el("td", "mono wb-count", clock(now() - a.since));
    since.setAttribute("data-since", String(a.since));
    tr.appendChild(since);
    tr.appendChild(callCell(a.call));
    tr.appendChild(el("td", "num", String(a.answered)));
    tr.appendChild(el("td", "num mono", secs(a.aht)));
    tr.appendChild(el("td", "small", a.queues.join(", ")));
    tr.appendChild(actionCell(a));
    return tr;
  }

  /* A supervisor's actions on an agent, as one keyboard-friendly menu: pause (each reason), resume,
   * log out of each queue. The PBX's events then move the row. */
  function actionCell(a) {
    var td = el("td");
    var menu = el("select", "wb-action");
    menu.setAttribute("aria-label", t("wallboard.actions_for", { name: a.name || a.interface }));
    testid(menu, "wb-agent-action");
    menu.appendChild(option("", t("wallboard.action_choose")));
    var paused = a.state === "paused" || a.state === "wrap_up";
    if (paused) menu.appendChild(option("unpause", t("agent.unpause")));
    else reasons.forEach(function (r) { menu.appendChild(option("pause:" + r, t("wallboard.pause_for", { reason: reasonText(r) }))); });
    a.queues.forEach(function (q) { menu.appendChild(option("logout:" + q, t("wallboard.logout_of", { queue: q }))); });
    menu.addEventListener("change", function () {
      var v = menu.value, i = v.indexOf(":");
      if (!v) return;
      var action = i < 0 ? v : v.slice(0, i), arg = i < 0 ? "" : v.slice(i + 1);
      var fields = { interface: a.interface };
      if (action === "pause") fields.reason = arg;
      if (action === "logout") fields.queue = arg;
      actionStatus.textContent = t("agent.sending");
      postForm("/agents/" + action, fields, csrf).then(function (r) {
        actionStatus.textContent = r.data.message || (r.status === 200 ? "" : failure(t, r.status));
        actionStatus.classList.toggle("form-ok", r.status === 200);
      });
      menu.value = "";
    });
    td.appendChild(menu);
    return td;
  }

  function option(value, text) {
    var o = el("option", "", text);
    o.value = value;
    return o;
  }

  function reasonText(reason) {
    var key = "pause.reason." + reason;
    var text = t(key);
    return text === key ? reason : text;
  }

  function callCell(c) {
    var td = el("td", "small");
    if (!c) return td;
    td.appendChild(el("span", "mono", c.caller_num || t("wallboard.anonymous")));
    if (c.caller_name) td.appendChild(el("span", "muted", " " + c.caller_name));
    return td;
  }

  /* Rows are replaced one by one, in place: a supervisor's open menu on one agent survives the others'
   * updates (its own row waits until the menu loses focus). */
  var rowsByAgent = {};
  function drawAgents(changed) {
    var names = Object.keys(state.agents);
    var keys = changed || names;
    var added = !changed;
    keys.forEach(function (k) {
      var old = rowsByAgent[k];
      if (!state.agents[k]) {
        if (old) { old.remove(); delete rowsByAgent[k]; }
        return;
      }
      var row = agentRow(state.agents[k]);
      if (old && old.contains(document.activeElement)) {
        old.setAttribute("data-stale", "1");
        document.activeElement.addEventListener("blur", function () { drawAgents([k]); }, { once: true });
        return;
      }
      if (old) old.replaceWith(row); else { agentsBody.appendChild(row); added = true; }
      rowsByAgent[k] = row;
    });
    Object.keys(rowsByAgent).forEach(function (k) {
      if (!state.agents[k]) { rowsByAgent[k].remove(); delete rowsByAgent[k]; }
    });
    if (added) sortAgents();
    root.querySelector("[data-wb-count=agents]").textContent = t("wallboard.count", { n: names.length });
  }

  function sortAgents() {
    var rows = Object.keys(rowsByAgent).map(function (k) { return rowsByAgent[k]; });
    var label = function (tr) { var a = state.agents[tr.getAttribute("data-interface")]; return a ? a.name || a.interface : ""; };
    rows.sort(function (x, y) { return label(x).localeCompare(label(y), lang); });
    var inOrder = rows.every(function (tr, i) { return agentsBody.children[i] === tr; });
    if (!inOrder && !agentsBody.contains(document.activeElement)) rows.forEach(function (tr) { agentsBody.appendChild(tr); });
  }

  function drawCalls() {
    callsBody.textContent = "";
    state.calls.list.forEach(function (c) {
      var tr = el("tr", c.answered_at == null ? "wb-call-waiting" : "wb-call-talking");
      testid(tr, "wb-call");
      tr.setAttribute("data-call", c.id);
      tr.appendChild(callCell(c));
      tr.appendChild(el("td", "small", c.queue || "—"));
      var waited = el("td", "mono wb-count", c.answered_at == null ? clock(now() - c.since) : secs(c.wait));
      if (c.answered_at == null) waited.setAttribute("data-since", String(c.since));
      tr.appendChild(waited);
      var talk = el("td", "mono wb-count", c.answered_at == null ? "—" : clock(now() - c.answered_at));
      if (c.answered_at != null) talk.setAttribute("data-since", String(c.answered_at));
      tr.appendChild(talk);
      var agent = state.agents[c.agent];
      tr.appendChild(el("td", "small", c.agent ? (agent && agent.name) || c.agent : "—"));
      callsBody.appendChild(tr);
    });
    var more = state.calls.total > state.calls.list.length ? " " + t("wallboard.more", { n: state.calls.total - state.calls.list.length }) : "";
    root.querySelector("[data-wb-count=calls]").textContent = t("wallboard.count", { n: state.calls.total }) + more;
  }

  function drawHotline() {
    var h = state.hotline;
    Array.prototype.forEach.call(root.querySelectorAll("[data-hotline]"), function (e) {
      var k = e.getAttribute("data-hotline");
      var v = h[k];
      e.textContent = v == null ? "—" : k === "csat" ? pct(v) : String(v);
    });
    setChip("callbacks", h.callbacks_overdue ? "bad" : h.callbacks_due ? "warn" : "ok");
    setChip("at_risk", h.tickets_at_risk ? "warn" : "ok");
    setChip("breached", h.tickets_breached ? "bad" : "ok");
    setChip("escalations", h.escalations ? "bad" : "ok");
    setChip("csat", h.csat == null ? "none" : h.csat < 0.7 ? "bad" : h.csat < 0.85 ? "warn" : "ok");
  }

  function setChip(name, g) {
    var chip = root.querySelector("[data-chip=" + name + "]");
    if (chip) chip.className = "wb-chip grade-" + g;
  }

  /* -- the channel ---------------------------------------------------------------------------------- */

  function merge(into, changes) {
    Object.keys(changes || {}).forEach(function (k) {
      if (changes[k] == null) delete into[k]; else into[k] = changes[k];
    });
  }

  function apply(type, data) {
    if (data.now != null) state.skew = Date.now() / 1000 - data.now;
    if (type === "snapshot") {
      state.queues = data.queues || {};
      state.agents = data.agents || {};
      agentsBody.textContent = "";
      rowsByAgent = {};
      state.calls = data.calls || { total: 0, list: [] };
      state.hotline = data.hotline || {};
      drawQueues(); drawAgents(); drawCalls(); drawHotline();
      return;
    }
    if (type !== "update") return;
    if (data.queues && Object.keys(data.queues).length) { merge(state.queues, data.queues); drawQueues(); }
    if (data.agents && Object.keys(data.agents).length) { merge(state.agents, data.agents); drawAgents(Object.keys(data.agents)); }
    if (data.calls) { state.calls = data.calls; drawCalls(); }
    if (data.hotline) { state.hotline = data.hotline; drawHotline(); }
  }

  function setLink(s) {
    link.setAttribute("data-state", s);
    link.querySelector("[data-link-text]").textContent = t("wallboard.link." + s);
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    var ws = new WebSocket(proto + "//" + location.host + root.getAttribute("data-ws"));
    ws.onopen = function () { delay = 500; setLink("live"); };
    ws.onmessage = function (ev) {
      var msg = parseJSON(ev.data, null);
      if (msg) apply(msg.type, msg.data || {});
    };
    ws.onclose = function (ev) {
      if (ev.code === 4401) { location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search); return; }
      setLink("lost");
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    };
  }

  /* The waits and times in state count up by themselves. */
  setInterval(function () {
    Array.prototype.forEach.call(root.querySelectorAll("[data-since]"), function (e) {
      var value = now() - Number(e.getAttribute("data-since"));
      var target = e.querySelector(".wb-bigfig-value") || e;
      target.textContent = clock(value);
      var limits = parseJSON(e.getAttribute("data-limits"), null);
      if (limits) e.className = e.className.replace(/grade-\w+/, "grade-" + grade(value, limits));
    });
  }, 1000);

  connect();
}
