"""What the callback pages share: who acts, the service's clock, a callback's reason and due time in the
user's words, and the campaigns domain's refusals as sentences.

A callback's reason is said from what its contact records (or, on a pop, its ``origin``): an abandoned
call's wait and queue, the scheduling agent's reason and name, a campaign's name. The console's script
says the same with the same catalog keys (``callback.why.*``, web/static/js/callback-why.js).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from cti.campaigns import callbacks
from cti.campaigns.callbacks import CallbackError
from cti.http import i18n, keys
from cti.http.auth import SUPERVISORS
from cti.http.dispatch_support import FLASH
from cti.http.templating import LANG_KEY, USER_KEY
from cti.http.ticket_pages import span as ticket_span

OVERDUE_AFTER = dt.timedelta(minutes=5)  # a callback this late is marked overdue (before: "due now")
ERROR_STATUS = {"unknown": 404, "not_yours": 403}  # the rest: 409 (the state of things refuses it)


def agent_of(request: web.Request) -> callbacks.Agent:
    user = request[USER_KEY]
    return callbacks.Agent(user.id, user.username, user.interface)


def is_supervisor(request: web.Request) -> bool:
    return request[USER_KEY].role in SUPERVISORS


def now(request: web.Request) -> dt.datetime:
    """The service's clock (tests move it)."""
    return request.app[keys.SERVICE].clock()


def zone(request: web.Request) -> dt.tzinfo:
    return request.app[keys.SETTINGS].zone


def tr(request: web.Request, key: str, **values: Any) -> str:
    return i18n.translate(request[LANG_KEY], key, **values)


async def flash_text(request: web.Request, text: str, *, kind: str = "ok") -> None:
    """A sentence for the next page (after the redirect), said once (the field-service pages' flash)."""
    (await get_session(request))[FLASH] = {"text": text, "kind": kind}


def error_text(request: web.Request, error: CallbackError) -> str:
    """A refusal of the campaigns domain as one sentence (``callback.error.<code>``); a window's opening in
    local time."""
    params = dict(error.params)
    opens = params.get("opens")
    if "opens" in params:
        params["opens"] = i18n.local_time(opens, zone(request), "%m-%d %H:%M") if opens else "—"
        if not opens:
            return tr(request, "callback.error.outside_window_closed")
    return tr(request, f"callback.error.{error.code}", **params)


def why(lang: str, source: str, reason: str, data: Mapping[str, Any], *, campaign: str = "", by_name: str = "") -> str:
    """Why a callback is to be made, as people say it (the pop says the same: callback-why.js).

    >>> why("zh", "abandoned", "", {"queue": "support", "waited": 25})
    '放弃来电：在 support 队列等待 25 秒'
    >>> why("en", "agent", "Wants the invoice", {"scheduled_by": "agent1"}, by_name="Wang Fang")
    'Scheduled by Wang Fang: Wants the invoice'
    """
    def t(key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    if source == "abandoned":
        waited, queue = data.get("waited"), data.get("queue") or ""
        if waited is None:
            return t("callback.why.abandoned_short")
        return t("callback.why.abandoned", queue=queue, waited=waited) if queue else \
            t("callback.why.abandoned_noqueue", waited=waited)
    if source == "dial":
        return t("callback.why.dial", name=by_name or str(data.get("scheduled_by", "")) or "?")
    if source == "agent":
        name = by_name or str(data.get("scheduled_by", "")) or "?"
        return t("callback.why.agent", name=name, reason=reason) if reason else t("callback.why.agent_plain", name=name)
    if source == "notification":
        return t("callback.why.notification", campaign=campaign)
    if source == "resolved":
        return t("callback.why.survey", campaign=campaign)
    return t("callback.why.campaign", campaign=campaign, reason=reason) if reason else \
        t("callback.why.campaign_plain", campaign=campaign)


def span(lang: str, delta: dt.timedelta) -> str:
    """A length of time as the ticket pages say it (days and hours, hours and minutes, or minutes)."""
    return ticket_span(lang, delta.total_seconds())


def due_text(lang: str, next_at: dt.datetime | None, now: dt.datetime) -> tuple[str, bool]:
    """When a callback is due, relative to now, and whether it is overdue (late by ``OVERDUE_AFTER``).

    >>> at = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    >>> due_text("en", at, at + dt.timedelta(minutes=25)), due_text("en", at, at + dt.timedelta(minutes=1))
    (('Overdue by 25 min', True), ('Due now', False))
    >>> due_text("zh", at, at - dt.timedelta(hours=2, minutes=5))
    ('2 小时 5 分后', False)
    """
    if next_at is None:
        return "", False
    late = now - next_at
    if late >= OVERDUE_AFTER:
        return i18n.translate(lang, "callback.overdue_by", span=span(lang, late)), True
    if late >= dt.timedelta(0):
        return i18n.translate(lang, "callback.due_now"), False
    return i18n.translate(lang, "callback.due_in", span=span(lang, -late)), False
