/* The console's side of tickets: which form T and Alt+T open for a pop, and what the pop shows once
 * a ticket is opened from it. The form itself is ticket-dialog.js; the pop's list pop-tickets.js.
 *
 * ``o``: t, csrf, role, vocabulary (the dialog's choices), and the console's own pieces: cards()
 * (the pop cards), view(callId) (a pop's element), saveState(), rerender(rec) (a pop's body again).
 */
import { makeTicketDialog } from "./ticket-dialog.js";

export function makeConsoleTickets(o) {
  "use strict";
  var dialog = makeTicketDialog({
    t: o.t,
    csrf: o.csrf,
    role: o.role,
    vocabulary: o.vocabulary,
    created: function (rec, customer, ticket, moved) {
      o.cards().tickets.opened(rec, customer, ticket, moved);
      o.saveState();
      o.rerender(rec);
      var art = o.view(rec.call_id);
      if (art) art.focus();
    }
  });

  function openForm(rec, customer) {
    dialog.open(rec, customer, o.cards().tickets.links(rec), o.view(rec.call_id));
  }

  /* The new-ticket form for the pop's (selected) customer; an unknown caller is created first (the
   * quick-create form, then this form); a caller without a number is searched for with /. */
  function newTicket(rec) {
    var caller = rec.pop.caller || {}, list = rec.pop.customers || [];
    var art = o.view(rec.call_id);
    if (rec.collapsed && art) { rec.collapsed = false; o.cards().applyCollapsed(rec, art); }
    if (caller.anonymous) {
      var search = document.getElementById("search");
      if (search) search.focus();
      return;
    }
    if (!list.length) {
      rec.ticketNext = true;
      o.rerender(rec);
      var name = art && art.querySelector(".quick-form input[name=name]");
      if (name) name.focus();
      return;
    }
    openForm(rec, list[rec.selected || 0]);
  }

  /* A customer was created from the pop: "save and open a ticket" goes on to the form for them. */
  function customerCreated(rec) {
    if (!rec.ticketNext) return;
    delete rec.ticketNext;
    newTicket(rec);
  }

  return { newTicket: newTicket, openForm: openForm, customerCreated: customerCreated, isOpen: dialog.isOpen };
}
