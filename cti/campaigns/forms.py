"""A campaign's settings as supervisors type them, checked: pure, no database (the name's uniqueness is
:mod:`cti.campaigns.admin`'s).

:func:`parse` reads the form's fields (text, as posted) into :class:`CampaignValues`, the columns of a
``campaigns`` row; :func:`form_of` is the inverse, for showing a stored campaign in the form. A refusal
is a :class:`CampaignError` naming every problem (field, code, values); ``code`` names the message
(``campaign.error.<code>`` in the catalogs). The domain's own rules have the last word: the window must
make a :class:`~cti.campaigns.window.Window` and the retries a :class:`~cti.campaigns.policy.RetryPolicy`.

The calling window is typed per weekday (0 = Monday) as up to :data:`SLOTS` intervals ``from``–``to``
in the callee's local time; ``24:00`` may end one; a weekday can be "the same as Monday":

>>> values = parse(dict(DEFAULTS, name="回访", w0_0_from="9:00", w0_0_to="12:00", w0_1_from="13:30",
...                     w0_1_to="24:00", w1_same="1"), zone=dt.UTC)
>>> values.window["0"], values.window["1"], values.context
([['09:00', '12:00'], ['13:30', '24:00']], [['09:00', '12:00'], ['13:30', '24:00']], 'hotline-survey')
>>> parse(dict(DEFAULTS, name="x", per_minute="-1"), zone=dt.UTC)
Traceback (most recent call last):
...
cti.campaigns.forms.CampaignError: bad_pacing (per_minute): {'max': 600}
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cti.form_errors import FormError, Problems, clean
from cti.campaigns.models import KINDS
from cti.campaigns.policy import BUSY, CONGESTION, FAILED, NO_ANSWER, NO_INPUT, PolicyError, Retry, RetryPolicy
from cti.campaigns.window import Window, WindowError
from cti.tickets.calendar import wall_time

MODES = ("progressive", "preview")
KIND_CONTEXTS = {"callback": "hotline-callback", "survey": "hotline-survey", "notification": "hotline-notify",
                 "list": "hotline-callback"}  # dialplans/: what an answered call of each kind runs
PREVIEW_CONTEXT = "hotline-dial"  # preview: an agent's phone rings first, then the customer's
DEFAULT_DIAL = "PJSIP/{number}@carrier"
RETRY_OUTCOMES = (NO_ANSWER, BUSY, CONGESTION, FAILED, NO_INPUT)
WEEKDAYS = range(7)
SLOTS = 3  # intervals a weekday
MAX_NAME = 100
MAX_CONCURRENT = 500
MAX_PER_MINUTE = 600
MAX_DELAY_MINUTES = 7 * 24 * 60  # policy.MAX_DELAY
MAX_ATTEMPTS = 20  # policy.MAX_ATTEMPTS
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_CALLER_ID = re.compile(r'^(?:"[^"\\<>]{0,40}"\s*|[^"\\<>]{1,40}\s+)?<\+?\d{2,20}>$|^\+?\d{2,20}$')
_DIAL = re.compile(r"^[A-Za-z][A-Za-z0-9_]*/[A-Za-z0-9_.@+{}:/-]+$")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,80}$")  # a dialplan context or a queue
_NUMBER = re.compile(r"^\d{1,6}(\.\d{1,3})?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class CampaignError(FormError):
    """Refused input or a refused change: one or more :class:`Problem` (the first is ``code``/``field``)."""


@dataclass(frozen=True, slots=True)
class CampaignValues:
    """What a supervisor sets on a campaign (the other columns are the service's)."""

    name: str
    kind: str
    mode: str
    caller_id: str
    dial: str
    context: str
    queue: str
    window: dict[str, list[list[str]]]  # {"0": [["09:00", "20:00"]], …}: the weekdays that call
    allow_holidays: bool
    max_concurrent: int
    per_minute: float
    retry: dict[str, list[float | int]]  # {"busy": [600, 3], …}: seconds, attempts in all (claims.policy_of)
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None

    def audited(self) -> dict[str, Any]:
        """As the audit row keeps it (times in ISO)."""
        out = {name: getattr(self, name) for name in self.__slots__}
        out["starts_at"] = self.starts_at.isoformat() if self.starts_at else None
        out["ends_at"] = self.ends_at.isoformat() if self.ends_at else None
        return out


def default_context(kind: str, mode: str) -> str:
    """The dialplan context a campaign runs when none is typed.

    >>> default_context("notification", "progressive"), default_context("survey", "preview")
    ('hotline-notify', 'hotline-dial')
    """
    return PREVIEW_CONTEXT if mode == "preview" else KIND_CONTEXTS.get(kind, KIND_CONTEXTS["callback"])


def _default_retry() -> dict[str, list[float | int]]:
    return {o: [r.delay.total_seconds(), r.max_attempts] for o, r in RetryPolicy.defaults().rules.items()}


DEFAULTS: dict[str, str] = {  # a new campaign's form: every day 09:00–20:00, the default retries
    "name": "", "kind": "survey", "mode": "progressive", "caller_id": "", "dial": DEFAULT_DIAL, "context": "",
    "queue": "", "allow_holidays": "", "max_concurrent": "5", "per_minute": "30", "starts_at": "", "ends_at": "",
    **{f"w{d}_{i}_{end}": "" for d in WEEKDAYS for i in range(SLOTS) for end in ("from", "to")},
    **{f"w{d}_0_from": "09:00" for d in WEEKDAYS}, **{f"w{d}_0_to": "20:00" for d in WEEKDAYS},
    **{f"w{d}_same": "1" for d in WEEKDAYS if d},
    **{f"retry_{o}_delay": f"{v[0] / 60:g}" for o, v in _default_retry().items()},
    **{f"retry_{o}_attempts": str(v[1]) for o, v in _default_retry().items()},
}
FIELDS = tuple(DEFAULTS)






def parse(form: Mapping[str, str], *, zone: dt.tzinfo) -> CampaignValues:
    """The form as a campaign's values; :class:`CampaignError` names every field that is wrong."""
    problems = Problems(CampaignError)
    name = " ".join(str(form.get("name") or "").split())  # as typed: 名单外呼：延保 keeps its full-width colon
    if not name:
        problems.add("name", "required")
    elif len(name) > MAX_NAME or _CONTROL.search(name):
        problems.add("name", "too_long", max=MAX_NAME)
    kind = _choice(form, "kind", KINDS, problems)
    mode = _choice(form, "mode", MODES, problems)
    starts_at, ends_at = _when(form, "starts_at", zone, problems), _when(form, "ends_at", zone, problems)
    if starts_at and ends_at and ends_at <= starts_at:
        problems.add("ends_at", "ends_before_start")
    values = CampaignValues(
        name=name, kind=kind, mode=mode, caller_id=_caller_id(form, problems), dial=_dial(form, problems),
        context=_context(form, "context", problems) or default_context(kind, mode),
        queue=_context(form, "queue", problems), window=_window(form, problems),
        allow_holidays=clean(form.get("allow_holidays")) in ("1", "on", "true"),
        max_concurrent=_concurrency(form, problems), per_minute=_pacing(form, problems),
        retry=_retry(form, problems), starts_at=starts_at, ends_at=ends_at)
    problems.check()
    return values


def _choice(form: Mapping[str, str], name: str, choices: tuple[str, ...], problems: _Problems) -> str:
    value = clean(form.get(name))
    if value not in choices:
        problems.add(name, "bad_choice")
    return value


def _caller_id(form: Mapping[str, str], problems: _Problems) -> str:
    """``"Customer Care" <4008001234>``, ``Customer Care <4008001234>``, ``4008001234``, or blank (the PBX's)."""
    value = str(form.get("caller_id") or "").strip()
    if value and (len(value) > 80 or _CONTROL.search(value) or not _CALLER_ID.match(value)):
        problems.add("caller_id", "bad_caller_id")
    return value


def _dial(form: Mapping[str, str], problems: _Problems) -> str:
    value = clean(form.get("dial")) or DEFAULT_DIAL
    rest = value.replace("{number}", "")
    if len(value) > 120 or not _DIAL.match(value) or "{" in rest or "}" in rest:
        problems.add("dial", "bad_dial")
    elif "{number}" not in value:
        problems.add("dial", "dial_needs_number")
    return value


def _context(form: Mapping[str, str], name: str, problems: _Problems) -> str:
    value = clean(form.get(name))
    if value and not _NAME.match(value):
        problems.add(name, f"bad_{name}")
    return value


def _number(text: str) -> float | None:
    return float(text) if _NUMBER.match(text) else None


def _concurrency(form: Mapping[str, str], problems: _Problems) -> int:
    text = clean(form.get("max_concurrent"))
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_CONCURRENT):
        problems.add("max_concurrent", "bad_concurrency", max=MAX_CONCURRENT)
        return 0
    return int(text)


