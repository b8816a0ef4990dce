"""The escalation webhook against a local receiver (SQLite file and PostgreSQL): signed, retried with
backoff after a failure, delivered once; given up after the last attempt; a slow receiver times out."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from aiohttp import web
from sqlalchemy import select

from cti.tickets import webhook
from cti.tickets.models import WebhookDelivery
from cti.tickets.webhook import Target, WebhookSender
from tests.integration.tickets.timer_support import BREACHED_AT, open_ticket, rig

SECRET = b"a-shared-secret-of-32-characters"


class Receiver:
    """An HTTP endpoint answering each request with the next status of ``statuses`` (then 200)."""

    def __init__(self, statuses=(), delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((dict(request.headers), await request.read()))
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"
        return self

    async def stop(self) -> None:
        await self.runner.cleanup()


@pytest.fixture
async def receiver():
    made: list[Receiver] = []

    async def make(*statuses: int, delay: float = 0.0) -> Receiver:
        made.append(await Receiver(statuses, delay).start())
        return made[-1]

    yield make
    for r in made:
        await r.stop()


async def escalated(db, target: Target):
    """A complaint escalated by the tick with a webhook configured: one delivery queued."""
    desk, clock, published, timers, _ = rig(db, hook=target)
    await open_ticket(db, desk, "complaint")
    clock.now = BREACHED_AT
    await timers.tick()
    return clock, WebhookSender(db, target, clock)


async def deliveries(db) -> list[WebhookDelivery]:
    async with db.session() as s:
        return list(await s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def test_a_failed_attempt_is_retried_a_minute_later_and_every_attempt_is_signed(db, receiver):
    hook = await receiver(500)
    clock, sender = await escalated(db, Target(hook.url, SECRET, timeout=5))
    try:
        assert await sender.run() == 1  # refused with 500
        (row,) = await deliveries(db)
        assert (row.attempts, row.last_error, row.next_attempt_at) == (1, "HTTP 500", BREACHED_AT + dt.timedelta(minutes=1))
        assert await sender.run() == 0  # not due again before its time

        clock.now = BREACHED_AT + dt.timedelta(minutes=1, seconds=5)
        assert await sender.run() == 1
        assert await sender.run() == 0  # delivered: never sent again
    finally:
        await sender.close()

    (row,) = await deliveries(db)
    assert (row.attempts, row.delivered_at, row.next_attempt_at, row.last_error) == (2, clock.now, None, "")
    assert len(hook.got) == 2
    stamps = []
    for headers, body in hook.got:
        assert headers["Content-Type"] == "application/json" and headers["X-CTI-Event"] == "escalation"
        assert headers["X-CTI-Delivery"] == str(row.id)  # the same on a retry: the receiver drops duplicates
        stamp = headers["X-CTI-Timestamp"]
        assert webhook.verify(SECRET, body, stamp, headers["X-CTI-Signature"], now=float(stamp))
        assert not webhook.verify(b"another-secret-entirely-32-chars", body, stamp, headers["X-CTI-Signature"],
                                  now=float(stamp))
        assert not webhook.verify(SECRET, body, stamp, headers["X-CTI-Signature"], now=float(stamp) + 3600)  # replayed
        assert json.loads(body) == row.payload
        stamps.append(int(stamp))
    assert stamps == [int(BREACHED_AT.timestamp()), int(clock.now.timestamp())]


async def test_a_delivery_is_given_up_after_the_last_attempt(db, receiver):
    hook = await receiver(503, 503, 503)
    clock, sender = await escalated(db, Target(hook.url, SECRET, timeout=5, max_attempts=3))
    waits = []
    try:
        for _ in range(3):
            assert await sender.run() == 1
            (row,) = await deliveries(db)
            if row.next_attempt_at is not None:
                waits.append(row.next_attempt_at - clock.now)
                clock.now = row.next_attempt_at
        assert await sender.run() == 0
    finally:
        await sender.close()
    assert waits == [dt.timedelta(minutes=1), dt.timedelta(minutes=2)]
    (row,) = await deliveries(db)
    assert (row.attempts, row.next_attempt_at, row.delivered_at) == (3, None, None)
    assert row.last_error == "gave up after 3 attempts: HTTP 503"


async def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(db, receiver):
    hook = await receiver(delay=2.0)
    clock, sender = await escalated(db, Target(hook.url, SECRET, timeout=0.3))
    try:
        assert await sender.run() == 1
    finally:
        await sender.close()
    (row,) = await deliveries(db)
    assert (row.attempts, row.last_error, row.delivered_at) == (1, "timeout", None)


async def test_nothing_listening_is_a_failed_attempt_too(db):
    from web_support import unused_port

    clock, sender = await escalated(db, Target(f"http://127.0.0.1:{unused_port()}/hook", SECRET, timeout=2))
    try:
        assert await sender.run() == 1
    finally:
        await sender.close()
    (row,) = await deliveries(db)
    assert row.attempts == 1 and row.last_error.startswith("ClientConnectorError")


async def test_two_processes_sending_at_the_same_moment_send_each_delivery_once(db, database_url, receiver):
    from cti.store import Database

    hook = await receiver()
    target = Target(hook.url, SECRET, timeout=5)
    clock, sender = await escalated(db, target)
    other_db = Database(database_url)
    other = WebhookSender(other_db, target, clock)
    try:
        attempted = await asyncio.gather(sender.run(), other.run(), sender.run())
    finally:
        await sender.close()
        await other.close()
        await other_db.close()
    assert sum(attempted) == 1 and len(hook.got) == 1
    (row,) = await deliveries(db)
    assert row.attempts == 1 and row.delivered_at is not None
