"""Bus subscriber that keeps the call log: a row when a call is offered, completed when it ends.

Events arrive in batches (one transaction per batch). A call seen again after a
resync is never inserted twice: rows are keyed by the PBX Linkedid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cti.ami.events import CallAnswered, CallEnded, CallerIdentified, CallOffered, CallQueued
from cti.calls.models import Call, CallAgentLeg
from cti.phone import PhoneInfo
from cti.store.base import from_timestamp

log = logging.getLogger(__name__)

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
        async with self._sessions() as session:
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
                call = calls[event.call_id] = Call(
                    call_id=event.call_id,
                    direction=str(event.direction),
                    offered_at=from_timestamp(event.at),
                    dnis=event.dnis[:40],
                    action_id=event.action_id[:120],
                )
                session.add(call)
                await self._set_caller(session, call, event.caller_num, event.caller_name)
            return
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
                call.answered_by = event.interface
            call.queue = call.queue or event.queue
        elif isinstance(event, CallEnded):
            await self._end(session, call, event)

    async def _set_caller(self, session: AsyncSession, call: Call, raw: str, name: str) -> None:
        info = self._normalise(raw)
        call.caller_raw = raw[:80]
        call.caller_name = name[:200]
        call.caller_e164 = info.e164
        ids = await self._match(session, info.e164) if info.e164 else []
        call.customer_id = ids[0] if len(ids) == 1 else None  # shared number: the agent chooses

    async def _end(self, session: AsyncSession, call: Call, ended: CallEnded) -> None:
        if ended.caller_num and ended.caller_num != call.caller_raw:
            await self._set_caller(session, call, ended.caller_num, ended.caller_name)
        call.disposition = str(ended.disposition)
        call.ended_at = from_timestamp(ended.at)
        call.answered_at = call.answered_at or (from_timestamp(ended.answered_at) if ended.answered_at else None)
        call.wait_seconds = ended.wait_seconds
        call.talk_seconds = ended.talk_seconds
        call.answered_by = ended.answered_by
        call.last_agent = ended.last_agent
        call.queue = ended.queue[:80] or call.queue
        call.hangup_cause = ended.hangup_cause
        call.action_id = ended.action_id[:120] or call.action_id
        if call.id is None:
            await session.flush()
        await session.run_sync(lambda s: _replace_legs(s, call, ended))


def _replace_legs(session, call: Call, ended: CallEnded) -> None:
    call.legs = [
        CallAgentLeg(
            interface=leg.interface,
            member_name=leg.member_name[:120],
            rang_at=from_timestamp(leg.rang_at),
            outcome=str(leg.outcome),
            ring_seconds=round(leg.ring_seconds, 1),
        )
        for leg in ended.agents
    ]