def _pacing(form: Mapping[str, str], problems: _Problems) -> float:
    value = _number(clean(form.get("per_minute")))
    if value is None or not 0 < value <= MAX_PER_MINUTE:
        problems.add("per_minute", "bad_pacing", max=MAX_PER_MINUTE)
        return 0.0
    return value


def _retry(form: Mapping[str, str], problems: _Problems) -> dict[str, list[float | int]]:
    rules: dict[str, list[float | int]] = {}
    for outcome in RETRY_OUTCOMES:
        delay = _number(clean(form.get(f"retry_{outcome}_delay")))
        attempts = clean(form.get(f"retry_{outcome}_attempts"))
        ok = True
        if delay is None or delay > MAX_DELAY_MINUTES:
            problems.add(f"retry_{outcome}_delay", "bad_delay", max=MAX_DELAY_MINUTES)
            ok = False
        if not (attempts.isascii() and attempts.isdigit() and 1 <= int(attempts) <= MAX_ATTEMPTS):
            problems.add(f"retry_{outcome}_attempts", "bad_attempts", max=MAX_ATTEMPTS)
            ok = False
        if ok:
            rules[outcome] = [round(delay * 60, 3), int(attempts)]  # type: ignore[operator]
    try:  # the domain's rules have the last word
        RetryPolicy({o: Retry(dt.timedelta(seconds=v[0]), int(v[1])) for o, v in rules.items()})
    except PolicyError as exc:
        problems.add(f"retry_{exc.outcome}_attempts", "bad_attempts", max=MAX_ATTEMPTS)
    return rules


