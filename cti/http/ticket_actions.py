"""What can be done to a ticket: change its state, add a note, reopen it, assign or take it, mark a
claim unit, record a contact, link a call, record a notification attempt.

Each action runs one operation of the ticket desk. Done, it answers 303 back to the ticket page,
which says once what was done; refused by the tickets domain, it shows the page again with the
refusal next to the form it came from and the input kept (409 for a change the workflow does not
allow, 422 for bad input), having saved nothing. The console's requests (``Accept:
application/json``: linking a call or reopening from the pop) get JSON instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from cti.http import i18n, keys
from cti.http.auth import STAFF, SUPERVISORS, allow
from cti.http.templating import LANG_KEY, USER_KEY
from cti.http.ticket_forms import CALL_ID, actor_of, error_message, ticket_brief, wants_json
from cti.http.ticket_pages import FLASH, show, ticket_id_of
from cti.tickets import queries, service, workflow
from cti.tickets.service import TicketError
from cti.users import service as users

NOTE_INPUT = 2 * service.MAX_NOTE  # longer than allowed is said ("too long"), far longer is cut


def _status(exc: TicketError) -> int:
    if exc.code in ("unknown_ticket", "unknown_notification"):
        return 404
    return 409 if exc.code.startswith("refused.") or exc.code in ("notification_closed", "reopen_window") else 422


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {k: str(v)[:NOTE_INPUT] for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


async def _act(request: web.Request, ticket_id: int, work: Callable[[], Awaitable[Any]], *, done: str,
               error_for: str, values: dict[str, str], action: str = "", **done_values: Any) -> web.StreamResponse:
    """Run ``work``; then back to the ticket saying ``done``, or the page again with the refusal."""
    lang = request[LANG_KEY]
    try:
        await work()
    except TicketError as exc:
        message = error_message(lang, exc, action)
        if wants_json(request):
            return web.json_response({"error": message, "code": exc.code}, status=_status(exc))
        if exc.code == "unknown_ticket":
            raise web.HTTPNotFound() from None
        return await show(request, ticket_id, status=_status(exc), error=message, error_for=error_for, values=values)
    if wants_json(request):
        return web.json_response({"ticket": await ticket_brief(request, ticket_id)})
    (await get_session(request))[FLASH] = {"ticket": ticket_id, "text": i18n.translate(lang, done, **done_values)}
    raise web.HTTPSeeOther(f"/tickets/{ticket_id}")


async def _ticket(request: web.Request, ticket_id: int) -> dict[str, Any]:
    found = await request.app[keys.DB].read(queries.detail, ticket_id)
    if found is None:
        raise web.HTTPNotFound()
    return found


@allow(STAFF)
async def change_state(request: web.Request) -> web.StreamResponse:
    """One of the buttons ``workflow.allowed`` offers: ``target``, with ``note`` or ``reason`` when it needs one."""
    ticket_id = ticket_id_of(request)
    values = await _form(request)
    ticket = (await _ticket(request, ticket_id))["ticket"]
    flow = workflow.WORKFLOWS[ticket.workflow]
    target = values.get("target", "")
    if target not in flow.states:
        raise web.HTTPBadRequest()
    step = flow.find(ticket.state, target)
    action = step.action if step else ""
    offered = {s.target for s in workflow.allowed(flow, ticket.state, request[USER_KEY].role)}
    lang = request[LANG_KEY]
    note, reason = values.get("note", ""), values.get("reason", "")
    desk = request.app[keys.SERVICE].tickets
    return await _act(request, ticket_id,
                      lambda: desk.change_state(ticket_id, target, actor_of(request), note=note, reason=reason),
                      done="ticket.done.state", error_for=f"state:{target}" if target in offered else "",
                      values=values, action=action,
                      name=i18n.translate(lang, f"ticket.action.{action}"),
                      state=i18n.translate(lang, f"ticket.state.{target}"))


@allow(STAFF)
async def add_note(request: web.Request) -> web.StreamResponse:
    ticket_id = ticket_id_of(request)
    values = await _form(request)
    desk = request.app[keys.SERVICE].tickets
    return await _act(request, ticket_id, lambda: desk.add_note(ticket_id, actor_of(request), values.get("note", "")),
                      done="ticket.done.note", error_for="note", values=values)


async def _link(request: web.Request, ticket_id: int, values: dict[str, str], *, required: bool = False) -> None:
    """Link the form's call, moving it from ``move_from`` (the ticket it was linked to automatically)."""
    call_id = values.get("call", "").strip()
    if not call_id:
        if required:
            raise TicketError("no_call")
        return
    if not CALL_ID.match(call_id):
        raise TicketError("bad_call")
    move_from = values.get("move_from", "")
    await request.app[keys.SERVICE].tickets.link_call(
        ticket_id, call_id, actor_of(request), move_from=int(move_from) if move_from.isdigit() else None)


