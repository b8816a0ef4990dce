"""``/admin/calendars``: the business calendars the promises count on.

The page lists the calendars in force (the built-in ``business`` and ``24x7`` until changed) and
shows one (``?name=``, ``business`` by default): its form (working hours per weekday, China's
holidays and 调休 make-up days, 24×7), this month and the next as a grid of the days that work and
why, and its local extra days off or on. ``?new=1`` opens an empty form for a new calendar.
Writes go through :mod:`cti.tickets.calendar_service`; a change projects the running clocks on
that calendar again, and the page after the redirect says how many.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from cti.http import keys
from cti.http.auth import ADMINS, allow
from cti.http.dispatch_support import desk, flash, path_id, take_flash
from cti.http.settings_support import NAV, applied, errors_of, me, not_found, read, zone
from cti.http.templating import render
from cti.tickets import calendar_service as calendars
from cti.tickets import month
from cti.tickets.calendar import BusinessCalendar
from cti.tickets.clocks import BUSINESS, DEFAULT_HOURS, Promises
from cti.tickets.settings_forms import WEEKDAYS, SettingsError, calendar_name, hours_text, parse_calendar, parse_day

PATH = "/admin/calendars"
HOUR_FIELDS = tuple(f"h{day}" for day in WEEKDAYS)
FIELDS = ("name", "original", "always_open", "china_holidays", *HOUR_FIELDS)
DAY_FIELDS = ("calendar", "day", "working", "note")
NEW_DAY = {"day": "", "working": "0", "note": ""}
KINDS = (*month.WORKING_KINDS, *month.CLOSED_KINDS)  # the legend's order


def shown(name: str) -> str:
    """The page showing calendar ``name``, from its top (where the done line is): the forms post to a
    fragment (a refused one comes back scrolled to itself), which a redirect without one would keep."""
    return f"{PATH}?{urlencode({'name': name})}#main"


def form_of(values: Any) -> dict[str, str]:
    """A calendar (:class:`~cti.tickets.settings_forms.CalendarValues`) as its form shows it."""
    return {"name": values.name, "always_open": "1" if values.always_open else "",
            "china_holidays": "1" if values.china_holidays else "",
            **{f"h{day}": hours_text(values.hours, day) for day in WEEKDAYS}}


def new_form() -> dict[str, str]:
    return {"name": "", "always_open": "", "china_holidays": "1",
            **{f"h{d}": hours_text(DEFAULT_HOURS, d) for d in WEEKDAYS}}


def runs(hours: dict[str, list]) -> list[tuple[int, int, str]]:
    """Weekdays in a row with the same hours, for the list: ``(first, last, "09:00–18:00")``.

    >>> runs({"0": [["09:00", "18:00"]], "1": [["09:00", "18:00"]], "5": [["09:00", "12:00"]]})
    [(0, 1, '09:00–18:00'), (5, 5, '09:00–12:00')]
    """
    found: list[tuple[int, int, str]] = []
    for day in WEEKDAYS:
        spans = ", ".join(f"{a}–{b}" for a, b in hours.get(str(day), []))
        if spans and found and found[-1][1] == day - 1 and found[-1][2] == spans:
            found[-1] = (found[-1][0], day, spans)
        elif spans:
            found.append((day, day, spans))
    return found


def months(cal: BusinessCalendar, today: dt.date) -> list[tuple[int, int, list]]:
    """This month and the next of ``cal``: ``(year, number, weeks)`` each."""
    return [(year, number, month.month(cal, year, number, today=today))
            for year, number in ((today.year, today.month), month.next_month(today))]


def _grid_context(grids: list[tuple[int, int, list]]) -> dict[str, Any]:
    days = [d for _, _, weeks in grids for week in weeks for d in week if d is not None]
    return {"grids": grids, "kinds": [k for k in KINDS if any(d.kind == k for d in days)],
            "no_data": any(d.no_data for d in days)}


def _holiday_notice(rows: list[calendars.CalendarInForce], today: dt.date) -> dict[str, Any]:
    """The years (this one, the next) China's holiday data lacks, when a calendar in force uses it."""
    uses = any(c.values.china_holidays and not c.values.always_open for c in rows)
    version, first, last = month.holiday_data()
    return {"missing_years": month.missing_years([today.year, today.year + 1]) if uses else [],
            "holiday_data": {"version": version, "first": first, "last": last}}


