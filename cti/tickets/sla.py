"""SLA clocks: the promises a ticket makes to the customer, counted in business time.

A :class:`Clock` is a value: ``start``, ``pause``, ``resume`` and ``stop`` return a new one. Time is
always given (``now``, aware); the business calendar (:mod:`cti.tickets.calendar`) is passed in.
A ticket opened Friday 17:00 in Shanghai with 24 business hours to first contact, on a
Monday-Friday 09:00-18:00 calendar: 1 h on Friday, 9 on Monday, 9 on Tuesday, 5 on Wednesday.

>>> import datetime as dt
>>> from zoneinfo import ZoneInfo
>>> from cti.tickets.calendar import BusinessCalendar
>>> SH = ZoneInfo("Asia/Shanghai")
>>> cal = BusinessCalendar(SH)
>>> opened = dt.datetime(2026, 3, 6, 17, 0, tzinfo=SH)  # a Friday
>>> clock = start(FIRST_CONTACT, Policy().budgets(on_site_applies=False)[FIRST_CONTACT], opened)
>>> due_at(clock, cal).astimezone(SH).strftime("%a %Y-%m-%d %H:%M")
'Wed 2026-03-11 14:00'
>>> status(clock, cal, dt.datetime(2026, 3, 11, 9, 0, tzinfo=SH))  # 19 of 24 h used: below 80 %
'ok'
>>> status(clock, cal, dt.datetime(2026, 3, 11, 11, 0, tzinfo=SH))  # 21 h: at risk
'at_risk'
>>> done = stop(clock, cal, dt.datetime(2026, 3, 11, 14, 30, tzinfo=SH))
>>> status(done, cal, dt.datetime(2026, 3, 12, 9, 0, tzinfo=SH)), done.used / 3600
('breached', 24.5)

Status boundaries: ``used == budget`` is not breached, ``used > budget`` is; ``used >= ratio x
budget`` is at risk. A stopped clock keeps the business seconds it had used, so whether its promise
was met is known without the calendar. A paused clock has no due time; a resumed one is projected
again from ``running_since`` with what is left. The SLA tick should compare ``now`` with the
``due_at`` / ``at_risk_at`` kept on the ticket rather than recount every clock.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace

from cti.tickets.calendar import UTC, BusinessCalendar

FIRST_CONTACT = "first_contact"
ON_SITE = "on_site"
RESOLUTION = "resolution"
KINDS = (FIRST_CONTACT, ON_SITE, RESOLUTION)
STATUSES = ("ok", "at_risk", "breached", "met", "paused")
DEFAULT_RATIO = 0.8


@dataclass(frozen=True, slots=True)
class Clock:
    """One promise. Running: ``running_since`` set; paused: ``paused_at`` set; stopped: ``stopped_at`` set."""

    kind: str
    budget: float  # business seconds promised
    used: float = 0.0  # business seconds used before running_since (all of them once paused or stopped)
    running_since: dt.datetime | None = None
    stopped_at: dt.datetime | None = None  # the promise was kept (maybe late) or ended
    paused_at: dt.datetime | None = None

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None


def start(kind: str, budget_seconds: float, now: dt.datetime) -> Clock:
    """A running clock with ``budget_seconds`` of business time."""
    if kind not in KINDS:
        raise ValueError(f"unknown clock kind {kind!r}; one of {', '.join(KINDS)}")
    if not math.isfinite(budget_seconds) or budget_seconds <= 0:
        raise ValueError(f"a clock's budget must be a number of seconds > 0, not {budget_seconds!r}")
    return Clock(kind=kind, budget=float(budget_seconds), running_since=_utc(now))


def pause(clock: Clock, cal: BusinessCalendar, now: dt.datetime) -> Clock:
    """Stop counting (waiting for the customer, for parts); a clock not running is returned unchanged."""
    if clock.running_since is None:
        return clock
    now = _utc(now)
    return replace(clock, used=_used(clock, cal, now), running_since=None, paused_at=now)


def resume(clock: Clock, now: dt.datetime) -> Clock:
    """Count again from ``now``; only a paused clock changes."""
    if clock.paused_at is None or clock.stopped_at is not None:
        return clock
    return replace(clock, running_since=_utc(now), paused_at=None)


def stop(clock: Clock, cal: BusinessCalendar, now: dt.datetime) -> Clock:
    """The promise was kept (in time or late) or ended; keeps ``used``. Idempotent."""
    if clock.stopped_at is not None:
        return clock
    now = _utc(now)
    return replace(clock, used=_used(clock, cal, now), running_since=None, paused_at=None, stopped_at=now)


def used_at(clock: Clock, cal: BusinessCalendar, now: dt.datetime) -> float:
    """Business seconds used by ``now``."""
    return _used(clock, cal, now)


def left_at(clock: Clock, cal: BusinessCalendar, now: dt.datetime) -> float:
    """Business seconds left at ``now``; negative once breached."""
    return clock.budget - used_at(clock, cal, now)


def due_at(clock: Clock, cal: BusinessCalendar) -> dt.datetime | None:
    """When the budget runs out if the clock keeps running; None when paused or stopped.

    A clock resumed with its budget already spent is due at ``running_since`` (it was overdue
    then; the real instant lies before the pause and is not kept).
    """
    return _projected(clock, cal, clock.budget)


def at_risk_at(clock: Clock, cal: BusinessCalendar, ratio: float = DEFAULT_RATIO) -> dt.datetime | None:
    """When ``ratio x budget`` is used (may be in the past); None when paused or stopped."""
    _check_ratio(ratio)
    return _projected(clock, cal, ratio * clock.budget)


def status(clock: Clock, cal: BusinessCalendar, now: dt.datetime, ratio: float = DEFAULT_RATIO) -> str:
    """``met`` / ``breached`` for a stopped clock; else ``breached``, ``paused``, ``at_risk`` or ``ok``."""
    _check_ratio(ratio)
    if clock.stopped_at is not None:
        return "breached" if clock.used > clock.budget else "met"
    used = used_at(clock, cal, now)
    if used > clock.budget:
        return "breached"
    if clock.paused_at is not None:
        return "paused"
    return "at_risk" if used >= ratio * clock.budget else "ok"


@dataclass(frozen=True, slots=True)
class Policy:
    """Which clocks a new ticket starts, in business hours (None: no such promise)."""

    first_contact: float | None = 24
    on_site: float | None = 12
    resolution: float | None = None
    at_risk_ratio: float = DEFAULT_RATIO
    pause_while_waiting: bool = True  # waiting for the customer or for parts (待件) pauses the clocks
    calendar: str = "business"  # the name of a calendar, resolved by the caller

    def __post_init__(self) -> None:
        for kind in KINDS:
            hours = getattr(self, kind)
            if hours is not None and (
                isinstance(hours, bool) or not isinstance(hours, int | float) or not 0 < hours < math.inf
            ):
                raise ValueError(f"SLA policy: {kind} must be a number of hours > 0 or None, not {hours!r}")
        _check_ratio(self.at_risk_ratio)
        if not isinstance(self.calendar, str) or not self.calendar.strip():
            raise ValueError(f"SLA policy: calendar must name a calendar, not {self.calendar!r}")

    def budgets(self, on_site_applies: bool) -> dict[str, float]:
        """Business seconds per clock a new ticket starts; ``on_site`` only for on-site service."""
        hours = {FIRST_CONTACT: self.first_contact, ON_SITE: self.on_site if on_site_applies else None}
        hours[RESOLUTION] = self.resolution
        return {kind: h * 3600.0 for kind, h in hours.items() if h is not None}


def _used(clock: Clock, cal: BusinessCalendar, now: dt.datetime) -> float:
    if clock.running_since is None:
        return clock.used
    return clock.used + cal.between(clock.running_since, now)


def _projected(clock: Clock, cal: BusinessCalendar, mark: float) -> dt.datetime | None:
    if clock.running_since is None:
        return None
    return cal.add(clock.running_since, max(mark - clock.used, 0.0))


def _check_ratio(ratio: float) -> None:
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0 < ratio < 1:
        raise ValueError(f"the at-risk ratio must be between 0 and 1 (exclusive), not {ratio!r}")


def _utc(now: dt.datetime) -> dt.datetime:
    if not isinstance(now, dt.datetime) or now.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed, not {now!r}")
    return now.astimezone(UTC)
