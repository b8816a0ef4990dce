"""Customer pages: search, detail (card + call history), new-customer form (HTML and JSON)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from aiohttp import web

from cti.calls import queries as calls
from cti.customers import service as customers
from cti.http import i18n, keys
from cti.http.auth import STAFF, allow
from cti.http.console import agent_names
from cti.http.i18n import phone_display
from cti.http.templating import LANG_KEY, USER_KEY, render
from cti.http.ticket_pages import lines as ticket_lines
from cti.tickets import queries as tickets

HISTORY = 50
SEARCH_LIMIT = 50
_PHONE_SPLIT = re.compile(r"[;；,，\r\n]+")
FIELDS = ("name", "phones", "tier", "city", "address", "notes")
LIMITS = {"name": 200, "phones": 2000, "tier": 20, "city": 100, "address": 300, "notes": 4000}


def today(request: web.Request) -> dt.date:
    return dt.datetime.now(request.app[keys.SETTINGS].zone).date()


NO_TICKETS = {"open": [], "open_count": 0, "reopenable": []}  # a customer just created has none


@allow(STAFF)
async def search(request: web.Request) -> web.StreamResponse:
    q = request.query.get("q", "").strip()[:100]
    found: list[dict[str, Any]] = []
    too_short = q.replace(" ", "").isdigit() and len(q.replace(" ", "")) < 4  # partial numbers: 4+ digits
    if q and not too_short:
        settings = request.app[keys.SETTINGS]
        async with request.app[keys.DB].session() as s:
            rows = await customers.search(s, q, region=settings.default_region, limit=SEARCH_LIMIT)
        found = [customers.card(c, today=today(request)) for c in rows]
    context = {"q": q, "found": found, "too_short": too_short, "limit": SEARCH_LIMIT, "nav": "customers"}
    return await render(request, "customers.html", context)


@allow(STAFF)
async def detail(request: web.Request) -> web.StreamResponse:
    try:
        customer_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    settings = request.app[keys.SETTINGS]
    async with request.app[keys.DB].session() as s:
        customer = await customers.get(s, customer_id)
        if customer is None:
            raise web.HTTPNotFound()
        history, total = await calls.page(s, calls.CallFilter(customer_id=customer_id), limit=HISTORY)
    own, linked = await request.app[keys.DB].read(_tickets, customer_id, [x.call_id for x in history])
    return await render(request, "customer.html", {
        "c": customers.card(customer, today=today(request)),
        "tickets": ticket_lines(own, {}, request),
        "history": [dict(calls.brief(x, settings.zone), wait=x.wait_seconds, tickets=linked.get(x.call_id, []),
                         caller=phone_display(x.caller_e164, x.caller_raw, region=settings.default_region))
                    for x in history],
        "history_total": total,
        "agents": await agent_names(request),
        "nav": "customers",
    })


def _tickets(session, customer_id: int, call_ids: list[str]) -> tuple[list[dict[str, Any]], dict[str, list]]:
    """One read: the customer's tickets, and the tickets each call of the history is linked to."""
    return tickets.by_customer(session, customer_id), tickets.tickets_of_calls(session, call_ids)


@allow(STAFF)
async def new_form(request: web.Request) -> web.StreamResponse:
    values = {f: request.query.get(f, "")[: LIMITS[f]] for f in FIELDS}
    values["tier"] = values["tier"] if values["tier"] in customers.TIERS else "standard"
    return await render(request, "customer_new.html", _form_context(values, {}))


@allow(STAFF)
async def create(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {f: str(form.get(f, ""))[: LIMITS[f]] for f in FIELDS}
    lang = request[LANG_KEY]
    wants_json = "application/json" in request.headers.get("Accept", "")
    new = _parse(request, values)
    bad_phones = [info.raw for info in new.phones if not info.e164]
    errors: dict[str, str] = {}
    if bad_phones:  # name every bad number at once, not only the first
        errors["phones"] = i18n.translate(lang, "customer.error.invalid_phone", value="; ".join(bad_phones))
    try:
        customers.validate(dataclasses.replace(new, phones=[p for p in new.phones if p.e164]))
    except customers.CustomerError as exc:
        errors.setdefault(exc.field, i18n.translate(lang, f"customer.error.{exc.code}"))
    customer = None
    if not errors:
        try:
            async with request.app[keys.DB].session() as s:
                created = await customers.create(s, new, actor=request[USER_KEY].username)
                customer = await customers.get(s, created.id)
        except customers.CustomerError as exc:  # the domain has the last word
            errors[exc.field] = i18n.translate(lang, f"customer.error.{exc.code}", value="")
    if errors or customer is None:
        if wants_json:
            return web.json_response({"errors": errors}, status=422)
        return await render(request, "customer_new.html", _form_context(values, errors), status=422)
    if wants_json:
        new_card = customers.card(customer, today=today(request)) | {"tickets": NO_TICKETS}  # as a pop's card
        return web.json_response({"customer": new_card}, status=201)
    raise web.HTTPSeeOther(f"/customers/{customer.id}")


def _parse(request: web.Request, values: dict[str, str]) -> customers.NewCustomer:
    normalise = request.app[keys.SERVICE].normalise
    raws = [p.strip() for p in _PHONE_SPLIT.split(values["phones"]) if p.strip()]
    return customers.NewCustomer(
        name=values["name"],
        phones=[normalise(raw) for raw in raws],
        tier=values["tier"] or "standard",
        notes=values["notes"].strip(),
        city=values["city"].strip(),
        address=values["address"].strip(),
    )


def _form_context(values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {"values": values, "errors": errors, "tiers": customers.TIERS, "nav": "customers"}
