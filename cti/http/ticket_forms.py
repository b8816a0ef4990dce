"""The new-ticket form (``/tickets/new``): the page, its POST (HTML or JSON for the console's dialog),
and the tickets domain's refusals said in the user's language.

A ticket is opened for a customer, optionally from a call (the call is linked) and for one of the
customer's products (the warranty is decided from it when saving; the form shows it before). When
the customer has products the agent picks one or says "no particular product": a warranty that
decides whether the repair is free must not be left to a default.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from cti.customers import service as customers
from cti.http import i18n, keys
from cti.http.auth import STAFF, allow
from cti.http.customer_pages import today
from cti.http.templating import LANG_KEY, USER_KEY, error_page, render
from cti.tickets import queries, service, workflow
from cti.tickets.service import Actor, NewTicket, TicketError

log = logging.getLogger(__name__)
CALL_ID = re.compile(r"^[\w.\-]{1,64}$")  # the PBX's Linkedid, e.g. 1764554400.17
NO_PRODUCT = "none"
SUPERVISORS = service.SUPERVISORS
FIELDS = ("customer", "call", "product", "type", "mode", "priority", "description", "claim_unit", "move_from")
MAX_INPUT = 2 * service.MAX_DESCRIPTION  # longer than allowed is said ("too long"), far longer is cut
ERROR_FIELDS = {  # a domain refusal -> the field it is about
    "unknown_customer": "customer", "unknown_product": "product", "choose_product": "product",
    "unknown_type": "type", "mode_needed": "mode", "unknown_priority": "priority", "too_long": "description",
    "claim_unit_role": "claim_unit", "bad_call": "call",
}  # fmt: skip


def actor_of(request: web.Request) -> Actor:
    user = request[USER_KEY]
    return Actor(user.username, user.role, user.id)


def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def error_message(lang: str, exc: TicketError, action: str = "") -> str:
    """A refusal of the tickets domain as a sentence: ``ticket.refused.*`` names states and actions in
    the user's words, ``ticket.error.*`` the rest (with its limit or days)."""
    params = dict(exc.params)
    if exc.code.startswith("refused."):
        for name in ("state", "target"):
            if params.get(name):
                params[name] = i18n.translate(lang, f"ticket.state.{params[name]}")
        params["action"] = i18n.translate(lang, f"ticket.action.{action}") if action else ""
        return i18n.translate(lang, f"ticket.{exc.code}", **params)
    return i18n.translate(lang, f"ticket.error.{exc.code}", **params)


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


@dataclass
class Parsed:
    """The form as typed (to show it again) and what is wrong with it, per field."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    new: NewTicket | None = None
    move_from: int | None = None


def read_form(form: Mapping[str, Any], lang: str, role: str, product_ids: set[int] | None) -> Parsed:
    """Check the form as far as the page can (every field at once); the domain has the last word.

    ``product_ids``: the customer's products (None when the customer is unknown).
    """
    values = {f: str(form.get(f, ""))[:MAX_INPUT] for f in FIELDS}
    values["claim_unit"] = "1" if values["claim_unit"] in ("1", "on", "true") else ""
    out = Parsed(values)

    def refuse(code: str, **params: Any) -> None:
        out.errors.setdefault(ERROR_FIELDS[code], error_message(lang, TicketError(code, **params)))

    customer_id = _int(values["customer"])
    if customer_id is None or product_ids is None:
        refuse("unknown_customer")
    call_id = values["call"].strip()
    if call_id and not CALL_ID.match(call_id):
        refuse("bad_call")
    product = values["product"].strip()
    product_id = _int(product)
    if product == "" and product_ids:
        refuse("choose_product")
    elif product not in ("", NO_PRODUCT) and product_id not in (product_ids or set()):
        refuse("unknown_product")
    kind, mode, priority = values["type"], values["mode"], values["priority"]
    if kind not in workflow.SERVICE_TYPES:
        refuse("unknown_type", value=kind)
    if kind == "repair" and mode not in workflow.SERVICE_MODES:
        refuse("mode_needed")
    if priority not in workflow.PRIORITIES:
        refuse("unknown_priority", value=priority)
    if len(values["description"].strip()) > service.MAX_DESCRIPTION:
        refuse("too_long", limit=service.MAX_DESCRIPTION)
    if values["claim_unit"] and role not in SUPERVISORS:
        refuse("claim_unit_role")
    out.move_from = _int(values["move_from"])
    if not out.errors and customer_id is not None:
        out.new = NewTicket(
            customer_id=customer_id, service_type=kind, service_mode=mode if kind == "repair" else None,
            priority=priority, product_id=product_id, description=values["description"],
            call_id=call_id or None, claim_unit=bool(values["claim_unit"]),
        )
    return out


def product_options(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The customer's products as the form offers them, with the warranty a ticket would get today."""
    return [{"id": p["id"], "model": p["model"], "serial": p["serial"], "ends": p["warranty_ends"],
             "warranty": "in" if p["warranty_days_left"] >= 0 else "out"} for p in card["products"]]


