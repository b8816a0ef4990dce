/* The console's new-ticket dialog: opened from a pop (its button, T, or Alt+T), for the pop's
 * customer and call. The product's warranty (free or chargeable) shows as soon as it is chosen,
 * before anything is saved. It posts to /tickets/new (the page's form, answered in JSON): the
 * errors come back per field with the input kept; saved, the pop lists the ticket, linked.
 *
 * Keyboard: the first field has the focus; Tab between fields; Ctrl+Enter saves; Esc closes and
 * keeps what was typed for this call (reopening the dialog brings it back).
 */
import { el, testid } from "./dom.js";
import { failure, postForm } from "./http.js";

var SUPERVISORS = ["supervisor", "manager", "admin"];
var FIELDS = ["product", "type", "mode", "priority", "description"];

export function makeTicketDialog(options) {
  "use strict";
  var t = options.t, CSRF = options.csrf, ROLE = options.role || "", vocab = options.vocabulary || {};
  var dialog = null, current = null, returnTo = null;


  function option(select, value, label) {
    var o = el("option", null, label);
    o.value = value;
    select.appendChild(o);
    return o;
  }

  function warrantyOf(p) { return p.warranty_days_left >= 0 ? "in" : "out"; }

  function field(labelKey, input, name, required) {
    var lab = el("label", "field");
    lab.setAttribute("data-field", name);
    var span = el("span", "field-label", t(labelKey));
    if (required) span.appendChild(el("span", "req", " *"));
    lab.appendChild(span);
    input.name = name;
    lab.appendChild(input);
    var err = testid(el("span", "field-error"), "error-" + name);
    err.hidden = true;
    lab.appendChild(err);
    return lab;
  }

  function select(values, prefix, testName) {
    var s = testid(el("select"), testName);
    values.forEach(function (v) { option(s, v, t(prefix + v)); });
    return s;
  }

  function build() {
    dialog = testid(el("dialog", "dialog ticket-dialog"), "ticket-dialog");
    dialog.setAttribute("aria-labelledby", "ticket-dialog-title");
    dialog.addEventListener("close", function () {
      if (current) keepDraft();
      current = null;
      if (returnTo && document.body.contains(returnTo)) returnTo.focus();
    });
    document.body.appendChild(dialog);
  }

  function keepDraft() {
    var form = dialog.querySelector("form");
    if (!form || !current) return;
    var values = {};
    FIELDS.forEach(function (n) { if (form.elements[n]) values[n] = form.elements[n].value; });
    current.rec.ticketDraft = { customer: current.customer.id, values: values };
  }

  function productPicker(customer) {
    var products = (customer.products || []).filter(function (p) { return p.id != null; });
    var s = testid(el("select"), "product");
    if (products.length > 1) option(s, "", t("ticket.form.choose_product"));
    products.forEach(function (p) {
      var o = option(s, String(p.id), p.model + (p.serial ? " · " + p.serial : "") + " — " + t("ticket.warranty." + warrantyOf(p)));
      o.setAttribute("data-warranty", warrantyOf(p));
      o.setAttribute("data-ends", p.warranty_ends || "");
    });
    option(s, "none", t("ticket.form.no_product")).setAttribute("data-warranty", "none");
    if (products.length === 1) s.value = String(products[0].id);
    else if (!products.length) s.value = "none";
    return s;
  }

  function showWarranty(productSelect, badge) {
    var o = productSelect.options[productSelect.selectedIndex];
    var w = o ? o.getAttribute("data-warranty") : "";
    badge.hidden = w !== "in" && w !== "out";
    badge.className = "badge twarranty-" + (badge.hidden ? "none" : w);
    badge.textContent = badge.hidden ? "" : t("ticket.warranty." + w) + " · " + t("ticket.warranty_until", { date: o.getAttribute("data-ends") });
  }

  function buildForm(rec, customer, links) {
    var form = testid(el("form", "dialog-form"), "ticket-dialog-form");
    form.noValidate = true;
    var head = el("div", "dialog-head");
    var h = el("h2", null, t("ticket.form.title", { name: customer.name }));
    h.id = "ticket-dialog-title";
    head.appendChild(h);
    var close = testid(el("button", "pop-dismiss", "×"), "ticket-dialog-close");
    close.type = "button";
    close.title = t("ticket.form.close");
    close.setAttribute("aria-label", t("ticket.form.close"));
    close.addEventListener("click", function () { dialog.close(); });
    head.appendChild(close);
    form.appendChild(head);
    form.appendChild(el("p", "muted small", t("ticket.form.call", { call: rec.call_id })));

    var product = productPicker(customer);
    var badge = testid(el("span", "badge"), "dialog-warranty");
    badge.setAttribute("aria-live", "polite");
    var pick = field("tickets.product", product, "product", true);
    var row = el("div", "product-pick");
    pick.insertBefore(row, product);
    row.appendChild(product);
    row.appendChild(badge);
    pick.appendChild(el("span", "field-hint", t("ticket.form.warranty_hint")));
    form.appendChild(pick);
    product.addEventListener("change", function () { showWarranty(product, badge); });

    var type = select(vocab.types || [], "ticket.type.", "type");
    var mode = select([""].concat(vocab.modes || []), "ticket.mode.", "mode");
    mode.options[0].textContent = t("ticket.form.choose_mode");
    var priority = select(vocab.priorities || [], "ticket.priority.", "priority");
    priority.value = "normal";
    var fields = el("div", "field-row");
    fields.appendChild(field("tickets.type", type, "type"));
    var modeField = field("ticket.form.mode", mode, "mode", true);
    fields.appendChild(modeField);
    fields.appendChild(field("tickets.priority", priority, "priority"));
    form.appendChild(fields);
    type.addEventListener("change", function () { modeField.hidden = type.value !== "repair"; });

    var description = testid(el("textarea"), "description");
    description.rows = 4;
    description.placeholder = t("ticket.form.description_hint");
    form.appendChild(field("ticket.description", description, "description"));

    if (SUPERVISORS.indexOf(ROLE) >= 0) form.appendChild(checkbox("claim_unit", "1", t("ticket.form.claim_unit"), "claim-unit"));
    var err = testid(el("span", "field-error"), "error-claim_unit");
    err.hidden = true;
    form.appendChild(err);
    if (links.chosen != null) {
      var number = numberOf(rec, links.chosen);
      var move = checkbox("move_from", String(links.chosen), t("ticket.form.move", { number: number }), "move-call");
      move.querySelector("input").checked = true; // a new matter: the call is about the new ticket
      form.appendChild(move);
    }

    var status = testid(el("p", "form-status"), "ticket-dialog-status");
    status.setAttribute("role", "alert");
    form.appendChild(status);
    var actions = el("div", "actions");
    var save = testid(el("button", "btn btn-primary", t("ticket.form.save")), "ticket-save");
    save.type = "submit";
    actions.appendChild(save);
    var cancel = el("button", "btn btn-quiet", t("form.cancel"));
    cancel.type = "button";
    cancel.addEventListener("click", function () { dialog.close(); });
    actions.appendChild(cancel);
    var hint = el("span", "muted small");
    hint.appendChild(el("kbd", null, "Ctrl"));
    hint.appendChild(document.createTextNode("+"));
    hint.appendChild(el("kbd", null, "Enter"));
    hint.appendChild(document.createTextNode(" " + t("ticket.form.save_key")));
    actions.appendChild(hint);
    form.appendChild(actions);

    var draft = rec.ticketDraft && rec.ticketDraft.customer === customer.id ? rec.ticketDraft.values : null;
    if (draft) FIELDS.forEach(function (n) { if (draft[n] != null && form.elements[n]) form.elements[n].value = draft[n]; });
    modeField.hidden = type.value !== "repair";
    showWarranty(product, badge);

    form.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(save); }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      submit(rec, customer, form, save, status);
    });
    return form;
  }

  function checkbox(name, value, label, id) {
    var lab = testid(el("label", "check"), id);
    var box = el("input");
    box.type = "checkbox";
    box.name = name;
    box.value = value;
    lab.appendChild(box);
    lab.appendChild(document.createTextNode(" " + label));
    return lab;
  }

  function numberOf(rec, id) {
    var found = "#" + id;
    (rec.pop.customers || []).forEach(function (c) {
      ((c.tickets || {}).open || []).forEach(function (tk) { if (tk.id === id) found = tk.number; });
    });
    return found;
  }

  function submit(rec, customer, form, save, status) {
    var fields = { customer: customer.id, call: rec.call_id };
    FIELDS.forEach(function (n) { fields[n] = form.elements[n].value; });
    if (form.elements.claim_unit && form.elements.claim_unit.checked) fields.claim_unit = "1";
    var move = form.elements.move_from;
    if (move && move.checked) fields.move_from = move.value;
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (e) { e.hidden = true; e.textContent = ""; });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (e) { e.removeAttribute("aria-invalid"); });
    status.textContent = t("ticket.form.saving");
    save.disabled = true;
    postForm("/tickets/new", fields, CSRF).then(function (r) {
      save.disabled = false;
      if (r.status === 201 && r.data.ticket) {
        status.textContent = "";
        delete rec.ticketDraft;
        current = null;
        dialog.close();
        options.created(rec, customer, r.data.ticket, !!fields.move_from);
        return;
      }
      if (r.status === 422 && r.data.errors) {
        var first = null;
        Object.keys(r.data.errors).forEach(function (k) {
          var slot = form.querySelector('[data-testid="error-' + k + '"]');
          if (slot) { slot.textContent = r.data.errors[k]; slot.hidden = false; }
          if (form.elements[k] && form.elements[k].setAttribute) {
            form.elements[k].setAttribute("aria-invalid", "true");
            first = first || form.elements[k];
          }
        });
        status.textContent = t("form.has_errors") + (r.data.errors.customer || r.data.errors.call || r.data.errors.form ?
          " " + (r.data.errors.customer || r.data.errors.call || r.data.errors.form) : "");
        if (first) first.focus();
        return;
      }
      status.textContent = failure(t, r.status);
    }).catch(function () {
      save.disabled = false;
      status.textContent = t("pop.save_failed");
    });
  }

  /* Open the form for ``customer`` of the pop ``rec``; ``links``: what the call is linked to. */
  function open(rec, customer, links, from) {
    if (!dialog) build();
    if (dialog.open) dialog.close();
    returnTo = from || document.activeElement;
    current = { rec: rec, customer: customer };
    dialog.textContent = "";
    var form = buildForm(rec, customer, links || {});
    dialog.appendChild(form);
    dialog.showModal();
    var first = form.elements.product.value === "" ? form.elements.product : form.elements.type;
    first.focus();
  }

  function isOpen() { return !!(dialog && dialog.open); }

  return { open: open, isOpen: isOpen };
}
