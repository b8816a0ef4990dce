"""``/callbacks``: an agent's callbacks — what is due now (overdue ones marked), their upcoming ones, and the
satisfaction follow-ups (回访) a supervisor gave them — and what can be done to one: call it now (the agent's
phone rings first, then the customer is dialled), mark it done (the customer was reached some other way),
cancel it. ``/callbacks/count`` is the console header's number, polled by every page.

Thin over :mod:`cti.campaigns.callbacks` and :mod:`cti.campaigns.surveys`. An action answers JSON to the
page's script (``Accept: application/json``), else says what happened on the list after a redirect.
Polling the database, not pushing: several service processes may serve one hotline, and a callback falls
due by the clock, not by an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.campaigns import callbacks, surveys
from cti.campaigns.callbacks import CallbackError
from cti.customers.models import Customer
from cti.http import keys
from cti.http.auth import STAFF, allow
from cti.http.callback_support import (
    ERROR_STATUS, agent_of, due_text, error_text, flash_text, is_supervisor, now, tr, why, zone,
)  # fmt: skip
from cti.http.dispatch_support import flash, path_id, take_flash
from cti.http.i18n import local_time, phone_display
from cti.http.templating import LANG_KEY, USER_KEY, render
from cti.http.ticket_forms import wants_json
from cti.users.models import User

NAV = "callbacks"
CALL_RESULTS = {"sent": 200, "not_sent": 503, "refused": 502, "unknown": 502}  # the dialer's words → HTTP


def _page_data(session: Session, user_id: int, username: str, now: dt.datetime) -> dict[str, Any]:
    """One read: the agent's due and upcoming callbacks (those they scheduled for anyone too), their
    follow-ups, and the names they mention."""
    lists = callbacks.due_for(session, user_id, now, upcoming=callbacks.MAX_AHEAD, username=username)
    followups = surveys.followups_for(session, user_id)
    rows = [*lists["due"], *lists["upcoming"], *followups]
    ids = {r["customer_id"] for r in rows if r["customer_id"]}
    customers = dict(session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(ids))).all()) if ids else {}
    people = dict(session.execute(select(User.username, User.display_name)).all())
    return lists | {"followups": followups, "customers": customers, "people": people}


def _line(row: dict[str, Any], read: dict[str, Any], request: web.Request, when: dt.datetime) -> dict[str, Any]:
    """A callback as the list shows it: who, the number, why, when (overdue or not), what the user may do."""
    lang, user = request[LANG_KEY], request[USER_KEY]
    by = str(row["data"].get("scheduled_by", ""))
    due, overdue = due_text(lang, row["next_at"], when)
    return row | {
        "customer_name": read["customers"].get(row["customer_id"], ""),
        "number": phone_display(row["e164"], row["e164"], region=request.app[keys.SETTINGS].default_region),
        "why": why(lang, row["source"], row["reason"], row["data"], by_name=read["people"].get(by) or by),
        "due": due, "overdue": overdue, "at": local_time(row["next_at"], zone(request), "%m-%d %H:%M"),
        "mine": row["owner_id"] == user.id,
        "may_close": row["owner_id"] in (None, user.id) or is_supervisor(request),
    }


async def show(request: web.Request, *, status: int = 200, errors: dict[int, dict[str, str]] | None = None,
               values: dict[int, dict[str, str]] | None = None, notice: str = "") -> web.Response:
    """The list; a follow-up form refused comes back with its errors and input (by contact id), a refusal
    about no form of the list (``notice``) on top."""
    user, when = request[USER_KEY], now(request)
    read = await request.app[keys.DB].read(_page_data, user.id, user.username, when)
    region = request.app[keys.SETTINGS].default_region
    followups = [f | {"customer_name": read["customers"].get(f["customer_id"], ""),
                      "number": phone_display(f["e164"], f["e164"], region=region)} for f in read["followups"]]
    return await render(request, "callbacks.html", {
        "nav": NAV, "due": [_line(r, read, request, when) for r in read["due"]],
        "upcoming": [_line(r, read, request, when) for r in read["upcoming"]], "followups": followups,
        "errors": errors or {}, "values": values or {},
        "flash": {"text": notice, "kind": "error"} if notice else await take_flash(request),
        "has_phone": bool(user.interface),
    }, status=status)


@allow(STAFF)
async def callback_list(request: web.Request) -> web.StreamResponse:
    return await show(request)


def _counts(session: Session, user_id: int, now: dt.datetime) -> dict[str, int]:
    return {"due": callbacks.due_count(session, user_id, now), "followups": surveys.followup_count(session, user_id)}


@allow(STAFF)
async def count(request: web.Request) -> web.StreamResponse:
    """The header's numbers: callbacks due now, follow-ups to call (polled every 20 s by every page)."""
    return web.json_response(await request.app[keys.DB].read(_counts, request[USER_KEY].id, now(request)))


