/* The header's "待办 N / To do N": the user's work not done (/api/todo), read every 30 s while the tab is
 * visible and at once when it becomes visible again; on the console the "my work" card is redrawn from
 * the same answer. Values go in with textContent. A logged-out session stops asking. */
import { el } from "./dom.js";

var EVERY_MS = 30000;
var link = document.querySelector("[data-todo-count]");
if (link) start(link);

function start(link) {
  var url = link.getAttribute("data-todo-count");
  var total = link.querySelector("[data-todo-total]");
  var list = document.querySelector("[data-todo-list]");
  var none = document.querySelector("[data-todo-none]");
  var timer = null, stopped = false;

  function apply(data) {
    var n = Number(data.total) || 0;
    total.textContent = n > 0 ? String(n) : "";
    total.hidden = !(n > 0);
    link.classList.toggle("has-todo", (data.items || []).some(function (i) { return i.urgent; }));
    link.title = (link.getAttribute("data-title") || "").replace("{n}", String(n));
    if (!list) return;
    list.textContent = "";
    (data.items || []).forEach(function (item) {
      var li = el("li", item.urgent ? "todo-urgent" : "");
      li.setAttribute("data-todo", item.key);
      var a = el("a");
      a.href = item.href;
      a.appendChild(el("span", "", item.label));
      var b = el("b", "", String(item.count));
      b.setAttribute("data-testid", "todo-" + item.key);
      a.appendChild(b);
      li.appendChild(a);
      list.appendChild(li);
    });
    if (none) none.hidden = (data.items || []).length > 0;
  }

  function refresh() {
    clearTimeout(timer);
    if (stopped || document.hidden) return;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      if (r.status === 401 || r.status === 403) { stopped = true; return null; }
      return r.ok ? r.json() : null;
    }).then(function (data) { if (data) apply(data); }, function () { /* keep the last numbers */ })
      .then(function () { if (!stopped) timer = setTimeout(refresh, EVERY_MS); });
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  refresh();
}
