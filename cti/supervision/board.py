"""The wallboard's service: the floor and today's figures kept from the bus, pushed to the screens watching.

* A bus subscriber (:meth:`Board.handle_batch`) feeds every event to the pure reducer
  (:class:`~cti.supervision.live.Floor`: calls waiting, agents' states, calls in progress) and to
  today's counters (:class:`~cti.supervision.today.Today`), and collects what changed.
* What changed is rendered once and offered to each screen (:class:`Screen`), filtered by what its
  user may see: at once when the floor was quiet, then at most every ``FLUSH_SECONDS`` (0.15 s); a screen keeps only the newest value of each row until its browser takes it, so 200 calls a
  second cost a browser about six messages a second whatever the load, and a quiet floor nothing
  (docs/PERFORMANCE.md, ``bench/wallboard.py``).
* Every ``COUNTS_SECONDS`` the hotline's open work is read from the tables: callbacks due and
  overdue, tickets at risk or breached, open escalations, today's ratings (CSAT).

Times are epoch seconds; a browser counts waits and times in state up from them by itself, so a
quiet floor sends nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from cti.calls import queries as call_queries
from cti.org import service as org
from cti.org.tree import EVERYTHING, Scope
from cti.campaigns import callbacks, surveys
from cti.events import CallEnded, CallQueued
from cti.supervision.live import CALLS, AgentLive, Floor, LiveCall
from cti.supervision.metrics import Figures, QueueCall, csat
from cti.supervision import queue_settings
from cti.supervision.reports_calls import rated_queue
from cti.supervision.reports_common import ratings_between
from cti.supervision.targets import Targets, grades
from cti.supervision.today import Today
from cti.tasks import cancel_and_wait
from cti.tickets import escalations
from cti.tickets import queries as ticket_queries

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.15  # at most about six updates a second per screen
COUNTS_SECONDS = 15.0
CALLS_SHOWN = 100  # the calls in progress a screen lists (the longest-waiting first)
CALLBACK_OVERDUE = dt.timedelta(minutes=30)  # a due callback not made after this is overdue
HOTLINE = "hotline"  # the key of the hotline-wide strip among the changed keys
DEFAULT_TARGETS = Targets()
STATES = ("available", "ringing", "on_call", "wrap_up", "paused", "unavailable")


class Screen:
    """One browser showing the wallboard: the newest value of each changed row, until it takes them."""

    def __init__(self, scope: Scope = EVERYTHING) -> None:
        self.scope = scope  # the branch and below of the person watching (cti.org)
        self.ended: str | None = None
        self._pending: dict[str, Any] = {}
        self._ready = asyncio.Event()

    def offer(self, update: dict[str, Any]) -> None:
        for section in ("queues", "agents"):
            if update.get(section):
                self._pending.setdefault(section, {}).update(update[section])
        for section in ("calls", HOTLINE):
            if section in update:
                self._pending[section] = update[section]
        if self._pending:
            self._pending["now"] = update["now"]
            self._ready.set()

    async def next(self) -> dict[str, Any] | None:
        """The changes since the last call (merged), or None when this screen must close."""
        await self._ready.wait()
        self._ready.clear()
        if self.ended is not None:
            return None
        pending, self._pending = self._pending, {}
        return pending

    def end(self, reason: str) -> None:
        self.ended = reason
        self._ready.set()


class Board:
    def __init__(self, db: Any, zone: ZoneInfo, *, window: dt.timedelta | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self.zone = zone
        self.clock = clock
        self.floor = Floor()
        self.today = Today(zone, window, thresholds=lambda queue: self.targets(queue).thresholds)
        self.settings: dict[str, Any] = {"targets": {}, "labels": {}, "units": {}, "csat": {}}  # per queue
        self.phones: dict[str, int | None] = {}  # a login's phone -> the unit its person sits in
        self.hotline: dict[str, Any] = {}
        self.screens: set[Screen] = set()
        self._open: dict[str, float] = {}  # calls offered to a queue and not ended: call id -> offered at
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()  # something is dirty: the flusher wakes
        self._flusher: asyncio.Task | None = None
        self.flushes = 0
        self.on_agents: Callable[[dict[str, dict[str, Any] | None]], None] | None = None  # agents' own consoles

    def targets(self, queue: str) -> Targets:
        return self.settings["targets"].get(queue) or DEFAULT_TARGETS

    def unit_of_phone(self, interface: str) -> int | None:
        return self.phones.get(interface)

    def unit_of_queue(self, queue: str) -> int | None:
        return self.settings["units"].get(queue)

    # -- life ------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Fill today from the call log (before the PBX's events flow), then flush on a timer."""
        await self.refresh_counts()
        await self._load_today()
        self._flusher = asyncio.create_task(self._flush_every(FLUSH_SECONDS), name="wallboard:flush")

    async def stop(self) -> None:
        if self._flusher is not None:
            await cancel_and_wait(self._flusher)
        for screen in list(self.screens):
            screen.end("stop")

    async def _load_today(self) -> None:
        now = self.clock()
        since = dt.datetime.fromtimestamp(self.today.period_start(now), dt.UTC)
        try:
            rows = await self._db.read(call_queries.queue_calls_since, since)
        except Exception:  # the database is away: the figures start from now
            log.warning("wallboard: could not read today's calls; counting from now", exc_info=True)
            rows = []
        self._open.clear()
        self.today.load(self._loaded(rows), now)

    def _loaded(self, rows: Iterable[Any]) -> Iterable[QueueCall]:
        for call_id, queue, offered_at, disposition, wait, talk, answered_by in rows:
            if disposition is None:
                self._open[call_id] = offered_at.timestamp()
            yield QueueCall(offered_at, queue, disposition, wait=wait, talk=talk, agent=answered_by or "")

    # -- events ----------------------------------------------------------------------------------------

    async def handle_batch(self, events: Sequence[object]) -> None:
        for event in events:
            self._dirty |= self.floor.apply(event)  # type: ignore[arg-type]
            if type(event) is CallQueued:
                self._offered(event)
            elif type(event) is CallEnded:
                self._ended(event)
        for interface, queue, seconds in self.floor.wraps:
            self._dirty |= self.today.wrapped(interface, queue, seconds, self.clock())
        self.floor.wraps.clear()
        self._mark(set())

    def _offered(self, e: CallQueued) -> None:
        if e.call_id not in self._open:  # once per call (a resync lists calls again)
            self._open[e.call_id] = e.at
            self._dirty |= self.today.offer(e.queue, e.at)

    def _ended(self, e: CallEnded) -> None:
        offered = self._open.pop(e.call_id, None)
        if not e.queue:
            return
        if offered is None:  # answered before we saw it queued (a restart during the call): offered too
            offered = e.offered_at
            self._dirty |= self.today.offer(e.queue, offered)
        call = QueueCall(dt.datetime.fromtimestamp(offered, dt.UTC), e.queue, e.disposition.value,
                         wait=e.wait_seconds, talk=e.talk_seconds, agent=e.answered_by)
        self._dirty |= self.today.settle(offered, call)

    async def refresh_counts(self) -> None:
        """The hotline's open work, today's ratings, the queues' settings and where the people sit, from the
        tables (a scheduler job); a queue's measuring thresholds changed: today's figures are counted again."""
        now = self.clock()
        since = dt.datetime.fromtimestamp(self.today.period_start(now), dt.UTC)
        try:
            counts, settings, phones = await self._db.read(_floor_tables, dt.datetime.fromtimestamp(now, dt.UTC), since)
        except Exception:
            log.warning("wallboard: could not read the hotline's open work", exc_info=True)
            return
        self._mark(self.today.roll(now))  # a new day on a quiet floor too
        if counts != self.hotline:
            self.hotline = counts
            self._mark({HOTLINE})
        measured = {q: t.thresholds for q, t in self.settings["targets"].items()}
        if settings != self.settings or phones != self.phones:
            self.settings, self.phones = settings, phones
            self._mark({f"queue:{q}" for q in self.all_queues()} | {f"agent:{i}" for i in self.floor.agents})
        if self._flusher is not None and measured != {q: t.thresholds for q, t in settings["targets"].items()}:
            await self._load_today()

    # -- screens ---------------------------------------------------------------------------------------

    def watch(self, scope: Scope = EVERYTHING) -> tuple[Screen, dict[str, Any]]:
        """A new screen and everything it shows now (its first message)."""
        screen = Screen(scope)
        self.screens.add(screen)
        return screen, self.snapshot(screen)

    def unwatch(self, screen: Screen) -> None:
        self.screens.discard(screen)

    def all_queues(self) -> set[str]:
        return set(self.floor.queued) | set(self.today.queues) | set(self.settings["csat"]) | {
            q for agent in self.floor.agents.values() for q in agent.queues}

    def sees_queue(self, screen: Screen, queue: str) -> bool:
        return screen.scope.covers(self.settings["units"].get(queue))

    def sees_agent(self, screen: Screen, interface: str, queues: Iterable[str]) -> bool:
        """A person's phone by where they sit; a phone no login is bound to by its queues."""
        if interface in self.phones:
            return screen.scope.covers(self.phones[interface])
        return any(self.sees_queue(screen, q) for q in queues)

    def snapshot(self, screen: Screen) -> dict[str, Any]:
        now = self.clock()
        return {"now": now,
                "queues": {q: self._queue_row(q, now) for q in sorted(self.all_queues()) if self.sees_queue(screen, q)},
                "agents": {i: self._agent_row(a) for i, a in sorted(self.floor.agents.items())
                           if self.sees_agent(screen, i, a.queues)},
                "calls": self._calls(screen), HOTLINE: self.hotline}

    async def _flush_every(self, seconds: float) -> None:
        """Flush as soon as something changed, then not again for ``seconds`` (what changes meanwhile goes
        out together): an event on a quiet floor shows at once, a busy floor about six updates a second,
        an idle one nothing."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a bug must not stop the wallboard for good
                log.exception("wallboard: a flush failed")
            await asyncio.sleep(seconds)

    def _mark(self, keys: set[str]) -> None:
        """``keys`` changed (with whatever is dirty already): the flusher is woken."""
        self._dirty |= keys
        if self._dirty:
            self._wake.set()

    def flush(self) -> None:
        """Offer every screen what changed since the last flush (one rendering for all of them)."""
        now = self.clock()
        self._dirty |= self.today.roll(now)
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        queues, agents = self._changed(dirty)
        rows = {"queues": {q: self._queue_row(q, now) for q in queues},
                "agents": {i: self._agent_row(self.floor.agents[i]) if i in self.floor.agents else None
                           for i in agents}}
        self.flushes += 1
        if self.on_agents is not None and rows["agents"]:
            self.on_agents(rows["agents"])
        for screen in list(self.screens):
            update: dict[str, Any] = {"now": now,
                                      "queues": {q: r for q, r in rows["queues"].items() if self.sees_queue(screen, q)},
                                      "agents": {i: r for i, r in rows["agents"].items()
                                                 if self.sees_agent(screen, i, r["queues"] if r else queues)}}
            if CALLS in dirty:
                update["calls"] = self._calls(screen)
            if HOTLINE in dirty:
                update[HOTLINE] = self.hotline
            screen.offer(update)

    def _changed(self, dirty: set[str]) -> tuple[set[str], set[str]]:
        """The queues and agents to render again: an agent's change changes its queues' counts too."""
        queues = {k[6:] for k in dirty if k.startswith("queue:")}
        agents = {k[6:] for k in dirty if k.startswith("agent:")}
        for interface in agents:
            agent = self.floor.agents.get(interface)
            if agent is not None:
                queues |= agent.queues
        return queues, agents

    # -- rows ------------------------------------------------------------------------------------------

    def _queue_row(self, queue: str, now: float) -> dict[str, Any]:
        figures = self.today.queue(queue)
        joined = self.floor.queued.get(queue)
        oldest = min(joined.values()) if joined else None
        members = self.floor.in_queue(queue)
        states = {state: sum(a.state == state for a in members) for state in STATES}
        values = _figure_values(figures)
        share, ratings = self.settings["csat"].get(queue, (None, 0))
        values.update(waiting=self.floor.waiting(queue), longest_wait=None if oldest is None else now - oldest,
                      csat=share, ratings=ratings)
        return {"name": queue, "label": self.settings["labels"].get(queue, ""), "waiting": values["waiting"], "oldest": oldest, "logged_in": len(members),
                "states": states, **{k: v for k, v in values.items() if k not in ("waiting", "longest_wait")},
                "grades": grades(self.targets(queue), values), "limits": _limits(self.targets(queue))}

    def agent_view(self, interface: str) -> dict[str, Any] | None:
        """One phone's row (None: in no queue), as the wallboard and the agent's own bar show it."""
        agent = self.floor.agents.get(interface)
        return self._agent_row(agent) if agent is not None else None

    def _agent_row(self, agent: AgentLive) -> dict[str, Any]:
        mine = self.today.agent(agent.interface)
        call = self.floor.calls.get(agent.talking or agent.ringing)
        return {"interface": agent.interface, "name": agent.name, "state": agent.state, "since": agent.since,
                "reason": agent.reason, "queues": sorted(agent.queues), "answered": mine.answered, "aht": mine.aht,
                "call": _call_row(call) if call is not None else None}

    def _calls(self, screen: Screen) -> dict[str, Any]:
        mine = [c for c in self.floor.calls.values() if (c.queue and self.sees_queue(screen, c.queue))
                or (c.agent and self.sees_agent(screen, c.agent, self._queues_of(c.agent)))]
        mine.sort(key=lambda c: c.since)
        return {"total": len(mine), "list": [_call_row(c) for c in mine[:CALLS_SHOWN]]}

    def _queues_of(self, interface: str) -> set[str]:
        agent = self.floor.agents.get(interface)
        return agent.queues if agent is not None else set()


def _figure_values(f: Figures) -> dict[str, Any]:
    return {"offered": f.offered, "answered": f.answered, "abandoned": f.abandoned,
            "service_level": f.service_level, "abandon_rate": f.abandon_rate, "asa": f.asa, "aht": f.aht}


def _limits(t: Targets) -> dict[str, Any]:
    """What a browser needs to colour the waits it counts up by itself."""
    return {"longest_wait": list(t.longest_wait)}


def _known(value: str) -> str:
    """Asterisk's ``<unknown>`` is no number or name to show."""
    return "" if value.strip().lower() in ("", "<unknown>", "unknown") else value


