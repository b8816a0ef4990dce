"""Composition root: builds the database, bus, tracker, AMI bridge and web app; starts and stops them in order.

    PBX ──AMI──▶ AmiBridge ──messages──▶ CallTracker ──events──▶ Bus ──▶ CallRecorder (call log)
                                                                   ├──▶ PopService ──▶ Hub ──▶ browsers
                                                                   ├──▶ CallLinker (calls join tickets)
                                                                   ├──▶ EscalationEngine (repeat calls)
                                                                   ├──▶ TicketPush ──▶ Hub (escalations, SLA)
                                                                   └──▶ Board (wallboard) ──▶ its screens
    console ──▶ handlers ──▶ TicketDesk (tickets' units of work) ──ticket events──▶ Bus
    Scheduler ──▶ SlaTimers (SLA tick, ack timeouts) ──▶ Bus;  WebhookSender (escalation webhook)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiohttp import web

from cti.ami.bridge import AmiBridge
from cti.ami.protocol import AmiActionError, AmiDisconnected, AmiNotConnected, AmiTimeout
from cti.ami.tracker import CallTracker
from cti.bus import Bus
from cti.campaigns import callbacks
from cti.campaigns.dialer import DIAL_SECONDS, NOT_SENT, REFUSED, SENT, DialRequest, Dialer
from cti.campaigns.feeds import CampaignFeeds
from cti.campaigns.reconcile import RECONCILE_SECONDS, LiveChannel, Reconciler, live_channels
from cti.campaigns.policy import UNKNOWN
from cti.config import Settings
from cti.customers.pop import PopService
from cti.http import keys
from cti.push import Hub
from cti.scheduler import Scheduler
from cti.store import Database, utcnow
from cti.supervision.agent_news import REFRESH_SECONDS as AGENT_NEWS_SECONDS
from cti.supervision.agent_news import AgentNews
from cti.supervision.board import COUNTS_SECONDS, Board
from cti.supervision.control import AgentControl, PbxRefused, PbxUnavailable, WrapUp
from cti.supervision.live import WRAP_UP_REASON
from cti.supervision.reports_build import JOB_SECONDS as REPORTS_SECONDS, ReportsJob
from cti.tickets import webhook
from cti.tickets.calendar import ChinaHolidays
from cti.tickets.campaign_results import CampaignResults
from cti.tickets.desk import TicketDesk
from cti.worker.ami_proxy import AmiProcess
from cti.worker.proxy import WriterProcess
from cti.worker.writers import CALL_LOG_BATCH_MAX, CALL_LOG_BATCH_WAIT, normaliser, subscribe_writers
from cti.tickets.escalations import EscalationEngine, rules_from
from cti.tickets.push import TicketPush
from cti.tickets.timers import SlaTimers

log = logging.getLogger(__name__)
STOP_DRAIN_SECONDS = 10.0
POP_BATCH_MAX = 1000  # events the pops take at once; their ringing callers are looked up together (never waits)
WEBHOOK_SECONDS = 5.0  # how often due webhook deliveries are looked for
OPTIMIZE_SECONDS = 6 * 3600.0  # how often SQLite refreshes its planner statistics (PRAGMA optimize)
NOTIFICATION_FEED_SECONDS = 60.0  # how often new notification items become automatic calls


class PbxMembers:
    """The supervision's :class:`~cti.supervision.control.Pbx` port over the AMI gateway: queue members
    added, removed, paused; the PBX's queues (``QueueStatus``, kept ``QUEUES_TTL`` s)."""

    QUEUES_TTL = 30.0

    def __init__(self, gateway_of: Callable[[], Any]) -> None:
        self._gateway_of = gateway_of
        self._queues: list[str] = []
        self._queues_at = -self.QUEUES_TTL
        self._asking = asyncio.Lock()  # a thousand consoles after a restart ask the PBX once

    async def queue_add(self, *, queue: str, interface: str, member_name: str) -> None:
        await self._do("queue_add", queue=queue, interface=interface, member_name=member_name)

    async def queue_remove(self, *, queue: str, interface: str) -> None:
        await self._do("queue_remove", queue=queue, interface=interface)

    async def queue_pause(self, *, interface: str, paused: bool, reason: str) -> None:
        await self._do("queue_pause", queue=None, interface=interface, paused=paused, reason=reason)

    async def queues(self) -> list[str]:
        async with self._asking:
            if time.monotonic() - self._queues_at >= self.QUEUES_TTL:
                items = await self._call("queue_status")
                self._queues = sorted({i["Queue"] for i in items if i.get("Event") == "QueueParams" and i.get("Queue")})
                self._queues_at = time.monotonic()
        return self._queues

    async def _do(self, action: str, **fields: Any) -> None:
        result = await self._call(action, **fields)
        if not result.ok:
            raise PbxRefused(result.message or "refused")

    async def _call(self, action: str, **fields: Any) -> Any:
        gateway = self._gateway_of()
        if gateway is None:
            raise PbxUnavailable("no PBX gateway")
        try:
            return await getattr(gateway, action)(**fields)
        except (AmiNotConnected, AmiDisconnected, AmiTimeout) as exc:
            raise PbxUnavailable(str(exc) or type(exc).__name__) from exc
        except (AmiActionError, ValueError) as exc:
            raise PbxRefused(str(exc)) from exc


