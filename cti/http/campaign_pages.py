"""The supervisors' campaign pages: the list, one campaign (settings, its state's buttons, live counters, the
contacts to decide, the contacts), its counters as JSON for the page to poll, one contact with its attempts,
and the results' downloads. Thin over :mod:`cti.campaigns.admin` and :mod:`cti.campaigns.queries`.

The counters are polled (``/campaigns/{id}/progress`` every 2 s) rather than pushed: several service
processes may dial for one campaign, and the database is where all of them meet.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.campaigns import admin, queries, surveys
from cti.campaigns import export as results
from cti.campaigns.forms import CampaignError, window_summary
from cti.campaigns.models import CONTACT_STATES, Campaign
from cti.campaigns.policy import OUTCOMES
from cti.http import keys
from cti.http.auth import allow
from cti.http.campaign_support import (
    MANAGERS, NAV, campaign_exporters, campaign_id, counters, day_start, local, may_export, message, now,
)  # fmt: skip
from cti.http.dispatch_support import flash, path_id, take_flash
from cti.http.downloads import send_sheet
from cti.http.settings_support import me
from cti.http.templating import USER_KEY, render
from cti.phone import search_keys
from cti.users.models import User

TEXT_LIMIT = 64


@allow(MANAGERS)
async def campaign_list(request: web.Request) -> web.StreamResponse:
    page = _page_number(request)
    lines, total = await request.app[keys.DB].read(queries.campaign_list, page=page)
    pages = max(1, -(-total // queries.PAGE_SIZE))
    return await render(request, "campaigns.html", {
        "nav": NAV, "tab": "campaigns", "lines": lines, "total": total, "page": page, "pages": pages,
        "prev_url": f"/campaigns?page={page - 1}" if page > 1 else "",
        "next_url": f"/campaigns?page={page + 1}" if page < pages else "", "flash": await take_flash(request),
        "local": lambda v: local(v, request),
    })


def _page_number(request: web.Request) -> int:
    try:
        return max(1, min(int(request.query.get("page", "1")), 100_000))
    except ValueError:
        return 1


# --- one campaign -------------------------------------------------------------------------------------


def read_contact_filter(request: web.Request) -> tuple[dict[str, str], queries.ContactFilter]:
    """The contacts' filters as typed (for the form) and as the query's; unknown values are dropped."""
    q = request.query
    raw = {k: q.get(k, "").strip()[:TEXT_LIMIT] for k in ("state", "outcome", "q")}
    raw["state"] = raw["state"] if raw["state"] in CONTACT_STATES else ""
    raw["outcome"] = raw["outcome"] if raw["outcome"] in (*OUTCOMES, queries.NOT_TRIED) else ""
    text = raw["q"]
    keys_ = tuple(search_keys(text, region=request.app[keys.SETTINGS].default_region)) if text else ()
    digits = "".join(ch for ch in text if ch.isdigit())
    is_number = bool(digits) and all(ch.isdigit() or ch in " +-()" for ch in text)
    return raw, queries.ContactFilter(state=raw["state"], outcome=raw["outcome"], numbers=keys_,
                                      digits=digits if is_number and not keys_ else "",
                                      name=text if not is_number else "", page=_page_number(request))


def _campaign_page(session: Session, cid: int, flt: queries.ContactFilter, day: Any) -> dict[str, Any] | None:
    """One read: the campaign, its counters, the contacts to decide, a page of contacts, the latest imports."""
    campaign = session.get(Campaign, cid)
    if campaign is None:
        return None
    contacts, found = queries.contacts_page(session, cid, flt)
    return {"campaign": campaign, "progress": queries.progress(session, cid, day_start=day),
            "unknown": queries.unknown_contacts(session, cid), "contacts": contacts, "found": found,
            "imports": queries.imports_of(session, cid, limit=5)}


async def show_campaign(request: web.Request, cid: int, *, status: int = 200, **extra: Any) -> web.Response:
    raw, flt = read_contact_filter(request)
    read = await request.app[keys.DB].read(_campaign_page, cid, flt, day_start(request))
    if read is None:
        raise web.HTTPNotFound()
    campaign, found = read["campaign"], read["found"]
    pages = max(1, -(-found // queries.PAGE_SIZE))
    query = {k: v for k, v in raw.items() if v}

    def url(page: int) -> str:
        return f"/campaigns/{cid}?{urlencode(query | {'page': page})}#contacts"

    return await render(request, "campaign.html", {
        "nav": NAV, "c": campaign, "live": counters(read["progress"], campaign, request),
        "unknown": read["unknown"], "contacts": read["contacts"], "found": found, "filters": raw,
        "page": flt.page, "pages": pages, "prev_url": url(flt.page - 1) if flt.page > 1 else "",
        "next_url": url(flt.page + 1) if flt.page < pages else "", "imports": read["imports"],
        "window": window_summary(campaign.window or {}), "states": CONTACT_STATES, "outcomes": OUTCOMES,
        "retry": sorted((campaign.retry or {}).items()), "local": lambda v, f="%Y-%m-%d %H:%M": local(v, request, f),
        "can_export": may_export(request, request[USER_KEY]), "flash": await take_flash(request),
        "confirm_stop": False, "error": "", **extra,
    }, status=status)


@allow(MANAGERS)
async def campaign_page(request: web.Request) -> web.StreamResponse:
    return await show_campaign(request, campaign_id(request))


def _counters_of(session: Session, cid: int, day: Any) -> tuple[Any, dict[str, Any]] | None:
    campaign = session.get(Campaign, cid)
    return None if campaign is None else (campaign, queries.progress(session, cid, day_start=day))


@allow(MANAGERS)
async def progress(request: web.Request) -> web.StreamResponse:
    """The page's counters as JSON, polled every 2 s (the database is shared by every service process)."""
    read = await request.app[keys.DB].read(_counters_of, campaign_id(request), day_start(request))
    if read is None:
        raise web.HTTPNotFound(text='{"error": "not found"}', content_type="application/json")
    return web.json_response(counters(read[1], read[0], request))


