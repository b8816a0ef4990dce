/* Live numbers on a page: a campaign's counters (every 2 s) and an import's progress (every second).
 *
 * An element with data-live-url is polled for JSON (the same names the page was rendered with) and every
 * element inside it named by data-field="a.b" gets that value with textContent; <progress> elements
 * take their value and max from data-value / data-max; the ratings' SVG bars (rect[data-bar]) are sized
 * against the largest count. The server decides what the numbers are: several service processes may
 * dial for one campaign, and the database is where they meet. Polling stops while the tab is hidden.
 *   data-live-state         the campaign's state when rendered: another state shows data-live-changed
 *   data-live-unknown       the contacts to decide when rendered: more shows data-live-changed too
 *   data-live-reload-after  reload the page once the JSON's state is no longer this (an import ended)
 */

var roots = document.querySelectorAll("[data-live-url]");
Array.prototype.forEach.call(roots, follow);

function follow(root) {
  var url = root.getAttribute("data-live-url");
  var every = Math.max(500, parseInt(root.getAttribute("data-live-every"), 10) || 2000);
  var status = root.querySelector("[data-live-status]");
  var timer = null;
  var busy = false;

  function value(data, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, data);
  }

  function apply(data) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-field]"), function (e) {
      var v = value(data, e.getAttribute("data-field"));
      if (v != null && typeof v !== "object") e.textContent = String(v);
    });
    Array.prototype.forEach.call(root.querySelectorAll("progress[data-value]"), function (p) {
      p.max = Math.max(1, Number(value(data, p.getAttribute("data-max"))) || 0);
      p.value = Number(value(data, p.getAttribute("data-value"))) || 0;
    });
    Array.prototype.forEach.call(root.querySelectorAll("svg[data-width]"), function (svg) {
      var width = Number(svg.getAttribute("data-width")) || 0;
      var top = Number(data.top) || 0;
      Array.prototype.forEach.call(svg.querySelectorAll("rect[data-bar]"), function (bar) {
        var n = Number(value(data, "ratings." + bar.getAttribute("data-bar"))) || 0;
        bar.setAttribute("width", top ? String(Math.round(width * n / top * 10) / 10) : "0");
      });
    });
    var changed = root.querySelector("[data-live-changed]");
    if (changed) {
      var state = root.getAttribute("data-live-state");
      var unknown = Number(root.getAttribute("data-live-unknown")) || 0;
      changed.hidden = !((state && data.state && data.state !== state) || value(data, "states.unknown") > unknown);
    }
    var after = root.getAttribute("data-live-reload-after");
    if (after && data.state && data.state !== after) {
      window.location.reload();
      return false;
    }
    return true;
  }

  function stale(yes) {
    if (status) status.classList.toggle("is-stale", yes);
  }

  function tick() {
    timer = null;
    if (busy || document.hidden) return;
    busy = true;
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (r.status === 401) { window.location.href = "/login?next=" + encodeURIComponent(location.pathname); return null; }
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      })
      .then(function (data) {
        busy = false;
        if (!data) return;
        stale(false);
        if (apply(data)) schedule();
      })
      .catch(function () { busy = false; stale(true); schedule(); });
  }

  function schedule() {
    if (timer === null && !document.hidden) timer = window.setTimeout(tick, every);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      if (timer !== null) { window.clearTimeout(timer); timer = null; }
    } else {
      tick();
    }
  });
  schedule();
}
