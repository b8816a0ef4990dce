"""Manual satisfaction follow-ups (回访 by an agent): a supervisor gives a survey's contact to an agent (on the
contact's page), and the agent sends the customer's answers from their callbacks list (``/callbacks``).

Thin over :mod:`cti.campaigns.surveys`: a refusal is said where it came from and nothing is saved. An
unhappy rating is announced on the bus once stored (the tickets domain opens a complaint), as when it is
keyed in the IVR.
"""

from __future__ import annotations

from aiohttp import web

from cti.campaigns import surveys
from cti.campaigns.models import CampaignContact
from cti.campaigns.surveys import FollowupError
from cti.http import keys
from cti.http.auth import STAFF, allow
from cti.http.callback_pages import show
from cti.http.callback_support import now, tr
from cti.http.campaign_support import MANAGERS
from cti.http.dispatch_support import flash, path_id, text
from cti.http.settings_support import me
from cti.http.templating import USER_KEY

ERROR_STATUS = {"unknown": 404, "not_yours": 403, "not_assigned": 409}  # the rest: 422 (the form)


def _rating(value: str) -> int | None:
    return int(value) if value in surveys.RATINGS else None


@allow(STAFF)
async def answer(request: web.Request) -> web.StreamResponse:
    """The customer's answers to a follow-up given to this agent: the rating (1–5) and a comment."""
    contact_id, user, form = path_id(request), request[USER_KEY], await request.post()
    values = {"rating": text(form, "rating", 2), "comment": text(form, "comment", 2 * surveys.MAX_COMMENT)}
    try:
        rated = await request.app[keys.DB].write(surveys.answer, contact_id, user.id, user.username,
                                                 _rating(values["rating"]), values["comment"], now(request))
    except FollowupError as refused:
        message = tr(request, f"followup.error.{refused.code}", **refused.params)
        if refused.code in ERROR_STATUS:  # no longer (or never) in this agent's list: said on top
            return await show(request, status=ERROR_STATUS[refused.code], notice=message)
        field = "comment" if refused.code == "comment_too_long" else "rating"
        return await show(request, status=422, errors={contact_id: {field: message}}, values={contact_id: values})
    if rated is not None:
        await request.app[keys.SERVICE].bus.publish_many([rated])
    await flash(request, "followup.done.answered")
    raise web.HTTPSeeOther("/callbacks#followups")


@allow(MANAGERS)
async def assign(request: web.Request) -> web.StreamResponse:
    """A supervisor gives a survey's pending contact to an agent, who calls the customer by hand."""
    campaign_id, contact_id = path_id(request), path_id(request, "contact_id")
    found = await request.app[keys.DB].read(lambda s: s.get(CampaignContact, contact_id))
    if found is None or found.campaign_id != campaign_id:
        raise web.HTTPNotFound()
    chosen = text(await request.post(), "agent", 12)
    back = f"/campaigns/{campaign_id}/contacts/{contact_id}"
    if not chosen.isdigit():
        await flash(request, "followup.error.unknown_agent", kind="error")
        raise web.HTTPSeeOther(back)
    try:
        await request.app[keys.DB].write(surveys.assign, contact_id, int(chosen), me(request), now(request))
    except FollowupError as refused:
        params = dict(refused.params)
        if "state" in params:
            params["state"] = tr(request, f"campaign.contact_state.{params['state']}")
        await flash(request, f"followup.error.{refused.code}", kind="error", **params)
    else:
        await flash(request, "followup.done.assigned")
    raise web.HTTPSeeOther(back)
