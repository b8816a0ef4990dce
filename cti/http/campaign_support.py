"""What the supervisors' campaign pages share: who may open them (and export from them), refusals in the
user's language, the service's clock and zone, and a campaign's counters as its page and its JSON show them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web

from cti.campaigns.forms import CampaignError
from cti.config import Settings
from cti.http import i18n, keys
from cti.http.auth import SUPERVISORS, exporters
from cti.http.dispatch_support import path_id
from cti.http.templating import LANG_KEY

NAV = "campaigns"  # base.html marks the 活动 / Campaigns link
MANAGERS = SUPERVISORS  # supervisors, managers and administrators run campaigns and the do-not-call list


def campaign_exporters(settings: Settings) -> frozenset[str]:
    """Who may download a campaign's results or the do-not-call list: those who run campaigns, among the
    roles that may export customer data (``CTI_EXPORT_ROLES``)."""
    return MANAGERS & exporters(settings)


def may_export(request: web.Request, user: Any) -> bool:
    return user is not None and user.role in campaign_exporters(request.app[keys.SETTINGS])


def now(request: web.Request) -> dt.datetime:
    """The service's clock (tests move it)."""
    return request.app[keys.SERVICE].clock()


def zone(request: web.Request) -> dt.tzinfo:
    return request.app[keys.SETTINGS].zone


def day_start(request: web.Request) -> dt.datetime:
    """Local midnight today (``CTI_TIMEZONE``), in UTC: where "attempts today" start."""
    local = now(request).astimezone(zone(request))
    return dt.datetime.combine(local.date(), dt.time(), zone(request)).astimezone(dt.UTC)


def local(value: dt.datetime | None, request: web.Request, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return i18n.local_time(value, zone(request), fmt)


def errors_of(request: web.Request, error: CampaignError, prefix: str = "campaign.error") -> dict[str, str]:
    """Each problem's sentence in the user's language, by the form field it belongs to (``form``: the whole)."""
    lang = request[LANG_KEY]
    return {p.field: translate_problem(lang, prefix, p.code, p.params) for p in error.problems}


def translate_problem(lang: str, prefix: str, code: str, params: dict[str, Any]) -> str:
    values = dict(params)
    if "state" in values:
        values["state"] = i18n.translate(lang, f"campaign.state.{values['state']}")
    if "action" in values:
        values["action"] = i18n.translate(lang, f"campaign.action.{values['action']}")
    return i18n.translate(lang, f"{prefix}.{code}", **values)


def message(request: web.Request, error: CampaignError, prefix: str = "campaign.error") -> str:
    """The first problem as one sentence (a refused action said on the page it came from)."""
    p = error.problems[0]
    return translate_problem(request[LANG_KEY], prefix, p.code, p.params)


def campaign_id(request: web.Request) -> int:
    return path_id(request)


def counters(progress: dict[str, Any], campaign: Any, request: web.Request) -> dict[str, Any]:
    """A campaign's counters as its page shows them and its JSON sends them (the same names)."""
    total = progress["total"]
    return {
        "state": campaign.state, "total": total, "states": progress["states"], "outcomes": progress["outcomes"],
        "retrying": progress["retrying"], "closed": progress["closed"],
        "percent": round(100 * progress["closed"] / total) if total else 0,
        "attempts_today": progress["attempts_today"], "lines": progress["lines"], "max_lines": campaign.max_concurrent,
        "ratings": {str(k): v for k, v in progress["ratings"].items()}, "rated": progress["rated"],
        "top": max(progress["ratings"].values()) if progress["rated"] else 0,
        "average": f"{progress['average']:.2f}" if progress["average"] is not None else "—",
        "next_due": local(progress["next_due"], request, "%m-%d %H:%M") if progress["next_due"] else "—",
        "updated": local(now(request), request, "%H:%M:%S"),
    }
