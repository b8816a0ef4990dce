/* The agent's own bar on the console: state and time in it, pause with a reason, resume, queue
 * login/logout, today's figures. The buttons send the action to the PBX (POST /agents/…); the bar
 * changes when the PBX's events come back on the push channel ("agent" messages, and the snapshot's
 * "agent" after each connect), so a pause keyed on the phone itself shows here too.
 */
import { el, parseJSON, PUSH_EVENT, testid, translator } from "./dom.js";
import { failure, postForm } from "./http.js";

var bar = document.querySelector("[data-testid=agent-bar]");
var consoleRoot = document.getElementById("console");
if (bar && consoleRoot) start(bar, consoleRoot);

function start(bar, consoleRoot) {
  var t = translator(parseJSON(consoleRoot.getAttribute("data-i18n"), {}));
  var csrf = consoleRoot.getAttribute("data-csrf");
  var me = { agent: null, queues: [], reasons: [], skew: 0 };
  var stateEl = bar.querySelector("[data-agent-state]");
  var sinceEl = bar.querySelector("[data-agent-since]");
  var reasonEl = bar.querySelector("[data-agent-reason]");
  var select = bar.querySelector("[data-testid=pause-reason]");
  var pauseBtn = bar.querySelector("[data-testid=pause]");
  var resumeBtn = bar.querySelector("[data-testid=unpause]");
  var queuesEl = bar.querySelector("[data-testid=agent-queues]");
  var status = bar.querySelector("[data-agent-status]");

  function reasonText(r) {
    var key = "pause.reason." + r, text = t(key);
    return text === key ? r : text;
  }
  function clock(s) {
    s = Math.max(0, Math.floor(s));
    var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  function draw() {
    var a = me.agent;
    var st = a ? a.state : "logged_out";
    stateEl.className = "badge st-" + st;
    stateEl.textContent = t("agent.state." + st);
    bar.setAttribute("data-state", st);
    sinceEl.textContent = a ? clock(Date.now() / 1000 - me.skew - a.since) : "";
    var paused = a && (a.state === "paused" || a.state === "wrap_up" || (a.reason && a.state !== "available"));
    reasonEl.hidden = !(a && a.reason);
    reasonEl.textContent = a && a.reason ? reasonText(a.reason) : "";
    pauseBtn.hidden = !a || !!paused;
    select.hidden = pauseBtn.hidden;
    resumeBtn.hidden = !a || !paused;
    bar.querySelector("[data-agent-figure=answered]").textContent = a ? String(a.answered) : "0";
    bar.querySelector("[data-agent-figure=aht]").textContent = a && a.aht != null ? clock(a.aht) : "—";
    drawQueues();
  }

  function drawQueues() {
    var mine = me.agent ? me.agent.queues : [];
    var names = me.queues.slice();
    mine.forEach(function (q) { if (names.indexOf(q) < 0) names.push(q); });
    queuesEl.textContent = "";
    names.sort().forEach(function (q) {
      var inside = mine.indexOf(q) >= 0;
      var li = el("li", "agent-queue" + (inside ? " in" : ""));
      li.setAttribute("data-queue", q);
      li.appendChild(el("span", "agent-queue-name", q));
      var btn = el("button", "btn btn-small" + (inside ? "" : " btn-primary"), t(inside ? "agent.logout" : "agent.login"));
      btn.type = "button";
      testid(btn, inside ? "queue-logout" : "queue-login");
      btn.addEventListener("click", function () { send(inside ? "/agents/logout" : "/agents/login", { queue: q }); });
      li.appendChild(btn);
      queuesEl.appendChild(li);
    });
  }

  function send(url, fields) {
    status.textContent = t("agent.sending");
    postForm(url, fields, csrf).then(function (r) {
      status.textContent = r.data.message || (r.status === 200 ? "" : failure(t, r.status));
      status.classList.toggle("form-ok", r.status === 200);
    }, function () { status.textContent = t("agent.error.pbx_unavailable"); });
  }

  pauseBtn.addEventListener("click", function () { send("/agents/pause", { reason: select.value }); });
  resumeBtn.addEventListener("click", function () { send("/agents/unpause", {}); });

  document.addEventListener(PUSH_EVENT, function (ev) {
    var m = ev.detail;
    var data = m && (m.type === "agent" ? m.data : m.type === "snapshot" ? m.data.agent : null);
    if (!data) return;
    if (typeof data.now === "number") me.skew = Date.now() / 1000 - data.now;  // the server's clock, as it counts
    me.agent = data.agent;
    draw();
  });

  fetch("/api/agent", { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      if (!data) return;
      me.queues = data.queues || [];
      me.reasons = data.reasons || [];
      if (me.agent === null) me.agent = data.agent;
      select.textContent = "";
      me.reasons.forEach(function (r) {
        var o = el("option", "", reasonText(r));
        o.value = r;
        select.appendChild(o);
      });
      draw();
    });

  setInterval(function () {
    if (me.agent) sinceEl.textContent = clock(Date.now() / 1000 - me.skew - me.agent.since);
  }, 1000);
  draw();
}
