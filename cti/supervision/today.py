"""Today's figures per queue and per agent, kept as calls come and go (the wallboard's counters).

Pure: no I/O, the time is given. A call is *offered* to its queue when it joins it and *settled* when
it ends (answered, abandoned …); after-call work is added when the agent's wrap-up pause ends. Every
change is a small :class:`~cti.supervision.metrics.Tally` (a delta) added to the queue's and the
agent's tallies, at the instant the call was offered:

* ``since midnight`` (``window=None``): the counters start again at the hotline's local midnight; a
  call offered before it and ending after it counts in its first day (docs/METRICS.md), so here not
  at all;
* a sliding window (a centre open 24 h): the deltas are kept in time order and taken back when
  they fall out of the window.

At start the service fills it from the call log (:meth:`Today.load`) and from then on from the
events.

>>> import datetime as dt
>>> from zoneinfo import ZoneInfo
>>> today = Today(ZoneInfo("Asia/Shanghai"))
>>> nine = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC).timestamp()  # 09:00 in Shanghai
>>> today.load([], now=nine)  # nothing in the call log yet
>>> sorted(today.offer("support", nine))
['queue:support']
>>> _ = today.settle(nine, QueueCall(dt.datetime.fromtimestamp(nine, dt.UTC), "support", "answered", 12, 60,
...                                  agent="PJSIP/1001"))
>>> f = today.queue("support"); (f.offered, f.answered, f.service_level, f.aht)
(1, 1, 1.0, 60.0)
>>> sorted(today.roll(nine + 16 * 3600))  # 01:00 the next day: a new day
['agent:PJSIP/1001', 'queue:support']
>>> today.queue("support").offered
0
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from cti.supervision.metrics import Figures, QueueCall, Tally, Thresholds

EMPTY = Tally()


class Today:
    def __init__(self, zone: ZoneInfo, window: dt.timedelta | None = None,
                 thresholds: Callable[[str], Thresholds] = lambda queue: Thresholds()) -> None:
        self.zone = zone
        self.window = window
        self.thresholds = thresholds
        self.queues: dict[str, Tally] = {}
        self.agents: dict[str, Tally] = {}
        self._start = 0.0  # the period's first instant (epoch seconds)
        self._end = 0.0  # since midnight: the next midnight
        self._kept: list[tuple[float, int, str, str, Tally]] = []  # a window's deltas, oldest first (a heap)
        self._order = itertools.count()

    def period_start(self, now: float) -> float:
        """Where the period begins at ``now``: the local midnight, or ``now`` less the window."""
        if self.window is not None:
            return now - self.window.total_seconds()
        local = dt.datetime.fromtimestamp(now, self.zone)
        return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()

    def load(self, calls: Iterable[QueueCall], now: float) -> None:
        """Start from the call log: the calls offered in the current period, as they stand."""
        self.queues.clear()
        self.agents.clear()
        self._kept.clear()
        self._set_period(now)
        for call in calls:
            at = call.offered_at.timestamp()
            self._add(at, call.queue, "", _offered())
            self._add(at, call.queue, call.agent, self._settled(call))

    def offer(self, queue: str, at: float) -> set[str]:
        """A call joined ``queue`` at ``at``."""
        return self._add(at, queue, "", _offered()) if queue else set()

    def settle(self, offered_at: float, call: QueueCall) -> set[str]:
        """How a call offered at ``offered_at`` ended; one offered before the period is not counted."""
        if not call.queue or offered_at < self._start:
            return set()
        return self._add(offered_at, call.queue, call.agent, self._settled(call))

    def wrapped(self, interface: str, queue: str, seconds: float, at: float) -> set[str]:
        """After-call work of ``seconds`` ended at ``at`` (it belongs to the call before it)."""
        delta = Tally()
        delta.wrap(seconds)
        return self._add(at - seconds, queue, interface, delta)

    def roll(self, now: float) -> set[str]:
        """Move the period to ``now``: a new day starts empty, a window drops what fell out; the keys changed."""
        if self.window is None:
            if now < self._end:
                return set()
            changed = _keys(self.queues, self.agents)
            self.queues.clear()
            self.agents.clear()
            self._set_period(now)
            return changed
        self._start = self.period_start(now)
        changed: set[str] = set()
        while self._kept and self._kept[0][0] < self._start:
            _, _, queue, agent, delta = heapq.heappop(self._kept)
            changed |= self._apply(queue, agent, delta, -1)
        return changed

    def queue(self, name: str) -> Figures:
        return self.queues.get(name, EMPTY).figures()

    def agent(self, interface: str) -> Figures:
        return self.agents.get(interface, EMPTY).figures()

    # -- inside ----------------------------------------------------------------------------------------

    def _set_period(self, now: float) -> None:
        self._start = self.period_start(now)
        if self.window is None:
            local = dt.datetime.fromtimestamp(self._start, self.zone)
            self._end = (local + dt.timedelta(days=1, hours=2)).replace(hour=0).timestamp()  # a DST-safe next midnight

    def _settled(self, call: QueueCall) -> Tally:
        delta = Tally()
        delta.settle(call, self.thresholds(call.queue))
        return delta

    def _add(self, at: float, queue: str, agent: str, delta: Tally) -> set[str]:
        if at < self._start:
            return set()
        if self.window is not None:
            heapq.heappush(self._kept, (at, next(self._order), queue, agent, delta))
        return self._apply(queue, agent, delta, 1)

    def _apply(self, queue: str, agent: str, delta: Tally, n: int) -> set[str]:
        changed = set()
        if queue:
            self.queues.setdefault(queue, Tally()).merge(delta, n)
            changed.add(f"queue:{queue}")
        if agent:
            self.agents.setdefault(agent, Tally()).merge(delta, n)
            changed.add(f"agent:{agent}")
        return changed


def _offered() -> Tally:
    delta = Tally()
    delta.offer()
    return delta


def _keys(queues: dict[str, Tally], agents: dict[str, Tally]) -> set[str]:
    return {f"queue:{q}" for q in queues} | {f"agent:{a}" for a in agents}
