"""The administrators' set-up of the promises, pure: the forms for SLA policies, business calendars,
their extra days and the queue rules, read from what was typed into the values the tables keep.

A refusal is a :class:`SettingsError` naming every problem found (field, code, values); ``code`` names
the message (``settings.error.<code>`` in the catalogs). The domain's own checks have the last word:
a policy must make a :class:`cti.tickets.sla.Policy` and a calendar a
:class:`cti.tickets.calendar.BusinessCalendar`; what they refuse comes back as ``invalid`` with
their reason.

Working hours are typed one line per weekday (0 = Monday), intervals separated by commas; full-width
digits and punctuation are read as their ASCII forms, and ``24:00`` may end a day:

>>> parse_hours({0: "09:00-12:00, 13:30-18:00", 5: "9:00～12:00", 6: ""})
{'0': [['09:00', '12:00'], ['13:30', '18:00']], '5': [['09:00', '12:00']]}
>>> parse_hours({1: "13:00-12:00"})
Traceback (most recent call last):
...
cti.tickets.settings_forms.SettingsError: end_before_start (h1): {'span': '13:00-12:00'}
>>> hours_text({"0": [["09:00", "12:00"], ["13:30", "18:00"]]}, 0)
'09:00-12:00, 13:30-18:00'
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from cti.form_errors import FormError, Problems, clean
from cti.tickets import sla, workflow
from cti.tickets.calendar import BusinessCalendar, wall_time
from cti.tickets.clocks import NO_CLOCKS

ANY = "*"  # a policy's service type or priority that matches every one
WEEKDAYS = range(7)
MAX_HOURS = 8760.0  # business hours of one promise: more is a typing slip
MAX_SPANS = 6  # intervals a day
MAX_NOTE = 200
MAX_QUEUE = 80
MAX_NAME = 40
DEFAULT_PERCENT = 80.0
_NUMBER = re.compile(r"^\d{1,5}(\.\d{1,2})?$")
_DASHES = "-~–—至到"
_SPAN = re.compile(rf"^(\d{{1,2}}):(\d{{2}})[{_DASHES}](\d{{1,2}}):(\d{{2}})$")
_DASH = re.compile(rf"\s*([{_DASHES}])\s*")  # spaces around a dash are not separators
_SEPARATOR = re.compile(r"[,;、\s]+")
_NAME = re.compile(r"^[\w-]+$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SettingsError(FormError):
    """Refused input or a refused change: one or more :class:`Problem` (the first is ``code``/``field``)."""






# --- working hours ----------------------------------------------------------------------------------


def _clock(hour: str, minute: str, *, end: bool) -> str | None:
    h, m = int(hour), int(minute)
    if end and (h, m) == (24, 0):
        return "24:00"
    return f"{h:02d}:{m:02d}" if h < 24 and m < 60 else None


def _day_spans(weekday: int, text: str, problems: Problems) -> list[list[str]]:
    """One weekday's intervals, sorted; each problem is added under the field ``h<weekday>``."""
    name, spans = f"h{weekday}", []
    for part in _SEPARATOR.split(_DASH.sub(r"\1", clean(text))):
        if not part:
            continue
        match = _SPAN.match(part)
        start = match and _clock(match[1], match[2], end=False)
        end = match and _clock(match[3], match[4], end=True)
        if not start or not end:
            problems.add(name, "bad_span", span=part)
            return []
        if wall_time(end) <= wall_time(start):
            problems.add(name, "end_before_start", span=f"{start}-{end}")
            return []
        spans.append([start, end])
    if len(spans) > MAX_SPANS:
        problems.add(name, "too_many_spans", max=MAX_SPANS)
        return []
    spans.sort()
    for before, after in zip(spans, spans[1:], strict=False):
        if wall_time(after[0]) < wall_time(before[1]):
            problems.add(name, "overlap", first="-".join(before), second="-".join(after))
            return []
    return spans