@allow(STAFF)
async def link_call(request: web.Request) -> web.StreamResponse:
    """From the pop: this call is about this ticket (``call``; ``move_from``: the one it was linked to)."""
    ticket_id = ticket_id_of(request)
    values = await _form(request)
    return await _act(request, ticket_id, lambda: _link(request, ticket_id, values, required=True),
                      done="ticket.done.link", error_for="link", values=values)


@allow(STAFF)
async def reopen(request: web.Request) -> web.StreamResponse:
    """Reopen resolved work (within the reopen window; supervisors later too); from the pop, the call is linked."""
    ticket_id = ticket_id_of(request)
    values = await _form(request)
    desk = request.app[keys.SERVICE].tickets

    async def work() -> None:
        if values.get("call") and not CALL_ID.match(values["call"].strip()):
            raise TicketError("bad_call")
        await desk.reopen(ticket_id, actor_of(request), values.get("note", ""))
        await _link(request, ticket_id, values)

    return await _act(request, ticket_id, work, done="ticket.done.reopen", error_for="reopen", values=values,
                      action="reopen")


@allow(STAFF)
async def assign(request: web.Request) -> web.StreamResponse:
    """``assignee``: ``me`` (an agent takes it), a user id, or empty (nobody; supervisors)."""
    ticket_id = ticket_id_of(request)
    values = await _form(request)
    me = request[USER_KEY]
    wanted = values.get("assignee", "")
    async with request.app[keys.DB].session() as s:
        staff = {u.id: u.display_name or u.username for u in await users.all_users(s) if u.active and u.role in STAFF}
    assignee = me.id if wanted == "me" else int(wanted) if wanted.isdigit() else None
    if wanted and assignee not in staff:
        raise web.HTTPBadRequest()
    desk = request.app[keys.SERVICE].tickets
    return await _act(request, ticket_id, lambda: desk.assign(ticket_id, actor_of(request), assignee),
                      done="ticket.done.assign" if assignee else "ticket.done.unassign", error_for="assign",
                      values=values, name=staff.get(assignee, ""))


@allow(SUPERVISORS)
async def claim_unit(request: web.Request) -> web.StreamResponse:
    """Mark or unmark a 理赔机 (claim unit)."""
    ticket_id = ticket_id_of(request)
    values = await _form(request)
    on = values.get("value") == "1"
    desk = request.app[keys.SERVICE].tickets
    return await _act(request, ticket_id, lambda: desk.set_claim_unit(ticket_id, actor_of(request), on),
                      done="ticket.done.claim_on" if on else "ticket.done.claim_off", error_for="claim", values=values)


@allow(STAFF)
async def record_contact(request: web.Request) -> web.StreamResponse:
    """The customer was contacted about the ticket (keeps the first-contact promise)."""
    ticket_id = ticket_id_of(request)
    values = await _form(request)
    desk = request.app[keys.SERVICE].tickets
    return await _act(request, ticket_id,
                      lambda: desk.record_contact(ticket_id, actor_of(request), values.get("note", "")),
                      done="ticket.done.contact", error_for="contact", values=values)


@allow(STAFF)
async def notification(request: web.Request) -> web.StreamResponse:
    """A customer notification the ticket owes: an attempt (``done=0``) or told (``done=1``)."""
    ticket_id = ticket_id_of(request)
    values = await _form(request)
    try:
        notification_id = int(request.match_info["nid"])
    except ValueError:
        raise web.HTTPNotFound() from None
    owed = {n.id for n in (await _ticket(request, ticket_id))["notifications"]}
    if notification_id not in owed:
        raise web.HTTPNotFound()
    done = values.get("done") == "1"
    desk = request.app[keys.SERVICE].tickets
    return await _act(request, ticket_id,
                      lambda: desk.notification_attempt(notification_id, actor_of(request), done=done,
                                                        note=values.get("note", "")),
                      done="ticket.done.notified" if done else "ticket.done.attempt",
                      error_for=f"notify:{notification_id}", values=values)