def _when(form: Mapping[str, str], name: str, zone: dt.tzinfo, problems: _Problems) -> dt.datetime | None:
    """A ``datetime-local`` field (``2026-12-02T09:00``, seconds or a space allowed) on the console's clock."""
    text = clean(form.get(name)).replace(" ", "T")
    if not text:
        return None
    try:
        local = dt.datetime.fromisoformat(text)
    except ValueError:
        local = None
    if local is None or local.tzinfo is not None or not 2000 <= local.year <= 2099:
        problems.add(name, "bad_datetime")
        return None
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


# --- the calling window -----------------------------------------------------------------------------


def _slot_time(text: str, *, end: bool) -> str | None:
    match = _TIME.match(text)
    if not match:
        return None
    h, m = int(match[1]), int(match[2])
    if end and (h, m) == (24, 0):
        return "24:00"
    return f"{h:02d}:{m:02d}" if h < 24 and m < 60 else None


def _day(form: Mapping[str, str], day: int, problems: _Problems) -> list[list[str]]:
    """One weekday's intervals as typed; a problem is added under the field ``w<day>``."""
    spans: list[list[str]] = []
    for i in range(SLOTS):
        a, b = clean(form.get(f"w{day}_{i}_from")), clean(form.get(f"w{day}_{i}_to"))
        if not a and not b:
            continue
        if not a or not b:
            problems.add(f"w{day}", "incomplete_span", start=a or "?", end=b or "?")
            return []
        start, stop = _slot_time(a, end=False), _slot_time(b, end=True)
        if start is None or stop is None:
            problems.add(f"w{day}", "bad_time", time=b if start else a)
            return []
        spans.append([start, stop])
    spans.sort()
    try:
        Window({day: tuple((wall_time(a), wall_time(b)) for a, b in spans)})
    except WindowError as exc:
        if exc.code == "ends_before_start":
            bad = next(s for s in spans if wall_time(s[1]) <= wall_time(s[0]))
            problems.add(f"w{day}", "end_before_start", span="–".join(bad))
            return []
        if exc.code == "overlap":
            problems.add(f"w{day}", "overlap")
            return []  # never_open: a day without intervals is fine on its own
    return spans