def _hours(texts: Mapping[int, str], problems: Problems) -> dict[str, list[list[str]]]:
    found = {str(day): _day_spans(day, texts.get(day, ""), problems) for day in WEEKDAYS}
    return {day: spans for day, spans in found.items() if spans}


def parse_hours(texts: Mapping[int, str]) -> dict[str, list[list[str]]]:
    """The hours typed per weekday as the calendar row keeps them (``{"0": [["09:00", "18:00"]], …}``,
    only the days that work); :class:`SettingsError` names every weekday that is wrong."""
    problems = Problems(SettingsError)
    hours = _hours(texts, problems)
    problems.check()
    return hours


def hours_text(hours: Mapping[str, list], weekday: int) -> str:
    """One weekday of a calendar row's hours as the form shows it (the inverse of :func:`parse_hours`)."""
    return ", ".join(f"{a}-{b}" for a, b in hours.get(str(weekday), []))


def intervals(hours: Mapping[str, list]) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """A calendar row's hours as :class:`~cti.tickets.calendar.BusinessCalendar` takes them."""
    return {int(day): [(wall_time(a), wall_time(b)) for a, b in spans] for day, spans in hours.items()}


# --- SLA policies -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyValues:
    """An ``sla_policies`` row's values."""

    service_type: str
    priority: str
    first_contact_hours: float | None
    on_site_hours: float | None
    resolution_hours: float | None
    at_risk_ratio: float
    pause_while_waiting: bool
    calendar: str

    def columns(self) -> dict[str, Any]:
        return asdict(self)


def _number(value: object, name: str, problems: Problems, *, low: float, high: float, code: str) -> float | None:
    text = clean(value)
    if not text:
        return None
    number = float(text) if _NUMBER.match(text) else math.nan
    if not low < number <= high:
        problems.add(name, code, max=f"{high:g}")
        return None
    return number


def parse_policy(form: Mapping[str, str], calendars: Collection[str]) -> PolicyValues:
    """An SLA policy form: ``service_type`` and ``priority`` (``*``: any), ``first_contact``, ``on_site``,
    ``resolution`` (business hours, blank: no promise), ``at_risk`` (a percentage, blank: 80),
    ``pause`` ("1": the clocks pause while waiting for parts or the customer), ``calendar``
    (one of ``calendars``)."""
    problems = Problems(SettingsError)
    service_type, priority = clean(form.get("service_type")), clean(form.get("priority"))
    calendar = clean(form.get("calendar"))
    if service_type in NO_CLOCKS:
        problems.add("service_type", "no_clocks")
    elif service_type != ANY and service_type not in workflow.SERVICE_TYPES:
        problems.add("service_type", "bad_choice")
    if priority != ANY and priority not in workflow.PRIORITIES:
        problems.add("priority", "bad_choice")
    hours = {kind: _number(form.get(kind), kind, problems, low=0, high=MAX_HOURS, code="bad_hours")
             for kind in sla.KINDS}
    percent = _number(form.get("at_risk"), "at_risk", problems, low=0, high=99.99, code="bad_ratio")
    if calendar not in calendars:
        problems.add("calendar", "unknown_calendar", name=calendar)
    problems.check()
    values = PolicyValues(service_type, priority, hours[sla.FIRST_CONTACT], hours[sla.ON_SITE], hours[sla.RESOLUTION],
                          round((percent or DEFAULT_PERCENT) / 100, 4), form.get("pause") == "1", calendar)
    try:
        sla.Policy(first_contact=values.first_contact_hours, on_site=values.on_site_hours,
                   resolution=values.resolution_hours, at_risk_ratio=values.at_risk_ratio,
                   pause_while_waiting=values.pause_while_waiting, calendar=values.calendar)
    except ValueError as refused:
        raise SettingsError("invalid", detail=str(refused)) from None
    return values


# --- calendars and their extra days -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarValues:
    """A ``business_calendars`` row's values."""

    name: str
    always_open: bool
    china_holidays: bool
    hours: dict[str, list[list[str]]]

    def columns(self) -> dict[str, Any]:
        return asdict(self)