@dataclass
class Service:
    """Everything the service runs, wired together; the web app holds one."""

    settings: Settings
    db: Database
    bus: Bus = field(default_factory=Bus)
    hub: Hub = field(default_factory=Hub)
    tracker: CallTracker = field(default_factory=CallTracker)
    bridge: AmiBridge | AmiProcess | None = None  # CTI_AMI_PROCESS: the AMI stream in a process of its own
    pops: PopService | None = None
    tickets: TicketDesk | None = None
    writers: WriterProcess | None = None  # CTI_WRITER_PROCESS: the call log and the linker in a process of their own
    escalations: EscalationEngine | None = None
    ticket_push: TicketPush | None = None
    timers: SlaTimers | None = None
    dialer: Dialer | None = None
    reconciler: Reconciler | None = None
    feeds: CampaignFeeds | None = None
    campaign_results: CampaignResults | None = None
    webhooks: webhook.WebhookSender | None = None
    reports: ReportsJob | None = None  # the reports' daily aggregates, kept current
    scheduler: Scheduler | None = None
    board: Board | None = None  # the wallboard: the floor and today's figures
    control: AgentControl | None = None  # agents' queue logins and pauses through the PBX
    wrap_up: WrapUp | None = None
    agent_news: AgentNews | None = None
    clock: Callable[[], dt.datetime] = utcnow  # the tickets' "now" (tests move it)
    started_at: float = field(default_factory=time.time)

    def normalise(self, raw: str, lang: str | None = None):
        """A caller ID read with the service's region and outside prefixes; place/carrier in ``lang``."""
        return normaliser(self.settings)(raw, lang)

    def wire(self) -> None:
        """Subscribe the domains to the bus and build the bridge (nothing runs yet)."""
        in_memory = self.db.is_sqlite and self.db.url.database in (None, "", ":memory:")
        if self.settings.writer_process and in_memory:
            log.warning("CTI_WRITER_PROCESS ignored: an in-memory database cannot be shared with another process")
        if self.settings.writer_process and not in_memory:  # the writers on a core of their own
            self.writers = WriterProcess(self.settings, self.bus.publish_many)
            self.bus.subscribe("writers", self.writers.handle_batch, batch_max=CALL_LOG_BATCH_MAX,
                               batch_wait=CALL_LOG_BATCH_WAIT)
        else:
            subscribe_writers(self.bus, self.db, self.settings, self.bus.publish_many, clock=self.clock)
        self.pops = PopService(self.db, self.hub, self.normalise, self.settings.zone, self.settings.language,
                               origin_of=self._call_origin)
        self.bus.subscribe("pops", self.pops.handle_batch, batch_max=POP_BATCH_MAX)
        self.tickets = TicketDesk(self.db, self.bus.publish_many, self.settings.zone, clock=self.clock)
        self._wire_ticket_timers()
        self._wire_campaigns()
        self._wire_floor()
        if self.settings.ami_process:  # the AMI stream on a core of its own
            self.bridge = AmiProcess(self.settings, self.bus.publish_many)
        else:
            self.bridge = AmiBridge(self.settings, self.tracker, self.bus.publish_many)

    def _wire_ticket_timers(self) -> None:
        """Escalation, the SLA tick, the consoles' ticket news and the webhook (docs/WEBHOOKS.md)."""
        assert self.tickets is not None
        hook = webhook.Target.from_settings(self.settings)
        rules = rules_from(self.settings)
        self.escalations = EscalationEngine(self.db, self.tickets, rules, hook)
        self.bus.subscribe("escalations", self.escalations.handle_batch, batch_max=POP_BATCH_MAX)
        self.ticket_push = TicketPush(self.db, self.hub)
        self.bus.subscribe("ticket_push", self.ticket_push.handle_batch, batch_max=POP_BATCH_MAX)
        self.timers = SlaTimers(self.db, self.tickets, rules, hook=hook)
        self.timers.after_tick.append(self.ticket_push.refresh)
        self.scheduler = Scheduler()
        self.scheduler.every("sla_tick", self.settings.sla_tick_seconds, self.timers.tick)
        self.scheduler.every("db_optimize", OPTIMIZE_SECONDS, self.db.optimize)
        self.reports = ReportsJob(self.db, self.settings.zone, self.clock)  # yesterday's and today's aggregates
        self.scheduler.every("reports", REPORTS_SECONDS, self.reports.run)
        if hook is not None:
            self.webhooks = webhook.WebhookSender(self.db, hook, self.clock)
            self.scheduler.every("webhooks", WEBHOOK_SECONDS, self.webhooks.run)

    def _wire_campaigns(self) -> None:
        """The dialer: a scheduler job claiming and placing due calls, a subscriber landing their outcomes."""
        assert self.scheduler is not None
        self.dialer = Dialer(self.db, self._place, zone=self.settings.timezone, holidays=ChinaHolidays(),
                             clock=self.clock, language=self.settings.language, publish=self.bus.publish_many)
        self.bus.subscribe("campaigns", self.dialer.handle_batch, batch_max=POP_BATCH_MAX)
        if self.settings.campaign_dialer:
            self.scheduler.every("campaign_dialer", DIAL_SECONDS, self.dialer.tick)
        self.feeds = CampaignFeeds(self.db, lambda raw: self.normalise(raw), zone=self.settings.zone,
                                   language=self.settings.language, clock=self.clock)
        self.bus.subscribe("campaign_feeds", self.feeds.handle_batch, batch_max=POP_BATCH_MAX)
        self.scheduler.every("campaign_notifications", NOTIFICATION_FEED_SECONDS, self.feeds.notifications)
        assert self.tickets is not None
        self.campaign_results = CampaignResults(self.db, self.tickets)
        self.bus.subscribe("campaign_results", self.campaign_results.handle_batch, batch_max=POP_BATCH_MAX)
        self.reconciler = Reconciler(self.db, self._live_attempts, self.dialer.land, link=self._pbx_login,
                                     clock=self.clock)
        self.scheduler.every("campaign_reconcile", RECONCILE_SECONDS, self.reconciler.run)

    def _wire_floor(self) -> None:
        """The wallboard: a subscriber keeping the floor and today's figures, the hotline's open work on a timer."""
        assert self.scheduler is not None
        hours = self.settings.wallboard_window_hours
        self.board = Board(self.db, self.settings.zone, window=dt.timedelta(hours=hours) if hours else None)
        self.bus.subscribe("wallboard", self.board.handle_batch, batch_max=POP_BATCH_MAX)
        self.scheduler.every("wallboard_counts", COUNTS_SECONDS, self.board.refresh_counts)
        self.agent_news = AgentNews(self.db, self.hub)
        self.board.on_agents = self.agent_news.send
        self.scheduler.every("agent_news", AGENT_NEWS_SECONDS, self.agent_news.refresh)
        members = PbxMembers(lambda: getattr(self.bridge, "gateway", None))
        self.control = AgentControl(self.db, members, self.settings.pause_reasons, WRAP_UP_REASON,
                                    unit_of=self.board.unit_of_phone, unit_of_queue=self.board.unit_of_queue)
        self.wrap_up = WrapUp(members, self.board.floor, self.settings.wrap_up_seconds, WRAP_UP_REASON, time.time)
        if self.settings.wrap_up_seconds:
            self.bus.subscribe("wrap_up", self.wrap_up.handle_batch, batch_max=POP_BATCH_MAX)
            self.scheduler.every("wrap_up", 1.0, self.wrap_up.sweep)

    async def _call_origin(self, action_id: str) -> dict[str, Any] | None:
        """Why a campaign's call was made (a callback's reason and ticket), for its pop."""
        return await self.db.read(callbacks.origin, action_id)

    def _pbx_login(self) -> object | None:
        """Our current PBX login (changes with each login, and with a restarted AMI process); None if not synced."""
        if self.bridge is None or not self.bridge.synced:
            return None
        status = self.bridge.status()
        return (status.get("process", {}).get("pid"), status.get("connected_since"))

    async def _live_attempts(self) -> dict[str, LiveChannel]:
        """The PBX's channels now that carry a campaign attempt's ActionID (AMI ``Status`` with ``Variables``)."""
        gateway = getattr(self.bridge, "gateway", None)
        if gateway is None:
            raise AmiNotConnected("no PBX gateway")
        items = await gateway.channel_status(variables=[gateway.action_id_var])
        return live_channels(items, gateway.action_id_var)

    async def _place(self, request: DialRequest) -> str:
        """One Originate through the PBX gateway, and what became of it (cti.campaigns.dialer's words)."""
        gateway = getattr(self.bridge, "gateway", None)
        if gateway is None:
            return NOT_SENT
        try:
            await gateway.originate(channel=request.channel, context=request.context, exten=request.exten,
                                    caller_id=request.caller_id, variables=request.variables,
                                    action_id=request.action_id)
        except AmiNotConnected:
            return NOT_SENT  # nothing left this process
        except (AmiDisconnected, AmiTimeout):
            return UNKNOWN  # on the wire when the connection went: it may ring
        except (AmiActionError, ValueError):
            return REFUSED
        return SENT

    async def start(self) -> None:
        if self.writers is not None:
            await self.writers.start()
        await self.bus.start()
        if self.board is not None:  # today's figures from the call log before the PBX's events flow
            await self.board.start()
        if self.agent_news is not None:
            try:
                await self.agent_news.refresh()
            except Exception:  # the database is away: the timer tries again
                log.warning("supervision: could not read the agents' phones at start", exc_info=True)
        assert self.bridge is not None
        await self.bridge.start()
        try:  # what a console connecting now must show: the open escalations, a calendar missing a year
            if self.ticket_push is not None:
                await self.ticket_push.refresh()
            if self.timers is not None:
                await self.timers.check_calendars()
        except Exception:  # the database is away: the first tick tries again
            log.warning("tickets: could not read the open escalations at start", exc_info=True)
        if self.scheduler is not None:
            await self.scheduler.start()

    async def stop(self) -> None:
        """Stop the timers and taking events from the PBX, let the subscribers finish (bounded), then stop them."""
        if self.scheduler is not None:
            await self.scheduler.stop()  # a tick in progress finishes and publishes first
        if self.bridge is not None:
            await self.bridge.stop()
        try:
            await asyncio.wait_for(self._drain(), STOP_DRAIN_SECONDS)
        except TimeoutError:  # a subscriber stuck on a dead database must not hang the shutdown
            log.warning("stopping with events not handled yet: %s", self.bus.stats())
        await self.bus.stop()
        if self.board is not None:
            await self.board.stop()
        if self.writers is not None:
            await self.writers.stop()
        if self.webhooks is not None:
            await self.webhooks.close()
        self.hub.close_all()

    async def _drain(self) -> None:
        """Until every subscriber is idle, what they published after commits included."""
        await self.bus.drain()
        if self.tickets is not None:
            await self.tickets.settled()
            await self.bus.drain()


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