def same_as_monday(form: Mapping[str, str], day: int) -> bool:
    return day > 0 and clean(form.get(f"w{day}_same")) in ("1", "on", "true")


def _window(form: Mapping[str, str], problems: _Problems) -> dict[str, list[list[str]]]:
    monday = _day(form, 0, problems)
    days = {0: monday}
    for day in WEEKDAYS[1:]:
        days[day] = [list(s) for s in monday] if same_as_monday(form, day) else _day(form, day, problems)
    window = {str(day): spans for day, spans in days.items() if spans}
    if not window and not any(p.field.startswith("w") for p in problems.found):
        problems.add("window", "never_open")
    return window


# --- a stored campaign as its form shows it ---------------------------------------------------------


def local_input(value: dt.datetime | None, zone: dt.tzinfo) -> str:
    """An instant as a ``datetime-local`` field shows it.

    >>> local_input(dt.datetime(2026, 12, 2, 1, 30, tzinfo=dt.UTC), dt.timezone(dt.timedelta(hours=8)))
    '2026-12-02T09:30'
    """
    return value.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if value else ""


def form_of(campaign: Any, zone: dt.tzinfo) -> dict[str, str]:
    """A ``campaigns`` row (or :class:`CampaignValues`) as the form shows it."""
    out = {k: "" for k in FIELDS}
    out.update(name=campaign.name, kind=campaign.kind, mode=campaign.mode, caller_id=campaign.caller_id,
               dial=campaign.dial, context=campaign.context, queue=campaign.queue,
               allow_holidays="1" if campaign.allow_holidays else "", max_concurrent=str(campaign.max_concurrent),
               per_minute=f"{campaign.per_minute:g}", starts_at=local_input(campaign.starts_at, zone),
               ends_at=local_input(campaign.ends_at, zone))
    window = campaign.window or {}
    for day in WEEKDAYS:
        spans = window.get(str(day), [])
        if day and spans and spans == window.get("0"):
            out[f"w{day}_same"] = "1"
        for i, (a, b) in enumerate(spans[:SLOTS]):
            out[f"w{day}_{i}_from"], out[f"w{day}_{i}_to"] = a, b
    retry = campaign.retry or _default_retry()
    for outcome in RETRY_OUTCOMES:
        delay, attempts = retry.get(outcome, [0, 1])
        out[f"retry_{outcome}_delay"] = f"{float(delay) / 60:g}"
        out[f"retry_{outcome}_attempts"] = str(int(attempts))
    return out


def window_summary(window: Mapping[str, list]) -> list[tuple[int, int, str]]:
    """Weekdays in a row with the same intervals: ``(first, last, "09:00–20:00")``, for a summary.

    >>> window_summary({"0": [["09:00", "20:00"]], "1": [["09:00", "20:00"]], "6": [["10:00", "12:00"]]})
    [(0, 1, '09:00–20:00'), (6, 6, '10:00–12:00')]
    """
    found: list[tuple[int, int, str]] = []
    for day in WEEKDAYS:
        spans = ", ".join(f"{a}–{b}" for a, b in window.get(str(day), []))
        if spans and found and found[-1][1] == day - 1 and found[-1][2] == spans:
            found[-1] = (found[-1][0], day, spans)
        elif spans:
            found.append((day, day, spans))
    return found


def minutes(seconds: float) -> str:
    """A retry delay as the pages say it, in minutes.

    >>> minutes(600), minutes(90)
    ('10', '1.5')
    """
    value = seconds / 60
    return f"{value:g}" if not math.isnan(value) else ""
