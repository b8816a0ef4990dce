/* Every page: "/" focuses the search box; logging out forgets the console's stored pops. */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "/" || ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) return;
    var search = document.getElementById("search");
    if (search) {
      ev.preventDefault();
      search.focus();
      search.select();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var logout = document.getElementById("logout-form");
    if (logout) {
      logout.addEventListener("submit", function () {
        try { window.sessionStorage.removeItem("cti.console"); } catch (e) { /* storage disabled */ }
      });
    }
  });
})();