async def _refused(request: web.Request, refused: CallbackError) -> web.Response:
    """A refusal: JSON for the page's script, else the list saying why (after a redirect)."""
    message = error_text(request, refused)
    if wants_json(request):
        return web.json_response({"ok": False, "code": refused.code, "message": message},
                                 status=ERROR_STATUS.get(refused.code, 409))
    await flash_text(request, message, kind="error")
    raise web.HTTPSeeOther("/callbacks")


async def _act(request: web.Request, work: Callable[[int], Awaitable[None]], done: str) -> web.StreamResponse:
    """Run an action on the callback in the path; then JSON, or the list saying what was done (or why not)."""
    try:
        await work(path_id(request))
    except CallbackError as refused:
        return await _refused(request, refused)
    if wants_json(request):
        return web.json_response({"ok": True, "message": tr(request, done)})
    await flash(request, done)
    raise web.HTTPSeeOther("/callbacks")


@allow(STAFF)
async def done(request: web.Request) -> web.StreamResponse:
    """The customer was reached some other way: the callback is done."""
    agent, when, boss = agent_of(request), now(request), is_supervisor(request)
    return await _act(request, lambda cid: request.app[keys.DB].write(
        callbacks.mark_done, cid, agent, when, supervisor=boss), "callback.done.done")


@allow(STAFF)
async def cancel(request: web.Request) -> web.StreamResponse:
    agent, when, boss = agent_of(request), now(request), is_supervisor(request)
    return await _act(request, lambda cid: request.app[keys.DB].write(
        callbacks.cancel, cid, agent, when, supervisor=boss), "callback.done.cancelled")


@allow(STAFF)
async def call_now(request: web.Request) -> web.StreamResponse:
    """Call it now: claimed like the dialer claims, then the agent's phone rings and the customer is dialled."""
    contact_id, agent = path_id(request), agent_of(request)
    try:
        result = await request.app[keys.SERVICE].dialer.call_now(contact_id, agent)
    except CallbackError as refused:
        return await _refused(request, refused)
    return await _placed(request, result)


@allow(STAFF)
async def dial(request: web.Request) -> web.StreamResponse:
    """Click-to-dial from a customer, a ticket or a call-log row: ``number`` (any written form), and what
    the call is about (``customer``, ``ticket``, ``call``: ids). The agent's phone rings first."""
    form = await request.post()
    try:
        about = {"customer_id": _id(form.get("customer")), "ticket_id": _id(form.get("ticket")),
                 "call_id": str(form.get("call") or "")[:64], "name": str(form.get("name") or "")[:200]}
    except ValueError:
        return await _refused(request, CallbackError("bad_request"))
    e164 = request.app[keys.SERVICE].normalise(str(form.get("number") or "")[:40]).e164
    try:
        result = await request.app[keys.SERVICE].dialer.dial_now(agent_of(request), e164, **about)
    except CallbackError as refused:
        return await _refused(request, refused)
    return await _placed(request, result)


async def _placed(request: web.Request, result: str) -> web.Response:
    """What became of the call (the dialer's word): JSON for the page's script, else said on the list."""
    message = tr(request, f"callback.call.{result}")
    if wants_json(request):
        return web.json_response({"ok": result == "sent", "result": result, "message": message},
                                 status=CALL_RESULTS.get(result, 502))
    await flash_text(request, message, kind="ok" if result == "sent" else "error")
    raise web.HTTPSeeOther("/callbacks")


def _id(value: object) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 12:
        raise ValueError(text)
    return int(text)
