/* The engineer's work list, kept honest while it is open: a push channel (/ws) of its own, and when a
 * ``ticket`` message says one of the engineer's tickets changed (a job assigned, moved, reviewed), a
 * notice at the top of the list with a button that loads it again. The page is not reloaded by
 * itself: the engineer may be typing a completion report. Texts come from data-* attributes of the
 * notice's place (#work-live), already translated by the server.
 */
(function () {
  "use strict";
  var place = document.getElementById("work-live");
  if (!place || !window.WebSocket) return;
  var attempts = 0, ws = null, notice = null;

  function show() {
    if (notice) return;
    notice = document.createElement("div");
    notice.className = "notice notice-ok work-updated";
    notice.setAttribute("role", "status");
    notice.setAttribute("data-testid", "work-updated");
    var text = document.createElement("span");
    text.textContent = place.getAttribute("data-updated") || "";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-small btn-primary";
    button.setAttribute("data-testid", "work-reload");
    button.textContent = place.getAttribute("data-reload") || "";
    button.addEventListener("click", function () { location.reload(); });
    notice.appendChild(text);
    notice.appendChild(button);
    place.appendChild(notice);
  }

  function connect() {
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    ws.onopen = function () { attempts = 0; };
    ws.onmessage = function (ev) {
      var m = null;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m && m.type === "ticket") show();
    };
    ws.onclose = function (ev) {
      ws = null;
      if (ev.code === 4401) { location.href = "/login?next=%2Fwork"; return; }
      attempts = Math.min(attempts + 1, 8);
      setTimeout(connect, Math.min(15000, 500 * Math.pow(2, attempts)));
    };
  }

  connect();
})();
