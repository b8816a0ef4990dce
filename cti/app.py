"""Composition root: builds the database, bus, tracker, AMI bridge and web app; starts and stops them in order.

    PBX ──AMI──▶ AmiBridge ──messages──▶ CallTracker ──events──▶ Bus ──▶ CallRecorder (call log)
                                                                   ├──▶ PopService ──▶ Hub ──▶ browsers
                                                                   └──▶ CallLinker (calls join tickets)
    console ──▶ handlers ──▶ TicketDesk (tickets' units of work) ──ticket events──▶ Bus
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial

from aiohttp import web

from cti.ami.bridge import AmiBridge
from cti.ami.tracker import CallTracker
from cti.bus import Bus
from cti.config import Settings
from cti.customers.pop import PopService
from cti.http import keys
from cti.push import Hub
from cti.store import Database
from cti.tickets.desk import TicketDesk
from cti.worker.proxy import WriterProcess
from cti.worker.writers import CALL_LOG_BATCH_MAX, CALL_LOG_BATCH_WAIT, normaliser, subscribe_writers

log = logging.getLogger(__name__)
STOP_DRAIN_SECONDS = 10.0
POP_BATCH_MAX = 1000  # events the pops take at once; their ringing callers are looked up together (never waits)


@dataclass
class Service:
    """Everything the service runs, wired together; the web app holds one."""

    settings: Settings
    db: Database
    bus: Bus = field(default_factory=Bus)
    hub: Hub = field(default_factory=Hub)
    tracker: CallTracker = field(default_factory=CallTracker)
    bridge: AmiBridge | None = None
    pops: PopService | None = None
    tickets: TicketDesk | None = None
    writers: WriterProcess | None = None  # CTI_WRITER_PROCESS: the call log and the linker in a process of their own
    started_at: float = field(default_factory=time.time)

    def normalise(self, raw: str, lang: str | None = None):
        """A caller ID read with the service's region and outside prefixes; place/carrier in ``lang``."""
        return normaliser(self.settings)(raw, lang)

    def wire(self) -> None:
        """Subscribe the domains to the bus and build the bridge (nothing runs yet)."""
        if self.settings.writer_process:  # the writers on a core of their own; this process keeps the pops
            self.writers = WriterProcess(self.settings, self.bus.publish_many)
            self.bus.subscribe("writers", self.writers.handle_batch, batch_max=CALL_LOG_BATCH_MAX,
                               batch_wait=CALL_LOG_BATCH_WAIT)
        else:
            subscribe_writers(self.bus, self.db, self.settings, self.bus.publish_many)
        self.pops = PopService(self.db, self.hub, self.normalise, self.settings.zone, self.settings.language)
        self.bus.subscribe("pops", self.pops.handle_batch, batch_max=POP_BATCH_MAX)
        self.tickets = TicketDesk(self.db, self.bus.publish_many, self.settings.zone)
        self.bridge = AmiBridge(self.settings, self.tracker, self.bus.publish_many)

    async def start(self) -> None:
        if self.writers is not None:
            await self.writers.start()
        await self.bus.start()
        assert self.bridge is not None
        await self.bridge.start()

    async def stop(self) -> None:
        """Stop taking events from the PBX, let the subscribers finish (bounded), then stop them."""
        if self.bridge is not None:
            await self.bridge.stop()
        try:
            await asyncio.wait_for(self.bus.drain(), STOP_DRAIN_SECONDS)
        except TimeoutError:  # a subscriber stuck on a dead database must not hang the shutdown
            log.warning("stopping with events not handled yet: %s", self.bus.stats())
        await self.bus.stop()
        if self.writers is not None:
            await self.writers.stop()
        self.hub.close_all()


def create_app(settings: Settings, *, db: Database | None = None) -> web.Application:
    """The aiohttp app; its cleanup context starts the service with the app and stops it after."""
    from cti.http.routes import setup_web

    service = Service(settings=settings, db=db or Database(settings.database_url))
    service.wire()
    app = web.Application(client_max_size=32 * 1024 * 1024)
    app[keys.SETTINGS] = settings
    app[keys.DB] = service.db
    app[keys.HUB] = service.hub
    app[keys.SERVICE] = service
    app.cleanup_ctx.append(partial(_run_service, service, own_db=db is None))
    setup_web(app)
    return app


async def _run_service(service: Service, app: web.Application, *, own_db: bool) -> AsyncIterator[None]:
    await service.start()
    # What is alive now (the imports: phonenumbers' geocoder and carrier tables, SQLAlchemy, aiohttp…)
    # lives as long as the process. Freezing it keeps the garbage collector's full passes short:
    # ~10 ms instead of ~90 ms, a stall of every pop in flight (docs/PERFORMANCE.md).
    gc.collect()
    gc.freeze()
    log.info("service started")
    yield
    gc.unfreeze()
    await service.stop()
    if own_db:
        await service.db.close()