def _call_row(c: LiveCall) -> dict[str, Any]:
    return {"id": c.call_id, "queue": c.queue, "caller_num": _known(c.caller_num), "caller_name": _known(c.caller_name),
            "since": c.since, "answered_at": c.answered_at, "agent": c.agent, "wait": c.wait}


def _floor_tables(session: Any, now: dt.datetime, since: dt.datetime) -> tuple[dict, dict, dict]:
    """One read: the hotline's open work, the queues' settings (and today's CSAT of each queue, by the queue
    its rated tickets came through), the people's phones and branches."""
    settings = queue_settings.floor_settings(session)
    settings["csat"] = {q: (c.share, c.ratings) for q, c in ratings_between(session, since, now, rated_queue()).items()}
    return _hotline_counts(session, now, since), settings, org.phones_placed(session)


def _hotline_counts(session: Any, now: dt.datetime, since: dt.datetime) -> dict[str, Any]:
    due, overdue = callbacks.floor_counts(session, now, CALLBACK_OVERDUE)
    promises = ticket_queries.promise_counts(session)
    rated = csat(r for r, _ in surveys.ratings_since(session, since))
    return {"callbacks_due": due, "callbacks_overdue": overdue, "tickets_at_risk": promises["at_risk"],
            "tickets_breached": promises["breached"], "escalations": escalations.open_count(session),
            "ratings": rated.ratings, "csat": rated.share, "csat_mean": rated.mean}
