"""Bus subscriber that keeps the call log: a row when a call is offered, completed when it ends.

Events arrive in batches (one transaction per batch). A call seen again after a
resync is never inserted twice: rows are keyed by the PBX Linkedid. A batch
that fails is written again one event at a time, so one bad event (or a
transient database error) costs at most that event, not every call in the
batch; a call whose row is missing when it ends gets its row from the
``CallEnded`` summary. PBX-provided strings are cut to their column sizes
(PostgreSQL refuses longer values; SQLite would silently keep them).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti.ami.events import CallAnswered, CallEnded, CallerIdentified, CallOffered, CallQueued
from cti.calls.models import Call, CallAgentLeg
from cti.phone import PhoneInfo
from cti.store.base import from_timestamp

log = logging.getLogger(__name__)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

CustomerMatcher = Callable[[AsyncSession, str], Any]  # (session, e164) -> awaitable list of customer ids
Normaliser = Callable[[str], PhoneInfo]

_HANDLED = (CallOffered, CallerIdentified, CallQueued, CallAnswered, CallEnded)


class CallRecorder:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], normalise: Normaliser, match: CustomerMatcher):
        self._sessions = sessions
        self._normalise = normalise
        self._match = match

    async def handle_batch(self, events: Sequence[object]) -> None:
        relevant = [e for e in events if isinstance(e, _HANDLED)]
        if not relevant:
            return
        try:
            await self._write(relevant)
            return
        except Exception:
            if len(relevant) == 1:
                raise
            log.warning("call log: a batch of %d events failed; writing them one at a time", len(relevant),
                        exc_info=True)
        failed = 0
        for event in relevant:
            try:
                await self._write([event])
            except Exception:
                failed += 1
                log.exception("call log: %s of call %s not recorded", type(event).__name__,
                              _clean(getattr(event, "call_id", "")))
        if failed:
            log.error("call log: %d of %d events not recorded", failed, len(relevant))

    async def _write(self, relevant: Sequence[Any]) -> None:
        async with self._sessions() as session:
            with session.no_autoflush:  # one flush at commit, not one before every customer lookup
                calls = await self._load(session, {e.call_id for e in relevant})  # type: ignore[attr-defined]
                for event in relevant:
                    await self._apply(session, calls, event)
            await session.commit()

    async def _load(self, session: AsyncSession, call_ids: set[str]) -> dict[str, Call]:
        rows = await session.scalars(select(Call).where(Call.call_id.in_(call_ids)))
        return {row.call_id: row for row in rows}

    async def _apply(self, session: AsyncSession, calls: dict[str, Call], event: Any) -> None:
        call = calls.get(event.call_id)
        if isinstance(event, CallOffered):
            if call is None:
                call = calls[event.call_id] = self._new_row(event.call_id, event.direction, event.at, event.dnis,
                                                            event.action_id)
                session.add(call)
                await self._set_caller(session, call, event.caller_num, event.caller_name)
            return
        if call is None and isinstance(event, CallEnded):  # its CallOffered was never recorded
            call = calls[event.call_id] = self._new_row(event.call_id, event.direction, event.offered_at, event.dnis,
                                                        event.action_id)
            session.add(call)
            await self._set_caller(session, call, event.caller_num, event.caller_name)
        if call is None:  # an event for a call we never saw offered (started before we connected)
            log.debug("no call row for %s on %s", event.call_id, type(event).__name__)
            return
        if isinstance(event, CallerIdentified):
            await self._set_caller(session, call, event.caller_num, event.caller_name)
        elif isinstance(event, CallQueued):
            call.queue = event.queue[:80]
        elif isinstance(event, CallAnswered):
            if call.answered_at is None:
                call.answered_at = from_timestamp(event.at)
                call.answered_by = event.interface[:120]
            call.queue = call.queue or event.queue[:80]
        elif isinstance(event, CallEnded):
            await self._end(session, call, event)

    @staticmethod
    def _new_row(call_id: str, direction: Any, at: float, dnis: str, action_id: str) -> Call:
        return Call(call_id=call_id, direction=str(direction), offered_at=from_timestamp(at), dnis=dnis[:40],
                    action_id=action_id[:120])

    async def _set_caller(self, session: AsyncSession, call: Call, raw: str, name: str) -> None:
        info = self._normalise(raw)
        call.caller_raw = raw[:80]  # what the PBX sent, "<unknown>" included
        call.caller_name = "" if name.strip() in ("", "<unknown>") else name[:200]
        call.caller_e164 = info.e164
        ids = await self._match(session, info.e164) if info.e164 else []
        call.customer_id = ids[0] if len(ids) == 1 else None  # shared number: the agent chooses

    async def _end(self, session: AsyncSession, call: Call, ended: CallEnded) -> None:
        first_end = call.ended_at is None  # no legs were written for this call yet
        if ended.caller_num and ended.caller_num != call.caller_raw:
            await self._set_caller(session, call, ended.caller_num, ended.caller_name)
        call.disposition = str(ended.disposition)
        call.ended_at = from_timestamp(ended.at)
        call.answered_at = call.answered_at or (from_timestamp(ended.answered_at) if ended.answered_at else None)
        call.wait_seconds = ended.wait_seconds
        call.talk_seconds = ended.talk_seconds
        call.answered_by = ended.answered_by[:120]
        call.last_agent = ended.last_agent[:120]
        call.queue = ended.queue[:80] or call.queue
        call.hangup_cause = ended.hangup_cause
        call.action_id = ended.action_id[:120] or call.action_id
        if call.id is None:
            await session.flush()
        if first_end:  # the usual case: one multi-row INSERT, no loading of the (empty) old legs
            rows = [_leg_row(leg) | {"call_pk": call.id} for leg in ended.agents]
            if rows:
                await session.execute(insert(CallAgentLeg), rows)
        else:  # ended again (after a resync): replace the legs written the first time
            await session.run_sync(lambda s: _replace_legs(s, call, ended))


def _leg_row(leg: Any) -> dict[str, Any]:
    return {
        "interface": leg.interface[:120],
        "member_name": leg.member_name[:120],
        "rang_at": from_timestamp(leg.rang_at),
        "outcome": str(leg.outcome),
        "ring_seconds": round(leg.ring_seconds, 1),
    }


def _replace_legs(session, call: Call, ended: CallEnded) -> None:
    call.legs = [CallAgentLeg(**_leg_row(leg)) for leg in ended.agents]


def _clean(value: object) -> str:
    """A PBX-provided value for one log line (no CR/LF)."""
    return _CONTROL.sub(" ", str(value))[:120]