async def _customer_card(request: web.Request, customer_id: int | None) -> dict[str, Any] | None:
    if customer_id is None:
        return None
    async with request.app[keys.DB].session() as s:
        customer = await customers.get(s, customer_id)
    return customers.card(customer, today=today(request)) if customer is not None else None


def _context(card: dict[str, Any], values: dict[str, str], errors: dict[str, str], role: str) -> dict[str, Any]:
    return {
        "c": card, "values": values, "errors": errors, "products": product_options(card),
        "types": workflow.SERVICE_TYPES, "modes": workflow.SERVICE_MODES, "priorities": workflow.PRIORITIES,
        "may_claim": role in SUPERVISORS, "nav": "tickets",
    }


@allow(STAFF)
async def new_form(request: web.Request) -> web.StreamResponse:
    """``/tickets/new?customer=ID[&call=CALLID]``: the form, for that customer."""
    card = await _customer_card(request, _int(request.query.get("customer", "")))
    if card is None:
        raise web.HTTPNotFound()
    call_id = request.query.get("call", "").strip()
    values = dict.fromkeys(FIELDS, "") | {
        "customer": str(card["id"]), "call": call_id if CALL_ID.match(call_id) else "", "type": "repair",
        "priority": "normal", "move_from": str(_int(request.query.get("move_from", "")) or ""),
    }
    if len(card["products"]) == 1:  # one product: it is the one (its warranty is shown all the same)
        values["product"] = str(card["products"][0]["id"])
    elif not card["products"]:
        values["product"] = NO_PRODUCT
    return await render(request, "ticket_new.html", _context(card, values, {}, request[USER_KEY].role))


@allow(STAFF)
async def create(request: web.Request) -> web.StreamResponse:
    """Open the ticket: 303 to its page (201 with its line for the console), or the form again with
    what is wrong (422) and nothing saved."""
    form = await request.post()
    lang, role = request[LANG_KEY], request[USER_KEY].role
    card = await _customer_card(request, _int(str(form.get("customer", ""))))
    parsed = read_form(form, lang, role, {p["id"] for p in card["products"]} if card else None)
    ticket_id = None
    if parsed.new is not None:
        desk = request.app[keys.SERVICE].tickets
        try:
            ticket_id, _ = await desk.open(parsed.new, actor_of(request))
        except TicketError as exc:  # the domain has the last word
            parsed.errors[ERROR_FIELDS.get(exc.code, "form")] = error_message(lang, exc)
    if ticket_id is not None and parsed.move_from is not None and parsed.new.call_id:
        try:  # the call is about the new ticket, not the one it was linked to automatically
            await desk.link_call(ticket_id, parsed.new.call_id, actor_of(request), move_from=parsed.move_from)
        except TicketError as exc:  # the ticket is open and linked; only the old link stays
            log.warning("ticket %s: the call was not moved from ticket %s: %s", ticket_id, parsed.move_from, exc.code)
    if ticket_id is None:
        if wants_json(request):
            return web.json_response({"errors": parsed.errors}, status=422)
        if card is None:
            return await error_page(request, 422, "ticket.error.unknown_customer")
        return await render(request, "ticket_new.html", _context(card, parsed.values, parsed.errors, role), status=422)
    if wants_json(request):
        return web.json_response({"ticket": await ticket_brief(request, ticket_id)}, status=201)
    raise web.HTTPSeeOther(f"/tickets/{ticket_id}")


async def ticket_brief(request: web.Request, ticket_id: int) -> dict[str, Any] | None:
    """A ticket as a line of the pop (what the console shows after opening, linking or reopening it)."""
    return await request.app[keys.DB].read(queries.brief_of, ticket_id)
