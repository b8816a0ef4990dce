"""The reports' figures as pure functions: the period a query names, the totals a day's calls add up to,
and the shares and promise outcomes of docs/METRICS.md, "Reports".

The call figures are :func:`cti.supervision.metrics.figures` itself: a day's calls are reduced to
:class:`CallTotals` (counts and second totals) once, stored per day, summed over the period, and turned
back into :class:`~cti.supervision.metrics.Figures` by :func:`figures_of` — the same numbers as
``figures()`` over the period's calls (the longest wait excepted: a report does not show it).

>>> import datetime as dt
>>> p = parse_period("week", "2026-12-02", "", today=dt.date(2026, 12, 9))
>>> (p.start.isoformat(), p.end.isoformat(), p.days)
('2026-11-30', '2026-12-06', 7)
>>> share(0, 0) is None, share(1, 4)
(True, 0.25)
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields

from cti.supervision.metrics import Figures, QueueCall, Thresholds, figures

PERIODS = ("day", "week", "month", "custom")
MAX_DAYS = 366  # a custom period: at most a year


class PeriodError(ValueError):
    """A period the query cannot name; ``code`` is translated on the page (``report.error.<code>``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Period:
    kind: str  # one of PERIODS
    start: dt.date  # the first local day
    end: dt.date  # the last local day (inclusive)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """The instants it covers: from its first local midnight to the midnight after its last day."""
        return (dt.datetime.combine(self.start, dt.time(), zone),
                dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), zone))


def parse_period(kind: str, start: str, end: str, *, today: dt.date) -> Period:
    """``day``/``week``/``month``: the day, Monday-to-Sunday week or calendar month holding ``start``
    (today when empty); ``custom``: ``start`` to ``end``, both needed, at most :data:`MAX_DAYS` days."""
    kind = kind or "day"
    if kind not in PERIODS:
        raise PeriodError("period")
    first = _date(start, "from") if start else today
    if kind == "day":
        return Period(kind, first, first)
    if kind == "week":
        monday = first - dt.timedelta(days=first.weekday())
        return Period(kind, monday, monday + dt.timedelta(days=6))
    if kind == "month":
        last = calendar.monthrange(first.year, first.month)[1]
        return Period(kind, first.replace(day=1), first.replace(day=last))
    if not start or not end:
        raise PeriodError("custom_needs_both")
    last = _date(end, "to")
    if last < first:
        raise PeriodError("reversed")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError("too_long")
    return Period(kind, first, last)


def _date(text: str, which: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise PeriodError(which) from None
    if len(text) != 10 or not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise PeriodError(which)
    return day


def days_of(period: Period) -> list[dt.date]:
    return [period.start + dt.timedelta(days=n) for n in range(period.days)]


def share(part: float, whole: float) -> float | None:
    """``part ÷ whole``; None (shown "—") when there is nothing to divide by."""
    return part / whole if whole else None


# -- calls ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CallTotals:
    """What a set of calls adds up to (a row of ``report_queue_days`` / ``report_agent_days``)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_in_time: int = 0
    wait_answered: float = 0.0
    handle_time: float = 0.0

    def __add__(self, other: CallTotals) -> CallTotals:
        return CallTotals(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(CallTotals)))


TOTAL_FIELDS = tuple(f.name for f in fields(CallTotals))


def call_totals(calls: Iterable[QueueCall], thresholds: Thresholds = Thresholds()) -> CallTotals:
    """A day's calls of a queue or an agent reduced to totals, through :func:`metrics.figures`."""
    f = figures(calls, thresholds)
    return CallTotals(offered=f.offered, answered=f.answered, abandoned=f.abandoned,
                      short_abandoned=f.short_abandoned, answered_in_time=f.answered_in_time,
                      wait_answered=(f.asa or 0.0) * f.answered, handle_time=(f.aht or 0.0) * f.answered)


def figures_of(t: CallTotals) -> Figures:
    """The figures of summed totals (a period's days), as :func:`metrics.figures` defines them."""
    return Figures(offered=t.offered, answered=t.answered, abandoned=t.abandoned, short_abandoned=t.short_abandoned,
                   answered_in_time=t.answered_in_time, service_level=share(t.answered_in_time, t.answered),
                   abandon_rate=share(t.abandoned, t.answered + t.abandoned), asa=share(t.wait_answered, t.answered),
                   aht=share(t.handle_time, t.answered), longest_wait=None)


def sum_totals(totals: Iterable[CallTotals]) -> CallTotals:
    result = CallTotals()
    for t in totals:
        result = result + t
    return result


# -- promises: callbacks (the SLA clocks' outcome is SQL: reports_tickets.promise_case), tallies -------------------------------------

KEPT, BROKEN, PENDING, LEFT_OUT = "kept", "broken", "pending", "left_out"


DONE_STATES = frozenset({"done"})
WITHDRAWN_STATES = frozenset({"cancelled", "do_not_call"})  # the caller got through another way, or asked not to be called


def callback_outcome(*, state: str, changed_at: dt.datetime, promised_at: dt.datetime, now: dt.datetime) -> str:
    """A callback against its promise: kept (done by the promised time), broken (done later, given up, or
    still open after it), pending (open, in time), left out (cancelled, do-not-call)."""
    if state in WITHDRAWN_STATES:
        return LEFT_OUT
    if state in DONE_STATES:
        return KEPT if changed_at <= promised_at else BROKEN
    if state in ("pending", "dialling", "assigned") and now <= promised_at:
        return PENDING
    return BROKEN


@dataclass(slots=True)
class Tally:
    """Promises counted by outcome; ``share`` = kept ÷ (kept + broken), pending ones not yet decided."""

    kept: int = 0
    broken: int = 0
    pending: int = 0
    left_out: int = 0

    def add(self, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)

    def merge(self, other: Tally) -> None:
        self.kept, self.broken = self.kept + other.kept, self.broken + other.broken
        self.pending, self.left_out = self.pending + other.pending, self.left_out + other.left_out

    @property
    def decided(self) -> int:
        return self.kept + self.broken

    @property
    def share(self) -> float | None:
        return share(self.kept, self.decided)


# -- product models ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ModelFigures:
    model: str
    units: int  # products of the model registered to customers, bought by the period's last day
    complaints: int  # complaint tickets opened in the period
    repairs: int  # repair tickets opened in the period

    @property
    def complaint_rate(self) -> float | None:
        return share(self.complaints, self.units)

    @property
    def fault_rate(self) -> float | None:
        return share(self.repairs, self.units)
