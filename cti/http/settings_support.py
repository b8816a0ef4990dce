"""What the administrators' settings pages for the promises share (SLA policies, calendars, queue rules):
refusals as the user reads them, the form as typed, numbers as the form shows them, and applying a
change: the desk forgets its cached policies and calendars, and the next page says what was done.

The pages follow the field-service set-up pages (:mod:`cti.http.dispatch_admin`): a table and one
form; a refused form comes back with every field's message and nothing saved (422).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from cti.http import i18n
from cti.http.dispatch_support import desk, flash, text
from cti.http.templating import LANG_KEY, USER_KEY
from cti.tickets.settings_forms import SettingsError

NAV = "settings"  # base.html marks the 设置 / Settings link


def errors_of(request: web.Request, error: SettingsError) -> dict[str, str]:
    """Each problem's sentence in the user's language, by the form field it belongs to (``form``: the whole)."""
    lang = request[LANG_KEY]
    return {p.field: i18n.translate(lang, f"settings.error.{p.code}", **p.params) for p in error.problems}


async def read(request: web.Request, names: tuple[str, ...], limit: int = 400) -> dict[str, str]:
    """The posted form's fields ``names`` as typed (cut at ``limit``), for the parsers and to show again."""
    form = await request.post()
    return {name: text(form, name, limit) for name in names}


def me(request: web.Request) -> str:
    return request[USER_KEY].username


def zone(request: web.Request) -> str:
    """The desk's time zone (``CTI_TIMEZONE``) by name, as :meth:`Promises.load` takes it."""
    return str(desk(request).zone)


async def applied(request: web.Request, key: str, **params: Any) -> None:
    """After a committed change: this process's desk rereads the promises at once (the others within
    ``PROMISES_TTL``), and the page after the redirect says ``key``."""
    desk(request).forget_promises()
    await flash(request, key, **params)


def hours(value: float | None) -> str:
    """Business hours as the form shows them: ``24``, ``1.5``; blank for no promise.

    >>> hours(24.0), hours(1.5), hours(None)
    ('24', '1.5', '')
    """
    return "" if value is None else f"{value:g}"


def percent(ratio: float) -> str:
    """An at-risk ratio as a percentage: ``0.8`` -> ``80``.

    >>> percent(0.8), percent(0.755)
    ('80', '75.5')
    """
    return f"{round(ratio * 100, 2):g}"


def not_found(error: SettingsError) -> bool:
    """Whether a refusal means the row is not there (404) rather than a form to correct (422)."""
    return error.code == "not_found"
