"""The figures of a queue, an agent or a period, as pure functions over what the call log holds.

Each figure is defined in ``docs/METRICS.md``; the rules, in short:

* a call belongs to the day (and the period) in which it was **offered**, in the hotline's time zone,
  even when it is answered or ends after midnight;
* **service level** = answered within the threshold (``wait <= 20 s`` by default) ÷ answered, as
  Asterisk's ``ServicelevelPerf`` counts it (``app_queue``: ``callcompletedinsl`` is ``holdtime <=
  servicelevel`` at connect, divided by the calls completed);
* **abandon rate** = abandoned ÷ (answered + abandoned), leaving out the abandons shorter than a
  threshold (``wait < 5 s`` by default: a wrong number, a caller who hung up on the greeting);
  abandoned means the caller left unanswered, whether or not a phone was rung (``abandoned`` and
  ``missed`` in the call log);
* **ASA** = the total wait of the answered calls ÷ answered;
* **AHT** = (talk + after-call work) ÷ handled (answered, a transferred call included: it was answered);
* **CSAT** = ratings of 4 or 5 ÷ ratings (the follow-ups' 1-5 keys), with the mean beside it.

>>> import datetime as dt
>>> at = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
>>> f = figures([QueueCall(at, "support", "answered", wait=12, talk=200, wrap=30),
...              QueueCall(at, "support", "answered", wait=45, talk=100),
...              QueueCall(at, "support", "abandoned", wait=30),
...              QueueCall(at, "support", "abandoned", wait=3)])
>>> (f.offered, f.answered, f.abandoned, f.short_abandoned, f.service_level, f.abandon_rate, f.asa, f.aht)
(4, 2, 1, 1, 0.5, 0.3333333333333333, 28.5, 165.0)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

ANSWERED = frozenset({"answered", "transferred"})  # the caller talked to an agent
ABANDONED = frozenset({"abandoned", "missed"})  # the caller left before anyone answered
SATISFIED = 4  # a rating of 4 or 5 counts as satisfied


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What a queue's figures are measured against (per queue in the settings)."""

    service_level_seconds: float = 20.0  # answered within this wait counts for the service level
    short_abandon_seconds: float = 5.0  # abandons with a shorter wait are left out of the abandon rate


@dataclass(frozen=True, slots=True)
class QueueCall:
    """What the figures need of one call (a row of the call log, and its after-call work)."""

    offered_at: dt.datetime  # timezone-aware
    queue: str
    disposition: str | None  # answered | transferred | abandoned | missed | failed | None: in progress
    wait: float | None = None  # seconds in the queue before it was answered or abandoned
    talk: float | None = None  # seconds talking with the agent who answered
    wrap: float = 0.0  # seconds of after-call work the agent took after it
    agent: str = ""  # the interface that answered


@dataclass(frozen=True, slots=True)
class Figures:
    offered: int  # calls offered, in progress ones included
    answered: int
    abandoned: int  # counted abandons (at least the short threshold)
    short_abandoned: int  # abandons left out of the rate
    answered_in_time: int
    service_level: float | None  # 0..1; None without an answered call
    abandon_rate: float | None  # 0..1; None without a counted call
    asa: float | None  # seconds
    aht: float | None  # seconds
    longest_wait: float | None  # the longest wait of an answered or abandoned call, seconds


@dataclass(slots=True)
class Tally:
    """The sums a queue's or an agent's figures are made of; kept as calls come and go (the wallboard's
    day) or filled from a set of calls (:func:`figures`). Every count and sum can be taken back
    (``n=-1``: a sliding window dropping its oldest calls); ``longest`` only grows."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_in_time: int = 0
    waited: float = 0.0  # the answered calls' wait
    handled_time: float = 0.0  # talk and after-call work of the answered calls
    longest: float | None = None

    def offer(self, n: int = 1) -> None:
        self.offered += n

    def settle(self, call: QueueCall, thresholds: Thresholds, n: int = 1) -> None:
        """Count how ``call`` ended (nothing for a call in progress or a failed one)."""
        wait = call.wait or 0.0
        if call.disposition in ANSWERED:
            self.answered += n
            self.waited += n * wait
            self.answered_in_time += n * (wait <= thresholds.service_level_seconds)
            self.handled_time += n * ((call.talk or 0.0) + call.wrap)
        elif call.disposition in ABANDONED:
            if wait < thresholds.short_abandon_seconds:
                self.short_abandoned += n
                return
            self.abandoned += n
        else:
            return
        if n > 0:
            self.longest = wait if self.longest is None else max(self.longest, wait)

    def wrap(self, seconds: float, n: int = 1) -> None:
        """After-call work taken after an answered call (it counts in the AHT)."""
        self.handled_time += n * seconds

    def merge(self, other: Tally, n: int = 1) -> None:
        """Add ``other``'s counts and sums (``n=-1``: take them back)."""
        self.offered += n * other.offered
        self.answered += n * other.answered
        self.abandoned += n * other.abandoned
        self.short_abandoned += n * other.short_abandoned
        self.answered_in_time += n * other.answered_in_time
        self.waited += n * other.waited
        self.handled_time += n * other.handled_time
        if n > 0 and other.longest is not None:
            self.longest = other.longest if self.longest is None else max(self.longest, other.longest)

    def figures(self) -> Figures:
        answered, abandoned = self.answered, self.abandoned
        return Figures(offered=self.offered, answered=answered, abandoned=abandoned,
                       short_abandoned=self.short_abandoned, answered_in_time=self.answered_in_time,
                       service_level=_share(self.answered_in_time, answered),
                       abandon_rate=_share(abandoned, answered + abandoned), asa=_share(self.waited, answered),
                       aht=_share(self.handled_time, answered), longest_wait=self.longest)


def figures(calls: Iterable[QueueCall], thresholds: Thresholds = Thresholds()) -> Figures:
    """The figures of a set of calls (a queue's day, an agent's week ...)."""
    tally = Tally()
    for call in calls:
        tally.offer()
        tally.settle(call, thresholds)
    return tally.figures()


def _share(part: float, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class Csat:
    ratings: int
    satisfied: int  # ratings of 4 or 5
    share: float | None  # satisfied ÷ ratings
    mean: float | None


def csat(ratings: Iterable[int]) -> Csat:
    """The follow-ups' ratings (1-5) as CSAT: the satisfied share and the mean; ratings outside 1-5 are
    not ratings (the IVR stores none, a form refuses them) and are ignored."""
    valid = [r for r in ratings if 1 <= r <= 5]
    satisfied = sum(r >= SATISFIED for r in valid)
    return Csat(ratings=len(valid), satisfied=satisfied, share=_share(satisfied, len(valid)),
                mean=_share(sum(valid), len(valid)))


def day_of(offered_at: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The day a call belongs to: the local date it was offered (a call across midnight stays in its first day)."""
    return offered_at.astimezone(zone).date()


def by_day(calls: Iterable[QueueCall], zone: ZoneInfo) -> dict[dt.date, list[QueueCall]]:
    """Calls grouped by the day they belong to, in date order."""
    days: dict[dt.date, list[QueueCall]] = {}
    for call in calls:
        days.setdefault(day_of(call.offered_at, zone), []).append(call)
    return dict(sorted(days.items()))


def in_window(calls: Iterable[QueueCall], now: dt.datetime, window: dt.timedelta) -> list[QueueCall]:
    """The calls offered in the last ``window`` before ``now`` (a centre open 24 h: a sliding window
    instead of "since midnight")."""
    start = now - window
    return [c for c in calls if start < c.offered_at <= now]
