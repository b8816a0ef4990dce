"""Scheduling a callback (``/callbacks/new``): from the pop, a ticket page or a row of the call log.

The console's dialog (web/static/js/callback-dialog.js) posts the same form as the page and gets JSON
back; without script the trigger is a link to the page. The number comes prefilled (any written form,
normalised like a caller ID), the customer, ticket and call are linked when known, and the time is the
hotline's (``CTI_TIMEZONE``): in 30 minutes, in 2 hours, tomorrow at 10:00, or a date and time typed.
"Only me" (the default) keeps the callback the scheduling agent's until 30 minutes after its time.
The campaigns domain has the last word (:func:`cti.campaigns.callbacks.schedule`): a refusal is said
next to its field, and nothing is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.campaigns import callbacks
from cti.campaigns.callbacks import CallbackError
from cti.customers.models import Customer
from cti.http import keys
from cti.http.auth import STAFF, allow
from cti.http.callback_support import agent_of, error_text, now, tr, zone
from cti.http.dispatch_support import flash
from cti.http.i18n import local_time
from cti.http.templating import render
from cti.http.ticket_forms import CALL_ID, wants_json

FIELDS = ("number", "customer", "ticket", "call", "name", "quick", "at", "owner_only", "reason")
QUICK = ("30m", "2h", "tomorrow", "at")
TOMORROW_AT = dt.time(10, 0)
ERROR_FIELDS = {"no_number": "number", "in_the_past": "at", "too_far": "at", "bad_time": "at",
                "reason_too_long": "reason"}  # the rest are about the whole form


def moment(quick: str, typed: str, now: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """When the form says to call: a quick choice, or ``YYYY-MM-DDTHH:MM`` on the hotline's clock; aware UTC.

    >>> import zoneinfo
    >>> sh, now = zoneinfo.ZoneInfo("Asia/Shanghai"), dt.datetime(2026, 12, 1, 15, 20, tzinfo=dt.UTC)  # 23:20 there
    >>> [moment(q, "", now, sh).astimezone(sh).strftime("%m-%d %H:%M") for q in ("30m", "2h", "tomorrow")]
    ['12-01 23:50', '12-02 01:20', '12-02 10:00']
    >>> moment("at", "2026-12-03T09:15", now, sh).isoformat()
    '2026-12-03T01:15:00+00:00'
    """
    if quick == "30m":
        return now + dt.timedelta(minutes=30)
    if quick == "2h":
        return now + dt.timedelta(hours=2)
    if quick == "tomorrow":
        day = now.astimezone(zone).date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, TOMORROW_AT, zone).astimezone(dt.UTC)
    try:
        typed_at = dt.datetime.fromisoformat(typed.strip())
    except ValueError:
        raise CallbackError("bad_time") from None
    if typed_at.tzinfo is not None or len(typed.strip()) < 16:
        raise CallbackError("bad_time")
    return typed_at.replace(tzinfo=zone).astimezone(dt.UTC)


def _id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


@dataclass
class Form:
    """The form as typed (to show again) and as the domain takes it."""

    values: dict[str, str]
    e164: str | None = None
    at: dt.datetime | None = None
    errors: dict[str, str] = field(default_factory=dict)


def values_of(source: Mapping[str, Any], *, posted: bool) -> dict[str, str]:
    """The form's fields as typed; "only me" is on unless a posted form left it off."""
    values = {f: str(source.get(f, "")).strip()[:1000] for f in FIELDS}
    values["quick"] = values["quick"] if values["quick"] in QUICK else "30m"
    values["owner_only"] = "1" if values["owner_only"] in ("1", "on", "true") or not posted else ""
    return values


async def _read(request: web.Request, values: dict[str, str]) -> Form:
    """The form checked as far as the page can (the number, the time, the call's id). A service short number
    (95588, 10086) is nobody to call back."""
    out = Form(values)
    info = request.app[keys.SERVICE].normalise(values["number"]) if values["number"] else None
    out.e164 = info.e164 if info is not None and info.kind != "short" else None
    try:
        out.at = moment(values["quick"], values["at"], now(request), zone(request))
    except CallbackError as refused:
        out.errors["at"] = error_text(request, refused)
    if values["call"] and not CALL_ID.match(values["call"]):
        out.errors["form"] = error_text(request, CallbackError("bad_call"))
    return out


def _schedule(session: Session, agent: callbacks.Agent, form: Form, now: dt.datetime, language: str) -> int:
    """For ``Database.write``: the callback, named after its customer when it has one."""
    values = form.values
    customer_id = _id(values["customer"])
    name = session.scalar(select(Customer.name).where(Customer.id == customer_id)) if customer_id else None
    assert form.at is not None
    return callbacks.schedule(session, agent, e164=form.e164, at=form.at, owner_only=bool(values["owner_only"]),
                              reason=values["reason"], now=now, name=name or values["name"], customer_id=customer_id,
                              ticket_id=_id(values["ticket"]), call_id=values["call"], language=language)


@allow(STAFF)
async def new_form(request: web.Request) -> web.StreamResponse:
    """``/callbacks/new?number=&customer=&ticket=&call=&name=``: the form, prefilled (without script)."""
    return await _page(request, values_of(request.query, posted=False), {})


async def _page(request: web.Request, values: dict[str, str], errors: dict[str, str], status: int = 200) -> web.Response:
    return await render(request, "callback_new.html", {"values": values, "errors": errors, "nav": "callbacks",
                                                       "zone_name": request.app[keys.SETTINGS].timezone},
                        status=status)


@allow(STAFF)
async def create(request: web.Request) -> web.StreamResponse:
    """Schedule it: 303 to the list (201 with what was scheduled for the dialog), or the form again with
    what is wrong (422) and nothing saved."""
    form = await _read(request, values_of(await request.post(), posted=True))
    contact_id = None
    if not form.errors:
        settings, agent, when = request.app[keys.SETTINGS], agent_of(request), now(request)
        try:
            contact_id = await request.app[keys.DB].write(_schedule, agent, form, when, settings.language)
        except CallbackError as refused:
            form.errors[ERROR_FIELDS.get(refused.code, "form")] = error_text(request, refused)
    if contact_id is None:
        if wants_json(request):
            return web.json_response({"errors": form.errors}, status=422)
        return await _page(request, form.values, form.errors, status=422)
    at = local_time(form.at, zone(request), "%m-%d %H:%M")
    if wants_json(request):
        return web.json_response({"callback": {"id": contact_id, "at": at, "message": tr(
            request, "callback.done.scheduled", at=at, number=form.values["number"])}}, status=201)
    await flash(request, "callback.done.scheduled", at=at, number=form.values["number"])
    raise web.HTTPSeeOther("/callbacks")
