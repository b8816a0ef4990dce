"""Screen pops: when an agent's phone rings, that agent's console shows who calls.

A bus subscriber. On ``AgentRinging`` it normalises the caller's number, looks
the customers up (once per call, however many phones ring), and pushes a
``pop`` message to the users whose login is bound to the ringing interface.
Later events of the call update every pop it made: answered by you, answered
by someone else, stopped ringing, ended.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti.events import AgentRingEnded, AgentRinging, CallAnswered, CallEnded, CallTransferred, RingOutcome
from cti.bus import BatchPartlyFailed
from cti.calls import queries as calls
from cti.customers import service as customers
from cti.logs import clean
from cti.phone import PhoneInfo
from cti.push import Hub
from cti.users import service as users

log = logging.getLogger(__name__)
DIRECTORY_TTL = 5.0


@dataclass
class _CallPops:
    raw: str
    name: str
    e164: str | None
    cards: list[dict[str, Any]]
    recent: list[dict[str, Any]]
    popped: dict[str, set[int]] = field(default_factory=dict)  # interface -> users who got the pop
    ringing: set[str] = field(default_factory=set)  # popped interfaces whose ringing is not resolved yet
    callers: dict[str, dict[str, Any]] = field(default_factory=dict)  # language -> caller block of the pop


class PopService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: Hub,
        normalise: Callable[[str, str], PhoneInfo],
        tz: dt.tzinfo,
        language: str = "zh",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._normalise = normalise  # (raw, language): place and carrier in the reader's language
        self._tz = tz
        self._language = language
        self._clock = clock
        self._calls: dict[str, _CallPops] = {}
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
        if failed:
            raise BatchPartlyFailed(failed, len(events))

    async def _look_up_new_callers(self, events: list[object]) -> None:
        wanted: dict[str, tuple[str, str]] = {}  # call id -> (raw number, name)
        for event in events:
            if type(event) is AgentRinging and event.call_id not in wanted:
                call = self._calls.get(event.call_id)
                if call is None or call.raw != event.caller_num:
                    wanted[event.call_id] = (event.caller_num, event.caller_name)
        if wanted:
            self._calls.update(await self._lookup(wanted))

    async def _ringing(self, event: AgentRinging) -> None:
        directory = await self._users_by_interface()
        targets = directory.get(event.interface, [])
        call = self._calls.get(event.call_id)
        if call is None or call.raw != event.caller_num:  # the batch lookup failed, or the number changed in the batch
            self._calls.update(await self._lookup({event.call_id: (event.caller_num, event.caller_name)}))
            call = self._calls[event.call_id]
        call.popped.setdefault(event.interface, set()).update(uid for uid, _ in targets)
        if not targets:
            return
        call.ringing.add(event.interface)
        payload = {
            "call_id": event.call_id,
            "state": "ringing",
            "at": dt.datetime.fromtimestamp(event.at, self._tz).isoformat(timespec="seconds"),
            "queue": event.queue,
            "interface": event.interface,
            "customers": call.cards,
            "recent_calls": call.recent,
        }
        by_language: dict[str, list[int]] = {}
        for uid, lang in targets:
            by_language.setdefault(lang, []).append(uid)
        for lang, uids in by_language.items():  # the card is serialised once per language, not per agent
            self._hub.send_many(uids, "pop", payload | {"caller": self._caller(call, lang)})
        self.pops += len(targets)

    def _caller(self, call: _CallPops, lang: str) -> dict[str, Any]:
        """The pop's caller block in one reader's language (computed once per call and language)."""
        if lang not in call.callers:
            info = self._normalise(call.raw, lang)
            call.callers[lang] = {
                "raw": call.raw,
                "name": call.name,
                "e164": info.e164,
                "display": info.national if info.region == "CN" else info.international,
                "place": info.place,
                "carrier": info.carrier,
                "kind": info.kind,
                "anonymous": info.e164 is None,
            }
        return call.callers[lang]

    async def _answered(self, event: CallAnswered) -> None:
        call = self._calls.get(event.call_id)
        if call is None:
            return
        by = self._names.get(event.interface) or event.member_name or event.interface
        # Only pops still ringing change: a phone whose ringing already ended (or an earlier answer,
        # before a transfer) was told then; telling it again would re-open a closed pop.
        for iface in call.ringing | ({event.interface} & call.popped.keys()):
            state = "answered" if iface == event.interface else "answered_elsewhere"
            self._hub.send_many(call.popped[iface], "call", {"call_id": event.call_id, "state": state, "by": by})
        call.ringing.clear()

    async def _ring_ended(self, event: AgentRingEnded) -> None:
        call = self._calls.get(event.call_id)
        if call is None or event.interface not in call.ringing or event.outcome is RingOutcome.ANSWERED_ELSEWHERE:
            return  # answered elsewhere is said by _answered, with the name of who answered
        call.ringing.discard(event.interface)
        state = "missed" if event.outcome is RingOutcome.NO_ANSWER else "caller_left"
        self._hub.send_many(call.popped.get(event.interface, ()), "call", {"call_id": event.call_id, "state": state})

    async def _transferred(self, event: CallTransferred) -> None:
        call = self._calls.get(event.call_id)
        if call is not None:
            data = {"call_id": event.call_id, "state": "transferred", "target": event.target}
            self._hub.send_many(call.popped.get(event.from_interface, ()), "call", data)

    async def _ended(self, event: CallEnded) -> None:
        call = self._calls.pop(event.call_id, None)
        if call is None:
            return
        data = {
            "call_id": event.call_id,
            "state": "ended",
            "disposition": str(event.disposition),
            "talk_seconds": event.talk_seconds,
        }
        self._hub.send_many({uid for ids in call.popped.values() for uid in ids}, "call", data)

    async def _lookup(self, wanted: dict[str, tuple[str, str]]) -> dict[str, _CallPops]:
        """The pop data of calls (call id -> (raw number, caller name)): cards and last calls."""
        infos = {call_id: self._normalise(raw, self._language) for call_id, (raw, _) in wanted.items()}
        numbers = {info.e164 for info in infos.values() if info.e164 is not None}
        cards: dict[str, list[dict[str, Any]]] = {}
        history: dict[int, list[Any]] = {}
        by_number: dict[str, list[Any]] = {}
        if numbers:
            today = dt.datetime.now(self._tz).date()
            async with self._sessions() as session:  # 2 Core queries for the cards, 1 or 2 for the calls
                cards = await customers.cards_by_phones(session, numbers, today=today)
                ids = sorted({c["id"] for found in cards.values() for c in found})
                history = await calls.recent_by_customer(session, ids, limit=11)
                by_number = await calls.recent_by_numbers(session, numbers - cards.keys(), limit=11)
        out: dict[str, _CallPops] = {}
        for call_id, (raw, name) in wanted.items():
            e164 = infos[call_id].e164
            caller = out[call_id] = _CallPops(raw, "" if name in ("", "<unknown>") else name, e164, [], [])
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
            async with self._sessions() as session:
                found = await users.directory(session)
            self._directory = {iface: [(u.id, u.language or self._language) for u in rows] for iface, rows in found.items()}
            self._names = {iface: ", ".join(u.display_name for u in rows) for iface, rows in found.items()}
            self._directory_at = now
        return self._directory

    _handlers: dict[type, Callable[[Any, Any], Awaitable[None]]] = {
        AgentRinging: _ringing,
        CallAnswered: _answered,
        AgentRingEnded: _ring_ended,
        CallTransferred: _transferred,
        CallEnded: _ended,
    }
