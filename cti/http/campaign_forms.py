"""``/campaigns/new`` and ``/campaigns/{id}/edit``: a campaign's settings in one form — the calling window as
a row of from/to times per weekday ("same as Monday" for the others), retries per outcome in a table, no
JSON to type. A refused form comes back with every field's message and nothing saved (422). Settings
change only while a campaign is a draft or paused (:mod:`cti.campaigns.admin`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from cti.campaigns import admin
from cti.campaigns.forms import (
    DEFAULTS, FIELDS, KIND_CONTEXTS, MODES, PREVIEW_CONTEXT, RETRY_OUTCOMES, SLOTS, WEEKDAYS, CampaignError, form_of,
    parse,
)  # fmt: skip
from cti.campaigns.models import KINDS, Campaign
from cti.http import keys
from cti.http.auth import allow
from cti.http.campaign_support import MANAGERS, NAV, campaign_id, errors_of, now, zone
from cti.http.dispatch_support import flash
from cti.http.settings_support import me, read
from cti.http.templating import render


async def _form(request: web.Request, values: dict[str, str], *, campaign: Campaign | None = None,
                errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    return await render(request, "campaign_form.html", {
        "nav": NAV, "c": campaign, "values": values, "errors": errors or {}, "kinds": KINDS, "modes": MODES,
        "weekdays": WEEKDAYS, "slots": range(SLOTS), "retry_outcomes": RETRY_OUTCOMES,
        "contexts": {**KIND_CONTEXTS, "preview": PREVIEW_CONTEXT},
        "kind_fixed": campaign is not None and campaign.state != "draft",
        "editable": campaign is None or campaign.state in admin.EDITABLE,
    }, status=status)


async def _editable(request: web.Request, cid: int) -> Campaign:
    campaign = await request.app[keys.DB].read(lambda s: s.get(Campaign, cid))
    if campaign is None:
        raise web.HTTPNotFound()
    return campaign


@allow(MANAGERS)
async def new_form(request: web.Request) -> web.StreamResponse:
    kind = request.query.get("kind", "")
    return await _form(request, dict(DEFAULTS, kind=kind if kind in KINDS else DEFAULTS["kind"]))


@allow(MANAGERS)
async def create(request: web.Request) -> web.StreamResponse:
    values = await read(request, FIELDS, 200)
    try:
        parsed = parse(values, zone=zone(request))
        cid = await request.app[keys.DB].write(admin.create, parsed, actor=me(request), now=now(request))
    except CampaignError as error:
        return await _form(request, values, errors=errors_of(request, error), status=422)
    await flash(request, "campaign.done.created", name=parsed.name)
    raise web.HTTPSeeOther(f"/campaigns/{cid}")


@allow(MANAGERS)
async def edit_form(request: web.Request) -> web.StreamResponse:
    campaign = await _editable(request, campaign_id(request))
    return await _form(request, form_of(campaign, zone(request)), campaign=campaign,
                       errors=_not_editable(request, campaign))


def _not_editable(request: web.Request, campaign: Campaign) -> dict[str, Any]:
    """A running or finished campaign's form says why it cannot be saved."""
    if campaign.state in admin.EDITABLE:
        return {}
    return errors_of(request, CampaignError("not_editable", state=campaign.state))


@allow(MANAGERS)
async def save(request: web.Request) -> web.StreamResponse:
    cid = campaign_id(request)
    campaign = await _editable(request, cid)
    values = await read(request, FIELDS, 200)
    if campaign.state != "draft":
        values["kind"] = campaign.kind  # fixed once started; the form shows it without a field
    try:
        parsed = parse(values, zone=zone(request))
        changed = await request.app[keys.DB].write(admin.change_settings, cid, parsed, actor=me(request),
                                                   now=now(request))
    except CampaignError as error:
        if error.code == "not_found":
            raise web.HTTPNotFound() from None
        current = await _editable(request, cid)
        return await _form(request, values, campaign=current, errors=errors_of(request, error), status=422)
    await flash(request, "campaign.done.saved" if changed else "campaign.done.unchanged")
    raise web.HTTPSeeOther(f"/campaigns/{cid}")
