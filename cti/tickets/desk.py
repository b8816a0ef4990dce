"""The tickets domain as the rest of the service uses it: each operation runs its unit of work
(:mod:`cti.tickets.service`) in one transaction, then publishes the events it produced on the bus.

Handlers and the call linker go through a :class:`TicketDesk`; the policies and calendars
(:class:`~cti.tickets.clocks.Promises`) are read once and cached for ``PROMISES_TTL`` seconds
(an administrator's change applies within that time; :meth:`forget_promises` applies it at once).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from cti.store import Database
from cti.store.base import utcnow
from cti.tickets import service
from cti.tickets.clocks import Promises
from cti.tickets.service import Actor, NewTicket

P = ParamSpec("P")
T = TypeVar("T")
PROMISES_TTL = 30.0


class TicketDesk:
    def __init__(self, db: Database, publish: Callable[[list[Any]], Awaitable[None]], zone: dt.tzinfo,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._db = db
        self._publish = publish
        self.zone = zone
        self.clock = clock
        self._promises: Promises | None = None
        self._promises_at = 0.0
        self._later: list[Any] = []
        self._pump: asyncio.Task[None] | None = None

    def local_day(self, now: dt.datetime) -> dt.date:
        return now.astimezone(self.zone).date()

    async def promises(self) -> Promises:
        if self._promises is None or time.monotonic() - self._promises_at > PROMISES_TTL:
            self._promises = await self._db.read(Promises.load, str(self.zone))
            self._promises_at = time.monotonic()
        return self._promises

    def forget_promises(self) -> None:
        self._promises = None

    async def publish(self, events: list[Any]) -> None:
        if events:
            await self._publish(events)

    def publish_later(self, events: list[Any]) -> None:
        """From a bus subscriber: publishing there could wait on its own full queue, so a task does it,
        in order."""
        if not events:
            return
        self._later.extend(events)
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(self._drain_later())

    async def _drain_later(self) -> None:
        while self._later:
            batch, self._later = self._later, []
            await self._publish(batch)

    async def settled(self) -> None:
        """Wait until what :meth:`publish_later` took is on the bus (tests, shutdown)."""
        while self._pump is not None and not self._pump.done():
            await asyncio.shield(self._pump)

    async def _run(self, fn: Callable[Concatenate[Session, P], tuple[T, list[Any]]], *args: P.args,
                   **kwargs: P.kwargs) -> T:
        """A unit of work returning ``(result, events)``: committed, then its events published."""
        result, events = await self._db.write(fn, *args, **kwargs)
        await self.publish(events)
        return result

    async def run(self, fn: Callable[[Session, dt.datetime, Promises], tuple[T, list[Any]]]) -> T:
        """Another domain's unit of work that changes tickets (dispatch: assign, arrive, complete,
        review): ``fn(session, now, promises)`` returns ``(result, events)``; it runs in one
        transaction on the desk's clock and promises, then its events are published."""
        now, promises = self.clock(), await self.promises()
        return await self._run(fn, now, promises)

    async def open(self, new: NewTicket, actor: Actor) -> tuple[int, str]:
        now, promises = self.clock(), await self.promises()

        def work(session: Session) -> tuple[tuple[int, str], list[Any]]:
            ticket, events = service.open_ticket(session, new, actor, now=now, promises=promises,
                                                 local_day=self.local_day(now))
            return (ticket.id, ticket.number), events

        return await self._run(work)

    async def change_state(self, ticket_id: int, target: str, actor: Actor, *, note: str = "", reason: str = "") -> None:
        now, promises = self.clock(), await self.promises()
        await self._run(lambda s: (None, service.change_state(s, ticket_id, target, actor, now=now, promises=promises,
                                                              note=note, reason=reason)))

    async def add_note(self, ticket_id: int, actor: Actor, note: str) -> None:
        now = self.clock()
        await self._run(lambda s: (None, service.add_note(s, ticket_id, actor, note, now=now)))

    async def reopen(self, ticket_id: int, actor: Actor, note: str) -> None:
        now, promises = self.clock(), await self.promises()
        await self._run(lambda s: (None, service.reopen(s, ticket_id, actor, note, now=now, promises=promises)))

    async def record_contact(self, ticket_id: int, actor: Actor, note: str) -> None:
        now, promises = self.clock(), await self.promises()
        await self._run(lambda s: (None, service.record_contact(s, ticket_id, actor, note, now=now, promises=promises)))

    async def link_call(self, ticket_id: int, call_id: str, actor: Actor, *, move_from: int | None = None,
                        repeat: bool = True) -> bool:
        """Link a call (from the pop: the agent chose this ticket); ``move_from`` undoes the automatic link;
        ``repeat=False``: a call we made about the ticket, not the customer calling again."""
        now = self.clock()

        def work(session: Session) -> tuple[bool, list[Any]]:
            if move_from is not None and move_from != ticket_id:
                service.unlink_call(session, move_from, call_id, actor, now=now)
            linked = service.link_call(session, ticket_id, call_id, actor, now=now)
            return linked, [service.linked_event(session, ticket_id, call_id, now=now, repeat=repeat)] if linked else []

        return await self._run(work)

    async def notification_attempt(self, notification_id: int, actor: Actor, *, done: bool, note: str = "") -> None:
        now = self.clock()
        await self._run(lambda s: (service.notification_attempt(s, notification_id, actor, now=now, done=done,
                                                                note=note), []))

    async def set_claim_unit(self, ticket_id: int, actor: Actor, value: bool) -> None:
        now = self.clock()
        await self._run(lambda s: (None, service.set_claim_unit(s, ticket_id, actor, value, now=now)))

    async def assign(self, ticket_id: int, actor: Actor, assignee_id: int | None) -> None:
        now = self.clock()
        await self._run(lambda s: (None, service.assign(s, ticket_id, actor, assignee_id, now=now)))