@allow(MANAGERS)
async def change_state(request: web.Request) -> web.StreamResponse:
    """Start, pause, resume, or stop (final: only with the confirmation the page asks for)."""
    cid, form = campaign_id(request), await request.post()
    action = str(form.get("action", ""))[:10]
    if action == "stop" and form.get("confirm") != "stop":
        return await show_campaign(request, cid, confirm_stop=True)
    try:
        moved = await request.app[keys.DB].write(admin.transition, cid, action, actor=me(request), now=now(request))
    except CampaignError as error:
        if error.code == "not_found":
            raise web.HTTPNotFound() from None
        return await show_campaign(request, cid, status=409, error=message(request, error))
    await flash(request, f"campaign.done.{action}", n=moved.cancelled)
    raise web.HTTPSeeOther(f"/campaigns/{cid}")


@allow(MANAGERS)
async def decide(request: web.Request) -> web.StreamResponse:
    """A person's decision on an unknown contact: done, or dial again now."""
    cid, contact, form = campaign_id(request), path_id(request, "contact_id"), await request.post()
    decision = str(form.get("decision", ""))[:10]
    try:
        await request.app[keys.DB].write(admin.decide, cid, contact, decision, actor=me(request), now=now(request))
    except CampaignError as error:
        if error.code == "not_found":
            raise web.HTTPNotFound() from None
        await flash(request, f"campaign.error.{error.code}", kind="error")
    else:
        await flash(request, f"campaign.done.decide_{decision}")
    back = f"/campaigns/{cid}/contacts/{contact}" if form.get("back") == "contact" else f"/campaigns/{cid}#unknown"
    raise web.HTTPSeeOther(back)


# --- one contact --------------------------------------------------------------------------------------


@allow(MANAGERS)
async def contact_page(request: web.Request) -> web.StreamResponse:
    cid, contact_id = campaign_id(request), path_id(request, "contact_id")
    found = await request.app[keys.DB].read(
        lambda s: (s.get(Campaign, cid), queries.contact_detail(s, cid, contact_id)))
    campaign, detail = found
    if campaign is None or detail is None:
        raise web.HTTPNotFound()
    people = await request.app[keys.DB].read(_assignable)
    return await render(request, "campaign_contact.html", {
        "nav": NAV, "c": campaign, **detail, "flash": await take_flash(request),
        "assignable": people, "owner_name": next((u.display_name or u.username for u in people
                                                  if u.id == detail["contact"].owner_id), ""),
        "local": lambda v, f="%Y-%m-%d %H:%M:%S": local(v, request, f),
    })


def _assignable(session: Session) -> list[User]:
    """Who a survey's contact may be given to, to call by hand (a manual follow-up): the hotline's people,
    agents first."""
    found = session.scalars(select(User).where(User.active, User.role.in_(surveys.ASSIGNABLE)))
    return sorted(found, key=lambda u: (u.role != "agent", u.display_name or u.username))


# --- downloads ----------------------------------------------------------------------------------------


def _download(what: str, kind: str):
    header = results.ATTEMPT_COLUMNS if what == "attempts" else results.RESULT_COLUMNS
    rows = results.attempts if what == "attempts" else results.results

    @allow(campaign_exporters)
    async def download(request: web.Request) -> web.StreamResponse:
        cid = campaign_id(request)
        if await request.app[keys.DB].read(lambda s: s.get(Campaign, cid)) is None:
            raise web.HTTPNotFound()
        return await send_sheet(request, name=f"campaign-{cid}-{what}", kind=kind, header=header,
                                rows=rows(request.app[keys.DB], cid, request.app[keys.SETTINGS].zone))

    return download


export_csv, export_xlsx = _download("results", "csv"), _download("results", "xlsx")
attempts_csv, attempts_xlsx = _download("attempts", "csv"), _download("attempts", "xlsx")
