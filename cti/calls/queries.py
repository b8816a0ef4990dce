"""Reading the call log: filtered pages, a customer's last calls, rows for export."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, selectinload

from cti.calls.models import Call, CallAgentLeg
from cti.phone import digit_fragments

DISPOSITIONS = ("answered", "abandoned", "missed", "transferred", "failed")


@dataclass(frozen=True)
class CallFilter:
    since: dt.datetime | None = None  # inclusive, aware
    until: dt.datetime | None = None  # exclusive, aware
    number: str = ""  # digits of any written form; matched against raw and E.164
    e164: tuple[str, ...] = ()  # exact normalised numbers (from cti.phone.search_keys)
    agent: str = ""  # interface, e.g. PJSIP/1001: answered or was rung
    disposition: str = ""
    customer_id: int | None = None
    direction: str = ""
    call_id: str = ""  # one call (the PBX's Linkedid): a ticket's linked call in the log

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        if self.since:
            stmt = stmt.where(Call.offered_at >= self.since)
        if self.until:
            stmt = stmt.where(Call.offered_at < self.until)
        if self.disposition:
            stmt = stmt.where(Call.disposition == self.disposition)
        if self.direction:
            stmt = stmt.where(Call.direction == self.direction)
        if self.customer_id is not None:
            stmt = stmt.where(Call.customer_id == self.customer_id)
        if self.call_id:
            stmt = stmt.where(Call.call_id == self.call_id)
        if self.agent:
            rung = select(CallAgentLeg.call_pk).where(CallAgentLeg.interface == self.agent)
            stmt = stmt.where(or_(Call.answered_by == self.agent, Call.last_agent == self.agent, Call.id.in_(rung)))
        stmt = self._number(stmt)
        return stmt

    def _number(self, stmt: Select[Any]) -> Select[Any]:
        conditions = []
        if self.e164:
            conditions.append(Call.caller_e164.in_(self.e164))
        for fragment in digit_fragments(self.number):
            conditions.append(Call.caller_raw.contains(fragment, autoescape=True))
            conditions.append(Call.caller_e164.contains(fragment, autoescape=True))
        return stmt.where(or_(*conditions)) if conditions else stmt


async def page(session: AsyncSession, flt: CallFilter, *, offset: int = 0, limit: int = 50) -> tuple[list[Call], int]:
    """One page of calls, newest first, and the total matching."""
    total = await session.scalar(flt.apply(select(func.count(Call.id))))
    stmt = flt.apply(select(Call)).options(selectinload(Call.legs)).order_by(Call.offered_at.desc(), Call.id.desc())
    rows = await session.scalars(stmt.offset(offset).limit(limit))
    return list(rows), int(total or 0)


_BRIEF = (Call.id, Call.call_id, Call.offered_at, Call.direction, Call.last_agent, Call.answered_by, Call.disposition,
          Call.talk_seconds)


def queue_calls_since(session: Session, since: dt.datetime) -> list[Any]:
    """The queue calls offered since ``since`` (the wallboard's day at start): call id, queue, offered,
    disposition (None: in progress), wait, talk, who answered."""
    return list(session.execute(
        select(Call.call_id, Call.queue, Call.offered_at, Call.disposition, Call.wait_seconds, Call.talk_seconds,
               Call.answered_by).where(Call.offered_at >= since, Call.queue != "")).all())


def recent_by_customer(session: Session, customer_ids: Iterable[int], *, limit: int = 10) -> dict[int, list[Any]]:
    """The last ``limit`` calls of each customer, newest first, as rows with ``brief()``'s fields: one query.
    Synchronous, for ``Database.read`` (the screen pop's lookup)."""
    return _recent_by(session, Call.customer_id, customer_ids, limit)


def recent_by_numbers(session: Session, numbers: Iterable[str], *, limit: int = 10) -> dict[str, list[Any]]:
    """The last ``limit`` calls from each E.164 number, newest first (``brief()``'s fields): one query."""
    return _recent_by(session, Call.caller_e164, numbers, limit)


def _recent_by(session: Session, column: Any, keys: Iterable[Any], limit: int) -> dict[Any, list[Any]]:
    """The newest ``limit`` calls per value of ``column`` among ``keys`` (every key in the result)."""
    wanted = sorted(set(keys))
    out: dict[Any, list[Any]] = {key: [] for key in wanted}
    if not wanted:
        return out
    newest = (Call.offered_at.desc(), Call.id.desc())
    if len(wanted) == 1:
        stmt = select(*_BRIEF, column.label("key")).where(column == wanted[0]).order_by(*newest).limit(limit)
    else:  # the window keeps each key's newest, bounded per key in the database
        rank = func.row_number().over(partition_by=column, order_by=newest).label("rank")
        ranked = select(*_BRIEF, column.label("key"), rank).where(column.in_(wanted)).subquery()
        stmt = select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.key, ranked.c.rank)
    for row in session.execute(stmt):
        out[row.key].append(row)
    return out


async def stream(session: AsyncSession, flt: CallFilter, *, chunk: int = 1000) -> AsyncIterator[Call]:
    """Every matching call, oldest first, without holding them all in memory (for exports)."""
    stmt = flt.apply(select(Call)).options(selectinload(Call.legs)).order_by(Call.offered_at, Call.id)
    result = await session.stream_scalars(stmt.execution_options(yield_per=chunk))
    async for call in result:
        yield call


def brief(call: Any, tz: dt.tzinfo) -> dict[str, Any]:
    """A call (a ``Call`` or a row of ``recent_by_*``) as a pop's history line shows it."""
    return {
        "call_id": call.call_id,
        "at": call.offered_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        "direction": call.direction,
        "agent": call.last_agent or call.answered_by,
        "disposition": call.disposition or "in_progress",
        "talk_seconds": call.talk_seconds,
    }
