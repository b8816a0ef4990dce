"""Screen pops: when an agent's phone rings, that agent's console shows who calls.

A bus subscriber. On ``AgentRinging`` it normalises the caller's number, looks
the customers up (once per call, however many phones ring), and pushes a
``pop`` message to the users whose login is bound to the ringing interface.
Later events of the call update every pop it made: answered by you, answered
by someone else, stopped ringing, ended.

It keeps, per call, the caller's card and, per interface rung, who got the pop
and where that pop stands (:class:`AgentPop`). That state, not only the push
buffer, is what a console that connects mid-call is shown (:meth:`PopService.live`):
a second tab, a login during a call, every console after a restart (the
tracker's resync brings the calls back as ringing or answered; a call answered
before this process saw it ring pops as ``answered``).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from cti.bus import BatchPartlyFailed
from cti.calls import queries as calls
from cti.customers import service as customers
from cti.events import (
    AgentRingEnded,
    AgentRinging,
    CallAnswered,
    CallEnded,
    CallOffered,
    CallTransferred,
    Direction,
    RingOutcome,
    TicketChanged,
    TicketOpened,
)
from cti.logs import clean
from cti.phone import PhoneInfo
from cti.push import Hub
from cti.store import Database
from cti.tickets import queries as tickets
from cti.users import service as users

log = logging.getLogger(__name__)
DIRECTORY_TTL = 5.0
LIVE = frozenset({"ringing", "answered"})  # a pop in these states is shown to a console that connects


@dataclass
class Caller:
    """Who calls, as the pop shows them: the card is looked up once per call and caller number."""

    raw: str
    name: str
    e164: str | None
    cards: list[dict[str, Any]]
    recent: list[dict[str, Any]]
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)  # language -> caller block of the pop


@dataclass
class AgentPop:
    """The pop of one call on the consoles of one interface, and where it stands."""

    users: set[int]
    state: str  # ringing | answered | missed | caller_left | answered_elsewhere | transferred
    at: float
    queue: str
    by: str = ""  # answered_elsewhere: who answered


@dataclass
class _Call:
    caller: Caller
    agents: dict[str, AgentPop] = field(default_factory=dict)  # interface -> its pop (kept when the number changes)
    origin: dict[str, Any] | None = None  # a campaign's call (a callback): why it was made, for the pop
    origin_of: str = ""  # the ActionID the origin was read for


class PopService:
    def __init__(
        self,
        db: Database,
        hub: Hub,
        normalise: Callable[[str, str], PhoneInfo],
        tz: dt.tzinfo,
        language: str = "zh",
        clock: Callable[[], float] = time.monotonic,
        origin_of: Callable[[str], Awaitable[dict[str, Any] | None]] | None = None,
    ) -> None:
        self._db = db
        self._origin_of = origin_of  # a campaign call's ActionID → why it was made (cti.campaigns.callbacks)
        self._hub = hub
        self._normalise = normalise  # (raw, language): place and carrier in the reader's language
        self._tz = tz
        self._language = language
        self._clock = clock
        self._calls: dict[str, _Call] = {}
        self._outbound: set[str] = set()  # calls we placed (click-to-dial, callbacks) until they end
        self._directory: dict[str, list[tuple[int, str]]] = {}  # interface -> (user id, language)
        self._names: dict[str, str] = {}  # interface -> display name of its agent
        self._directory_at = -DIRECTORY_TTL
        self.pops = 0

    async def handle(self, event: object) -> None:
        """One event: a batch of one."""
        await self.handle_batch([event])

    async def handle_batch(self, events: list[object]) -> None:
        """Handle events in order; the callers of every call that starts ringing are looked up first,
        together (four queries at most, however many calls), so a burst of calls costs a few queries, not
        three per call. If that lookup fails, each call is looked up on its own: a failure loses the
        pops of one event, never the batch's (``BatchPartlyFailed`` says how many)."""
        try:
            await self._look_up_new_callers(events)
        except Exception:
            log.warning("pops: looking up the callers of %d events failed; one call at a time", len(events),
                        exc_info=True)
        handlers, failed = self._handlers, 0
        for event in events:
            handler: Callable[[Any, Any], Awaitable[None]] | None = handlers.get(type(event))
            if handler is None:
                continue
            try:
                await handler(self, event)
            except Exception:
                failed += 1
                log.exception("pops: %s of call %s failed", type(event).__name__, clean(getattr(event, "call_id", "")))
        try:
            await self._refresh_tickets(events)
        except Exception:
            failed += 1
            log.exception("pops: reading again the open tickets of live calls' customers failed")
        if failed:
            raise BatchPartlyFailed(failed, len(events))

    async def _refresh_tickets(self, events: list[object]) -> None:
        """Tickets opened or changed while calls are live: their customers' open tickets are read again
        (one query), so a console that connects later in the call (a second tab, a reload, a login)
        shows them as the agent's own screen does."""
        opened = {e.customer_id for e in events if type(e) is TicketOpened}
        changed = {e.ticket_id for e in events if type(e) is TicketChanged}
        if not opened and not changed:
            return
        stale = [card for call in self._calls.values() for card in call.caller.cards
                 if card["id"] in opened or changed & _ticket_ids(card)]
        if stale:
            fresh = await self._db.read(tickets.open_by_customers, {card["id"] for card in stale},
                                        now=dt.datetime.now(self._tz))
            for card in stale:
                card["tickets"] = fresh[card["id"]]

    # -- what a console that connects now must show ---------------------------------------------------

    def live(self, interface: str | None, language: str, user_id: int | None = None) -> list[dict[str, Any]]:
        """The pops of the calls ringing or answered on ``interface`` now, as ``pop`` messages with their
        state, oldest first. Synchronous: taken between two events, it matches the push stream's position.
        ``user_id`` (who is shown them) gets their later updates too, even if bound to the phone since."""
        if not interface:
            return []
        out = []
        for call_id, call in self._calls.items():
            pop = call.agents.get(interface)
            if pop is not None and pop.state in LIVE:
                if user_id is not None:
                    pop.users.add(user_id)
                out.append(self._pop_message(call_id, call, interface, pop, language))
        return out

    # -- events ---------------------------------------------------------------------------------------

    async def _look_up_new_callers(self, events: list[object]) -> None:
        wanted: dict[str, tuple[str, str]] = {}  # call id -> (raw number, name)
        for event in events:
            kind = type(event)
            if (kind is AgentRinging or kind is CallAnswered) and event.call_id not in wanted:
                if self._needs_lookup(event):
                    wanted[event.call_id] = (event.caller_num, event.caller_name)
        if wanted:
            for call_id, caller in (await self._lookup(wanted)).items():
                self._set_caller(call_id, caller)

    def _needs_lookup(self, event: AgentRinging | CallAnswered) -> bool:
        """A ring of a call not looked up yet (or whose number changed); an answer of a call never seen ringing."""
        call = self._calls.get(event.call_id)
        if type(event) is CallAnswered:
            return call is None and bool(event.caller_num) and event.interface in self._directory
        return call is None or call.caller.raw != event.caller_num

    def _set_caller(self, call_id: str, caller: Caller) -> None:
        """The call's card, for a new call or a new number (after CallerIdentified, a transfer): who was
        popped, and where each pop stands, is kept."""
        call = self._calls.get(call_id)
        if call is None:
            self._calls[call_id] = _Call(caller)
        else:
            call.caller = caller

    async def _call_for(self, event: AgentRinging | CallAnswered) -> _Call:
        if self._needs_lookup(event):  # the batch lookup failed, or the number changed within the batch
            found = await self._lookup({event.call_id: (event.caller_num, event.caller_name)})
            self._set_caller(event.call_id, found[event.call_id])
        return self._calls[event.call_id]

    async def _ringing(self, event: AgentRinging) -> None:
        directory = await self._users_by_interface()
        call = await self._call_for(event)
        if event.action_id and event.action_id != call.origin_of and self._origin_of is not None:
            call.origin, call.origin_of = await self._origin_of(event.action_id), event.action_id
        targets = directory.get(event.interface, [])
        pop = call.agents.get(event.interface)
        if pop is None:
            pop = call.agents[event.interface] = AgentPop(set(), "ringing", event.at, event.queue)
        pop.users.update(uid for uid, _ in targets)
        pop.state, pop.at, pop.queue, pop.by = "ringing", event.at, event.queue, ""
        self._send_pop(event.call_id, call, event.interface, pop, targets)

    async def _answered(self, event: CallAnswered) -> None:
        call = self._calls.get(event.call_id)
        popped_now = ""
        if call is None or event.interface not in call.agents:
            if not await self._answered_unseen(event):
                return
            call, popped_now = self._calls[event.call_id], event.interface
        by = self._names.get(event.interface) or event.member_name or event.interface
        # Only pops still ringing change, and the answering phone's own: a phone whose ringing already
        # ended (or an earlier answer, before a transfer) was told then; telling it again would re-open it.
        for iface, pop in call.agents.items():
            if iface == popped_now:
                continue  # its pop just went out, already answered
            if iface == event.interface:
                state = "answered"
            elif pop.state == "ringing":
                state = "answered_elsewhere"
            else:
                continue
            pop.state, pop.by = state, by
            self._hub.send_many(pop.users, "call", {"call_id": event.call_id, "state": state, "by": by})

    async def _answered_unseen(self, event: CallAnswered) -> bool:
        """An answer on a phone this process never saw ringing (a resync after a restart, a missed
        AgentCalled): its consoles get the pop, already answered. False when there is nobody to tell."""
        directory = await self._users_by_interface()
        targets = directory.get(event.interface, [])
        if event.call_id not in self._calls and not (targets and event.caller_num):
            return False
        call = await self._call_for(event)
        pop = call.agents[event.interface] = AgentPop({uid for uid, _ in targets}, "answered", event.at, event.queue)
        self._send_pop(event.call_id, call, event.interface, pop, targets)
        return True

    async def _ring_ended(self, event: AgentRingEnded) -> None:
        call = self._calls.get(event.call_id)
        pop = call.agents.get(event.interface) if call is not None else None
        if pop is None or pop.state != "ringing" or event.outcome is RingOutcome.ANSWERED_ELSEWHERE:
            return  # answered elsewhere is said by _answered, with the name of who answered
        pop.state = "missed" if event.outcome is RingOutcome.NO_ANSWER else "caller_left"
        self._hub.send_many(pop.users, "call", {"call_id": event.call_id, "state": pop.state})

    async def _transferred(self, event: CallTransferred) -> None:
        call = self._calls.get(event.call_id)
        pop = call.agents.get(event.from_interface) if call is not None else None
        if pop is not None:
            pop.state = "transferred"
            data = {"call_id": event.call_id, "state": "transferred", "target": event.target}
            self._hub.send_many(pop.users, "call", data)

    async def _offered(self, event: CallOffered) -> None:
        if event.direction is Direction.OUTBOUND:
            self._outbound.add(event.call_id)

    async def _ended(self, event: CallEnded) -> None:
        self._outbound.discard(event.call_id)
        call = self._calls.pop(event.call_id, None)
        if call is None:
            return
        data = {
            "call_id": event.call_id,
            "state": "ended",
            "disposition": str(event.disposition),
            "talk_seconds": event.talk_seconds,
        }
        self._hub.send_many({uid for pop in call.agents.values() for uid in pop.users}, "call", data)

    # -- messages -------------------------------------------------------------------------------------

    def _send_pop(self, call_id: str, call: _Call, interface: str, pop: AgentPop,
                  targets: list[tuple[int, str]]) -> None:
        by_language: dict[str, list[int]] = {}
        for uid, lang in targets:
            by_language.setdefault(lang, []).append(uid)
        for lang, uids in by_language.items():  # the card is serialised once per language, not per agent
            self._hub.send_many(uids, "pop", self._pop_message(call_id, call, interface, pop, lang))
        self.pops += len(targets)

    def _pop_message(self, call_id: str, call: _Call, interface: str, pop: AgentPop, lang: str) -> dict[str, Any]:
        message = {
            "call_id": call_id,
            "state": pop.state,
            "at": dt.datetime.fromtimestamp(pop.at, self._tz).isoformat(timespec="seconds"),
            "queue": pop.queue,
            "interface": interface,
            "caller": self._caller(call.caller, lang),
            "customers": call.caller.cards,
            "recent_calls": call.caller.recent,
        }
        if pop.by:
            message["by"] = pop.by
        if call_id in self._outbound:
            message["direction"] = "outbound"  # the agent's own call: "去电", not "来电"
        if call.origin is not None:
            message["origin"] = call.origin
        return message

    def _caller(self, caller: Caller, lang: str) -> dict[str, Any]:
        """The pop's caller block in one reader's language (computed once per caller and language)."""
        if lang not in caller.blocks:
            info = self._normalise(caller.raw, lang)
            caller.blocks[lang] = {
                "raw": caller.raw,
                "name": caller.name,
                "e164": info.e164,
                "display": info.national if info.region == "CN" else info.international,
                "place": info.place,
                "carrier": info.carrier,
                "kind": info.kind,
                "anonymous": info.e164 is None,
            }
        return caller.blocks[lang]

    # -- lookups --------------------------------------------------------------------------------------

    async def _lookup(self, wanted: dict[str, tuple[str, str]]) -> dict[str, Caller]:
        """The pop data of calls (call id -> (raw number, caller name)): cards and last calls."""
        infos = {call_id: self._normalise(raw, self._language) for call_id, (raw, _) in wanted.items()}
        numbers = {info.e164 for info in infos.values() if info.e164 is not None}
        cards: dict[str, list[dict[str, Any]]] = {}
        history: dict[int, list[Any]] = {}
        by_number: dict[str, list[Any]] = {}
        if numbers:  # one read: 2 Core queries for the cards, 1 or 2 for the calls, 2 for the open tickets
            cards, history, by_number = await self._db.read(_pop_data, numbers, dt.datetime.now(self._tz))
        out: dict[str, Caller] = {}
        for call_id, (raw, name) in wanted.items():
            e164 = infos[call_id].e164
            caller = out[call_id] = Caller(raw, "" if name in ("", "<unknown>") else name, e164, [], [])
            if e164 is None:
                continue
            caller.cards = [c | {"recent_calls": self._history(history[c["id"]], call_id)} for c in cards.get(e164, ())]
            if not caller.cards:
                caller.recent = self._history(by_number.get(e164, ()), call_id)
        return out

    def _history(self, rows: list, call_id: str) -> list[dict[str, Any]]:
        """The last 10 calls before this one (the ringing call is already in the log)."""
        return [calls.brief(x, self._tz) for x in rows if x.call_id != call_id][:10]

    async def _users_by_interface(self) -> dict[str, list[tuple[int, str]]]:
        now = self._clock()
        if now - self._directory_at >= DIRECTORY_TTL:
            async with self._db.session() as session:
                found = await users.directory(session)
            self._directory = {iface: [(u.id, u.language or self._language) for u in rows] for iface, rows in found.items()}
            self._names = {iface: ", ".join(u.display_name for u in rows) for iface, rows in found.items()}
            self._directory_at = now
        return self._directory

    _handlers: dict[type, Callable[[Any, Any], Awaitable[None]]] = {
        CallOffered: _offered,
        AgentRinging: _ringing,
        CallAnswered: _answered,
        AgentRingEnded: _ring_ended,
        CallTransferred: _transferred,
        CallEnded: _ended,
    }


def _ticket_ids(card: dict[str, Any]) -> set[int]:
    """The tickets a pop's card lists (open, and resolved lately)."""
    own = card.get("tickets") or {}
    return {t["id"] for part in ("open", "reopenable") for t in own.get(part, ())}


def _pop_data(session: Session, numbers: set[str], now: dt.datetime) -> tuple[dict, dict, dict]:
    """For ``Database.read``: the cards of these numbers with their customers' open tickets, their last
    calls, and the last calls of the numbers nobody has (11 each: the ringing call may be one of them)."""
    cards = customers.cards_by_phones(session, numbers, today=now.date())
    ids = sorted({c["id"] for found in cards.values() for c in found})
    open_tickets = tickets.open_by_customers(session, ids, now=now)
    for found in cards.values():
        for card in found:
            card["tickets"] = open_tickets[card["id"]]
    history = calls.recent_by_customer(session, ids, limit=11)
    by_number = calls.recent_by_numbers(session, numbers - cards.keys(), limit=11)
    return cards, history, by_number
