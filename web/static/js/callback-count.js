/* The header's "回拨 N / Callbacks N" on every page of the hotline's people: the callbacks due for this
 * user now (and, beside them, the follow-ups given to them), read from /callbacks/count every 20 s while
 * the tab is visible, at once when it becomes visible again, and when this page scheduled, called,
 * closed or answered one ("cti:callbacks-changed"). Polling the database, not the push channel: several
 * service processes may serve one hotline, and a callback falls due by the clock, not by an event.
 *
 * Nothing due: the number is hidden, the link stays (upcoming callbacks are there too). A failed read
 * keeps the last number; a logged-out session stops asking.
 */

var EVERY_MS = 20000;
var link = document.querySelector("[data-callbacks-count]");

if (link) {
  var url = link.getAttribute("data-callbacks-count");
  var due = link.querySelector("[data-count=due]");
  var followups = link.querySelector("[data-count=followups]");
  var timer = null, busy = false, again = false, stopped = false;

  var show = function (slot, n) {
    if (!slot) return;
    slot.textContent = n > 0 ? String(n) : "";
    slot.hidden = !(n > 0);
  };

  var apply = function (data) {
    var n = Number(data.due) || 0, m = Number(data.followups) || 0;
    show(due, n);
    show(followups, m);
    link.classList.toggle("has-due", n > 0);
    link.setAttribute("data-due", String(n));
    var title = (link.getAttribute("data-title") || "").replace("{n}", String(n)).replace("{m}", String(m));
    link.title = title;
    if (n > 0 || m > 0) link.setAttribute("aria-label", title); // not "回拨21": the numbers in words
    else link.removeAttribute("aria-label");
  };

  var refresh = function () {
    clearTimeout(timer);
    timer = null;
    if (stopped) return;
    if (busy) { again = true; return; } // asked while a read is out: read again as soon as it is back
    if (document.hidden) { schedule(); return; }
    busy = true;
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { stopped = true; return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (data) { if (data) apply(data); })
      .catch(function () { /* offline: the last number stays */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); } else schedule();
      });
  };

  var schedule = function () {
    if (!stopped && timer === null) timer = setTimeout(refresh, EVERY_MS);
  };

  document.addEventListener("visibilitychange", function () { if (!document.hidden) refresh(); });
  document.addEventListener("cti:callbacks-changed", refresh);
  refresh();
}
