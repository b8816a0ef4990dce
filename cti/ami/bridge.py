"""The AMI bridge: owns the connection to the PBX and feeds the call tracker, in order.

    socket ──bytes──▶ AmiProtocol (frame on bytes, route answers) ──events──▶ one bounded queue
        ──▶ one consumer task: tracker.feed(msg, t) / resync_queues / resync_channels / expire
        ──▶ await publish(events)

The frames of events the tracker ignores (its ``ignored_events``, and ``VarSet`` frames
without its ActionID variable: ``skip_unless``) are skipped by the framer and never queued;
``/status`` counts them in ``events_skipped``. The consumer takes every message already
queued at each wake-up, feeds them to the tracker in order and publishes their domain events
with one ``await publish(events)`` per batch.

How panoramisk's sharp edges (DESIGN.md, "Talking to Asterisk") are covered:

* Framing on bytes, capped partial frame: :class:`cti.ami.protocol.AmiProtocol`
  (panoramisk's ``AMIProtocol`` with ``data_received`` replaced by
  :class:`~cti.ami.framing.AmiFramer`); an oversized frame aborts the connection.
* Handlers: the protocol's only event handler puts the message on ONE bounded
  ``asyncio.Queue``; one consumer task feeds the tracker in arrival order and
  awaits ``publish``. An error in the tracker (a bug: hostile input is only
  counted, in ``tracker.ignored``) or a subscriber is logged (one line, at most
  one a minute) and counted, never kills the connection or the consumer. When
  the queue is full the socket stops being read (TCP back-pressure) instead of
  dropping events.
* Watchdog: every ``ami_ping_interval`` a Ping is sent and its answer *awaited*
  for one interval; no answer (a black-holed PBX) aborts the transport, so a
  silent PBX is noticed within about two intervals.
* Timeouts: every action waits at most ``ami_action_timeout`` (:class:`AmiTimeout`).
* No re-sending: panoramisk's ``Manager`` is not used at all (it re-sends pending
  actions after a reconnect, pings fire-and-forget, reconnects at a fixed
  interval and keeps login failures silent). Connection, login and reconnect
  are driven here with ``loop.create_connection``; actions pending at a
  disconnect fail with :class:`AmiDisconnected` and are forgotten.
* ``Async: true`` on every Originate and value validation: :mod:`cti.ami.actions`.
* Login failure: state ``login_failed``, ``last_error`` is the PBX's message
  ("Authentication failed"), logged once per change, retried with backoff.
* No ``panoramisk.CallManager``: calls are followed by :mod:`cti.ami.tracker`.
* Resync: after every login ``QueueStatus`` is sent, then, once it completed,
  ``CoreShowChannels``. Each list is put on the event queue as a marker at the
  exact point of the stream where it completed, and the tracker applies it
  there (``resync_queues``, ``resync_channels``): a list is never applied after
  events that happened since it was taken, so they are never contradicted by
  it (nothing lost, nothing doubled, no call brought back). Then a Ping: where
  its answer arrives, every event Asterisk had queued while answering the list
  has arrived too (manager.c sends them once an action is handled), and the
  tracker ends the calls the list no longer showed (``settle``).
* Timer: every ``tick_interval`` seconds a tick marker goes through the same
  queue, so that stale calls and calls gone from a resync's list end on time
  on a quiet PBX too (``tracker.expire``), in order with the stream.

Reconnects use exponential backoff with jitter, capped by ``ami_reconnect_max``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cti.ami.actions import AmiGateway
from cti.ami.framing import encode_action
from cti.ami.protocol import AmiError, AmiNotConnected, AmiProtocol, AmiTimeout, LoginFailed, Reply
from cti.ami.tracker import CallTracker, TrackerError
from cti.config import Settings
from cti.events import DomainEvent
from cti.logs import LogLimiter, clean
from cti.tasks import cancel_all, cancel_and_wait

log = logging.getLogger(__name__)

Publish = Callable[[list[DomainEvent]], Awaitable[None]]
BATCH_MAX = 500  # messages fed per publish: bounds how long the first one's events wait (~1 ms)
TICK_INTERVAL = 5.0  # seconds between two tracker.expire() ticks


@dataclass(frozen=True, slots=True)
class QueueList:
    """Marker on the event queue: ``QueueStatus`` completed here (apply its items at this point)."""

    items: list[dict[str, str]]
    at: float


@dataclass(frozen=True, slots=True)
class ChannelList:
    """Marker on the event queue: ``CoreShowChannels`` completed here (apply its items at this point)."""

    items: list[dict[str, str]]
    at: float
    login: int = 0  # the bridge's login count when it was asked: which connection it describes


@dataclass(frozen=True, slots=True)
class Settled:
    """Marker on the event queue: the answer to the Ping sent after the channel list arrived here."""

    at: float


@dataclass(frozen=True, slots=True)
class Tick:
    """Marker on the event queue: end the calls that are stale or gone (``tracker.expire``)."""

    at: float


Item = tuple[dict[str, str], float] | QueueList | ChannelList | Settled | Tick


class AmiBridge:
    def __init__(
        self,
        settings: Settings,
        tracker: CallTracker,
        publish: Publish,
        *,
        clock: Callable[[], float] = time.time,
        queue_size: int = 10_000,
        tick_interval: float = TICK_INTERVAL,
    ) -> None:
        self.settings = settings
        self.tracker = tracker
        self._publish = publish
        self._clock = clock
        self._tick_interval = tick_interval
        self._queue: asyncio.Queue[Item] = asyncio.Queue(queue_size)
        self._backlog: deque[Item] = deque()  # overflow of one read, in order
        self._paused: AmiProtocol | None = None  # connection whose reading is paused by back-pressure
        self._proto: AmiProtocol | None = None  # the logged-in connection
        self._supervisor: asyncio.Task[None] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None
        self.gateway = AmiGateway(self._request, action_id_var=getattr(tracker, "action_id_var", "CTI_ACTION_ID"))
        self.state = "disconnected"
        self.last_error = ""
        self.connected_since: float | None = None
        self.reconnects = 0
        self.logins = 0
        self.events_received = 0
        self.handler_errors = 0  # messages or batches the tracker or a subscriber failed on
        self.tracker_errors = 0  # ... of which the tracker raised (a bug in the tracker)
        self._synced_login = -1  # the login whose channel list the tracker has applied
        self._error_logs = {"tracker": LogLimiter(log), "subscriber": LogLimiter(log)}  # one flood hides not the other
        self.resyncs = 0
        self.last_ping_rtt: float | None = None
        self._malformed_closed = 0  # malformed lines of connections already gone
        self._skipped_closed = 0  # noise frames skipped/dropped by connections already gone
        self._skip_events: frozenset[str] = getattr(tracker, "ignored_events", frozenset())
        self._skip_unless: dict[str, str] = dict(getattr(tracker, "skip_unless", None) or {})
        self._last_event_at: float | None = None  # monotonic
        self._logged: tuple[str, str] | None = None
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Return at once; connect, log in and keep reconnecting in the background."""
        if self._supervisor is not None:
            return
        self._stopping = False
        self._set_state("connecting", "")
        self._consumer = asyncio.create_task(self._consume(), name="ami:consumer")
        self._ticker = asyncio.create_task(self._tick(), name="ami:ticker")
        self._supervisor = asyncio.create_task(self._run(), name="ami:connection")

    async def stop(self) -> None:
        """Close the connection, let the consumer finish what was received (bounded), stop the tasks."""
        self._stopping = True
        await cancel_all((self._supervisor, self._ticker))
        self._supervisor = self._ticker = None
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                await asyncio.wait_for(self._queue.join(), self.settings.ami_action_timeout)
            except TimeoutError:
                log.warning("AMI bridge stopped with %d messages not handled", self._queue.qsize())
            await cancel_and_wait(consumer)
        self._set_state("disconnected", self.last_error)

    @property
    def synced(self) -> bool:
        """Logged in, and this connection's channel list applied: the tracker shows the PBX as it is now."""
        return self.state == "connected" and self._synced_login == self.logins

    def status(self) -> dict[str, Any]:
        """The AMI component of ``/status``.

        ``state``: ``connecting`` (first attempt), ``connected`` (logged in),
        ``login_failed`` or ``disconnected`` (retrying; ``last_error`` says why).
        ``queue_depth``/``queue_max``: messages received and not yet handled.
        ``tracker``: calls and legs held; messages ``ignored`` (unusable input), calls ``evicted``
        (stale or over the cap), ``errors`` (the tracker raised: a bug, logged).
        """
        proto = self._proto
        malformed = self._malformed_closed + (proto.framer.malformed if proto else 0)
        return {
            "state": self.state,
            "host": self.settings.ami_host,
            "port": self.settings.ami_port,
            "last_error": self.last_error,
            "connected_since": self.connected_since,
            "reconnects": self.reconnects,
            "events_received": self.events_received,
            "events_skipped": self._skipped_closed + (proto.skipped if proto else 0),
            "malformed_frames": malformed,
            "handler_errors": self.handler_errors,
            "resyncs": self.resyncs,
            "queue_depth": self._queue.qsize() + len(self._backlog),
            "queue_max": self._queue.maxsize,
            "reading_paused": self._paused is not None,
            "last_event_age_s": None if self._last_event_at is None
            else round(time.monotonic() - self._last_event_at, 3),
            "ping_rtt_s": None if self.last_ping_rtt is None else round(self.last_ping_rtt, 4),
            "tracker": self._tracker_status(),
        }

    def _tracker_status(self) -> dict[str, Any]:
        tracker = self.tracker
        return {"calls": len(tracker), "legs": getattr(tracker, "legs_held", None),  # type: ignore[arg-type]
                "ignored": getattr(tracker, "ignored", None), "evicted": getattr(tracker, "evicted", None),
                "errors": self.tracker_errors}

    # -- connection -----------------------------------------------------------------------------------

    async def _run(self) -> None:
        """Connect forever. While retrying, ``state`` keeps the last failure (login_failed / disconnected)."""
        failures = 0
        while not self._stopping:
            stable = False
            started = time.monotonic()
            try:
                lost = await self._session()
                # A connection that lived at least the backoff cap resets the backoff; one that the
                # PBX drops right after each login keeps backing off like any other failure.
                stable = time.monotonic() - started >= self.settings.ami_reconnect_max
                self._set_state("disconnected", lost)
            except asyncio.CancelledError:
                raise
            except LoginFailed as exc:
                self._set_state("login_failed", str(exc))
            except (OSError, AmiError) as exc:
                self._set_state("disconnected", _describe(exc))
            except Exception as exc:  # a bug must not end the reconnect loop
                log.exception("AMI connection failed unexpectedly")
                self._set_state("disconnected", _describe(exc))
            failures = 0 if stable else failures + 1
            await asyncio.sleep(self._backoff(failures))

    def _backoff(self, failures: int) -> float:
        """Exponential with jitter: 0.5 s, 1 s, 2 s, ... capped by ``ami_reconnect_max``; half of it random."""
        cap = self.settings.ami_reconnect_max
        delay = min(cap, min(0.5, cap) * 2 ** min(failures, 30))
        return delay / 2 + random.uniform(0, delay / 2)

    async def _session(self) -> str:
        """One connection: connect, log in, resync, watch; returns why it was lost (raises if no login)."""
        s = self.settings
        loop = asyncio.get_running_loop()

        def factory() -> AmiProtocol:
            new = AmiProtocol(lambda msg: self._on_event(new, msg),
                              skip_events=self._skip_events, skip_unless=self._skip_unless)
            return new

        _, proto = await asyncio.wait_for(
            loop.create_connection(factory, s.ami_host or "127.0.0.1", s.ami_port), s.ami_action_timeout
        )
        tasks: list[asyncio.Task[None]] = []
        try:
            login = {"Action": "Login", "Username": s.ami_username,
                     "Secret": s.ami_secret.get_secret_value(), "Events": "on"}
            reply = await proto.request(login, timeout=s.ami_action_timeout)
            if not reply.ok:
                raise LoginFailed(clean(reply.message or "login refused"))
            self.logins += 1
            if self.logins > 1:
                self.reconnects += 1
            self._proto = proto
            self.connected_since = self._clock()
            self._set_state("connected", "")
            tasks.append(asyncio.create_task(self._resync(proto), name="ami:resync"))
            tasks.append(asyncio.create_task(self._watchdog(proto), name="ami:watchdog"))
            return await asyncio.shield(proto.lost)
        finally:
            self._proto = None
            self.connected_since = None
            await cancel_all(tasks)
            if not proto.closed:
                proto.abort("closed by the bridge")
            self._malformed_closed += proto.framer.malformed
            self._skipped_closed += proto.skipped
            if self._paused is proto:
                self._paused = None

    async def _resync(self, proto: AmiProtocol) -> None:
        """QueueStatus, CoreShowChannels, Ping; each answer is queued as a marker where it completed."""
        timeout = self.settings.ami_action_timeout
        steps = (("QueueStatus", True, lambda r: QueueList(r.items, self._clock())),
                 ("CoreShowChannels", True, lambda r: ChannelList(r.items, self._clock(), self.logins)),
                 ("Ping", False, lambda r: Settled(self._clock())))
        for action, as_list, marker in steps:

            def place(reply: Reply, marker: Callable[[Reply], Item] = marker) -> None:
                if reply.ok:
                    self._enqueue(proto, marker(reply))

            try:
                reply = await proto.request({"Action": action}, as_list=as_list, timeout=timeout, on_complete=place)
            except AmiError as exc:
                log.warning("AMI resync failed (%s); reconnecting", exc)
                proto.abort(f"resync failed: {exc}")
                return
            if not reply.ok:
                log.warning("AMI resync refused by the PBX (%s: %s); reconnecting", action, clean(reply.message))
                proto.abort(f"resync refused: {action}: {clean(reply.message)}")
                return
            if action == "CoreShowChannels":
                self.resyncs += 1

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._tick_interval)
            self._enqueue(self._proto, Tick(self._clock()))

    async def _watchdog(self, proto: AmiProtocol) -> None:
        interval = self.settings.ami_ping_interval
        while not proto.closed:
            await asyncio.sleep(interval)
            started = time.monotonic()
            try:
                await proto.request({"Action": "Ping"}, timeout=interval)
            except AmiTimeout:
                if self._paused is proto:
                    continue  # we stopped reading ourselves (back-pressure): the answer is unread, not missing
                log.warning("AMI: no answer to Ping within %gs, the PBX is silent; dropping the connection", interval)
                proto.abort(f"PBX silent: no answer to Ping within {interval:g}s")
                return
            except AmiError:
                return
            self.last_ping_rtt = time.monotonic() - started

    async def _request(self, fields: dict[str, Any], *, as_list: bool = False, to_stream: bool = False) -> Reply:
        proto = self._proto
        if proto is None:
            encode_action(fields)  # an unsafe value is a ValueError even when disconnected
            detail = f" ({self.state}: {self.last_error})" if self.last_error else f" ({self.state})"
            raise AmiNotConnected(f"AMI {fields.get('Action', '?')}: not connected to the PBX{detail}")
        return await proto.request(fields, as_list=as_list, to_stream=to_stream,
                                   timeout=self.settings.ami_action_timeout)

    def _set_state(self, state: str, error: str) -> None:
        self.state, self.last_error = state, error
        if (state, error) == self._logged or state == "connecting":
            return
        self._logged = (state, error)
        s = self.settings
        where = f"{s.ami_host or '127.0.0.1'}:{s.ami_port}"
        if state == "connected":
            log.info("AMI connected and logged in to %s", where)
        elif state == "login_failed":
            log.error("AMI login to %s as %s failed: %s (retrying with backoff)", where, clean(s.ami_username), clean(error))
        elif not self._stopping:
            log.warning("AMI %s from %s: %s (reconnecting)", state, where, clean(error) or "no reason")

    # -- events ---------------------------------------------------------------------------------------

    def _on_event(self, proto: AmiProtocol, msg: dict[str, str]) -> None:
        """The protocol's only handler: stamp and enqueue, nothing else."""
        self.events_received += 1
        self._last_event_at = time.monotonic()
        self._enqueue(proto, (msg, self._clock()))

    def _enqueue(self, proto: AmiProtocol | None, item: Item) -> None:
        if not self._backlog:
            try:
                self._queue.put_nowait(item)
                return
            except asyncio.QueueFull:
                pass
        self._backlog.append(item)
        if self._paused is None and proto is not None and not proto.closed and proto.transport is not None:
            self._paused = proto
            proto.transport.pause_reading()
            log.warning("AMI event queue full (%d): reading from the PBX paused", self._queue.maxsize)

    def _refill(self) -> None:
        while self._backlog and not self._queue.full():
            self._queue.put_nowait(self._backlog.popleft())
        paused = self._paused
        if paused is not None and not self._backlog and self._queue.qsize() <= self._queue.maxsize // 2:
            self._paused = None
            if paused.transport is not None:
                paused.transport.resume_reading()

    async def _consume(self) -> None:
        """Each wake-up: take the messages queued (in order, up to BATCH_MAX), feed the tracker, publish once."""
        queue = self._queue
        tracker = self.tracker
        while True:
            items = [await queue.get()]
            while not queue.empty() and len(items) < BATCH_MAX:
                items.append(queue.get_nowait())
            try:
                self._refill()
                events: list[DomainEvent] = []
                for item in items:
                    try:
                        if type(item) is tuple:
                            events.extend(tracker.feed(item[0], item[1]))
                        else:
                            events.extend(self._apply(item))
                    except TrackerError as exc:  # a bug: what happened before it still goes out
                        events.extend(exc.events)
                        self.tracker_errors += 1
                        self._failed("tracker", item, exc.__cause__ or exc)
                    except Exception as exc:
                        self.tracker_errors += 1
                        self._failed("tracker", item, exc)
                if events:
                    try:
                        await self._publish(events)
                    except asyncio.CancelledError:
                        raise
                    except Exception as exc:
                        self._failed("subscriber", items[-1] if len(items) == 1 else None, exc)
            finally:
                for _ in items:
                    queue.task_done()

    def _apply(self, marker: QueueList | ChannelList | Settled | Tick) -> list[DomainEvent]:
        tracker = self.tracker
        if isinstance(marker, QueueList):
            return tracker.resync_queues(marker.items, marker.at)
        if isinstance(marker, ChannelList):
            self._synced_login = marker.login
            return tracker.resync_channels(marker.items, marker.at)
        if isinstance(marker, Settled):
            return tracker.settle(marker.at)
        return tracker.expire(marker.at)

    def _failed(self, who: str, item: Item | None, exc: BaseException) -> None:
        """Count, and log one line (at most one a minute for each of ``tracker`` and ``subscriber``):
        what failed, on what, where in the code."""
        self.handler_errors += 1
        if item is None:
            what = "a batch"
        elif type(item) is tuple:
            what = clean(item[0].get("Event", "?"), 60)
        else:
            what = type(item).__name__
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        at = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
        self._error_logs[who].error("AMI %s: the call %s failed: %s%s (the stream goes on)", what, who,
                                    clean(f"{type(exc).__name__}: {exc}", 200), at)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError) and not isinstance(exc, AmiError):
        return "connect timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return clean(str(exc) or type(exc).__name__)
