"""The subscribers that write the database for every call, wired the same way in the service's own
process and in the writer process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from cti.bus import Bus
from cti.calls.recorder import CallRecorder
from cti.config import Settings
from cti.customers import service as customers
from cti.phone import PhoneInfo, normalise
from cti.store import Database
from cti.store.base import utcnow
from cti.tickets.desk import TicketDesk
from cti.tickets.linker import CallLinker

CALL_LOG_BATCH_WAIT = 0.1  # seconds the call log lets events gather before a transaction (docs/PERFORMANCE.md)
CALL_LOG_BATCH_MAX = 2000  # events in one call-log transaction at most (reached only when events queue up)
WRITERS = ("calls", "tickets")  # the bus subscribers below


def normaliser(settings: Settings) -> Callable[..., PhoneInfo]:
    """Caller IDs read with the service's region and outside prefixes (place/carrier in ``lang``)."""
    def read(raw: str, lang: str | None = None) -> PhoneInfo:
        return normalise(raw, region=settings.default_region, outside_prefixes=settings.outside_prefixes,
                         lang=lang or settings.language)
    return read


def subscribe_writers(bus: Bus, db: Database, settings: Settings,
                      publish: Callable[[list[Any]], Awaitable[None]], *, batch_wait: float = CALL_LOG_BATCH_WAIT,
                      clock: Callable[[], dt.datetime] = utcnow) -> TicketDesk:
    """The call log and the linker on ``bus``; returns the desk the linker opens tickets through."""
    read = normaliser(settings)
    recorder = CallRecorder(db, read, customers.ids_by_phones)
    # batch_wait: one transaction per ~0.1 s instead of one per event (a third less CPU at 100 calls/s)
    bus.subscribe("calls", recorder.handle_batch, batch_max=CALL_LOG_BATCH_MAX, batch_wait=batch_wait)
    desk = TicketDesk(db, publish, settings.zone, clock=clock)
    linker = CallLinker(db, read, desk)
    bus.subscribe("tickets", linker.handle_batch, batch_max=CALL_LOG_BATCH_MAX, batch_wait=batch_wait)
    return desk