async def _page(request: web.Request, selected: str, *, new: bool = False, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, day_values: dict[str, str] | None = None,
                day_errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    where = zone(request)
    rows, promises = await request.app[keys.DB].read(lambda s: (calendars.calendars(s), Promises.load(s, where)))
    current = None if new else next((c for c in rows if c.name == selected), None)
    if current is None and not new:
        raise web.HTTPNotFound()
    today = desk(request).clock().astimezone(desk(request).zone).date()
    grids = months(promises.calendar(current.name), today) if current else []
    return await render(request, "admin_calendars.html", {
        "kind": "calendars", "rows": rows, "current": current, "new": new,
        "values": values or (form_of(current.values) if current else new_form()), "errors": errors or {},
        "day_values": day_values or dict(NEW_DAY), "day_errors": day_errors or {}, "runs": runs, "weekdays": WEEKDAYS,
        "flash": await take_flash(request), "nav": NAV, **_grid_context(grids), **_holiday_notice(rows, today),
    }, status=status)


@allow(ADMINS)
async def calendars_page(request: web.Request) -> web.StreamResponse:
    new = request.query.get("new") == "1"
    return await _page(request, request.query.get("name", BUSINESS)[:40], new=new)


@allow(ADMINS)
async def save_calendar(request: web.Request) -> web.StreamResponse:
    values = await read(request, FIELDS, 400)
    original, actor, where = values.pop("original") or None, me(request), zone(request)
    try:
        name = original or calendar_name(values["name"])
        values["name"] = name
        parsed = parse_calendar(values, name, where)
        moved = await request.app[keys.DB].write(
            lambda s: calendars.save_calendar(s, original, parsed, actor=actor, zone=where))
    except SettingsError as error:
        if not_found(error):
            raise web.HTTPNotFound() from None
        return await _page(request, original or BUSINESS, new=original is None, values=values,
                           errors=errors_of(request, error), status=422)
    await applied(request, "settings.calendar.saved", name=name, n=moved)
    raise web.HTTPSeeOther(shown(name))


@allow(ADMINS)
async def delete_calendar(request: web.Request) -> web.StreamResponse:
    calendar_id, actor, where = path_id(request), me(request), zone(request)
    try:
        moved = await request.app[keys.DB].write(
            lambda s: calendars.delete_calendar(s, calendar_id, actor=actor, zone=where))
    except SettingsError as error:
        if not_found(error):
            raise web.HTTPNotFound() from None
        await flash(request, f"settings.error.{error.code}", kind="error", **error.problems[0].params)
        raise web.HTTPSeeOther(f"{PATH}#main") from None
    await applied(request, "settings.calendar.deleted", n=moved)
    raise web.HTTPSeeOther(f"{PATH}#main")


@allow(ADMINS)
async def add_day(request: web.Request) -> web.StreamResponse:
    values = await read(request, DAY_FIELDS, 400)
    name, actor, where = values.pop("calendar")[:40], me(request), zone(request)
    try:
        parsed = parse_day(values)
        moved = await request.app[keys.DB].write(lambda s: calendars.add_day(s, name, parsed, actor=actor, zone=where))
    except SettingsError as error:
        if error.code == "unknown_calendar":
            raise web.HTTPNotFound() from None
        return await _page(request, name, day_values=values, day_errors=errors_of(request, error), status=422)
    await applied(request, "settings.calendar.day_added", day=parsed.day.isoformat(), n=moved)
    raise web.HTTPSeeOther(shown(name))


@allow(ADMINS)
async def delete_day(request: web.Request) -> web.StreamResponse:
    day_id, actor, where = path_id(request), me(request), zone(request)
    try:
        name, moved = await request.app[keys.DB].write(
            lambda s: calendars.delete_day(s, day_id, actor=actor, zone=where))
    except SettingsError:
        raise web.HTTPNotFound() from None
    await applied(request, "settings.calendar.day_deleted", n=moved)
    raise web.HTTPSeeOther(shown(name))