def calendar_name(value: object) -> str:
    """A new calendar's name: letters (Chinese too), digits, ``-`` and ``_``; at most 40."""
    name = clean(value)
    if not name:
        raise SettingsError("required", "name")
    if len(name) > MAX_NAME or not _NAME.match(name) or name == ANY:
        raise SettingsError("bad_name", "name", max=MAX_NAME)
    return name


def parse_calendar(form: Mapping[str, str], name: str, zone: str) -> CalendarValues:
    """A calendar form: ``always_open`` ("1": 24×7), ``china_holidays`` ("1": China's statutory holidays
    and 调休 make-up days), ``h0`` … ``h6`` (each weekday's hours, :func:`parse_hours`)."""
    problems = Problems(SettingsError)
    always_open, china = form.get("always_open") == "1", form.get("china_holidays") == "1"
    hours = _hours({day: form.get(f"h{day}", "") for day in WEEKDAYS}, problems)
    problems.check()
    if not always_open and not hours:
        raise SettingsError("no_hours", "h0")
    try:
        BusinessCalendar(ZoneInfo(zone), intervals(hours), holidays=None, always_open=always_open)
    except ValueError as refused:
        raise SettingsError("invalid", detail=str(refused)) from None
    return CalendarValues(name, always_open, china and not always_open, hours)


@dataclass(frozen=True, slots=True)
class DayValues:
    """A ``calendar_days`` row's values: an extra day off (``working`` false) or an extra working day."""

    day: dt.date
    working: bool
    note: str


def parse_day(form: Mapping[str, str]) -> DayValues:
    """An extra day: ``day`` (YYYY-MM-DD, 2000-2099), ``working`` ("1": works, "0": closed), ``note``."""
    problems = Problems(SettingsError)
    text, note, working = clean(form.get("day")), clean(form.get("note")), clean(form.get("working"))
    day = None
    if not text:
        problems.add("day", "required")
    else:
        try:
            day = dt.date.fromisoformat(text) if _DAY.match(text) else None
        except ValueError:
            day = None
        if day is None or not 2000 <= day.year <= 2099:
            problems.add("day", "bad_day")
    if working not in ("0", "1"):
        problems.add("working", "bad_choice")
    if len(note) > MAX_NOTE:
        problems.add("note", "too_long", max=MAX_NOTE)
    problems.check()
    assert day is not None
    return DayValues(day, working == "1", note)


# --- queue rules ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueRuleValues:
    """A ``queue_ticket_rules`` row's values."""

    queue: str
    service_type: str
    service_mode: str | None
    active: bool

    def columns(self) -> dict[str, Any]:
        return asdict(self)


def parse_queue_rule(form: Mapping[str, str]) -> QueueRuleValues:
    """A queue rule: ``queue`` (the PBX's queue name), ``service_type``, ``service_mode`` (repairs only:
    carry_in or on_site), ``active`` ("1")."""
    problems = Problems(SettingsError)
    queue, service_type = clean(form.get("queue")), clean(form.get("service_type"))
    mode = clean(form.get("service_mode"))
    if not queue:
        problems.add("queue", "required")
    elif len(queue) > MAX_QUEUE:
        problems.add("queue", "too_long", max=MAX_QUEUE)
    elif any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in queue):
        problems.add("queue", "bad_queue")
    if service_type not in workflow.SERVICE_TYPES:
        problems.add("service_type", "bad_choice")
    elif service_type == "repair" and mode not in workflow.SERVICE_MODES:
        problems.add("service_mode", "mode_needed")
    problems.check()
    values = QueueRuleValues(queue, service_type, mode if service_type == "repair" else None, form.get("active") == "1")
    try:
        workflow.workflow_for(values.service_type, values.service_mode)
    except ValueError as refused:
        raise SettingsError("invalid", detail=str(refused)) from None
    return values
