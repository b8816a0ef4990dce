"""The escalation webhook: messages queued in ``webhook_deliveries`` with the change they announce, sent
in the background, signed, retried with exponential backoff, given up after a number of attempts.

The format (docs/WEBHOOKS.md): ``POST`` of a JSON body with ``Content-Type: application/json``,
``X-CTI-Event`` (``escalation``), ``X-CTI-Delivery`` (the delivery's id: the same on every retry, so a
receiver drops duplicates), ``X-CTI-Timestamp`` (POSIX seconds of this attempt) and
``X-CTI-Signature: sha256=<hex>``, the HMAC-SHA256 of ``<timestamp>.<raw body>`` with the shared
secret: a receiver recomputes it over the bytes it got and refuses a timestamp more than a few
minutes old (a replayed message). Any 2xx is delivered; anything else (an error status, a refused
connection, a timeout) is retried 1, 2, 4 … minutes later (at most an hour apart) until
``CTI_WEBHOOK_MAX_ATTEMPTS``; then ``next_attempt_at`` is cleared and ``last_error`` says so.

>>> signature(b"Jefe", b"what do ya want for nothing?")  # RFC 4231, test case 2
'5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'
>>> [backoff(n).total_seconds() / 60 for n in (1, 2, 3, 7, 8)]
[1.0, 2.0, 4.0, 60.0, 60.0]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cti.logs import clean
from cti.tickets.models import WebhookDelivery

log = logging.getLogger(__name__)
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_RETRY = dt.timedelta(hours=1)
BATCH = 20  # deliveries one run of the sender takes at most
LEASE_MARGIN = dt.timedelta(minutes=1)  # a taken delivery is not taken again for its timeout and this
USER_AGENT = "hotline-cti-webhook/1"


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    secret: bytes
    timeout: float = 10.0
    max_attempts: int = 8
    origin: str = ""  # CTI_PUBLIC_ORIGIN: the payload links to the ticket when known

    @classmethod
    def from_settings(cls, settings: Any) -> Target | None:
        if not settings.webhook_url:
            return None
        return cls(settings.webhook_url, settings.webhook_secret.get_secret_value().encode(),
                   settings.webhook_timeout, settings.webhook_max_attempts, settings.public_origin.rstrip("/"))


def signature(secret: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` as lower-case hex."""
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def signed_headers(secret: bytes, body: bytes, timestamp: int, *, event: str, delivery_id: int) -> dict[str, str]:
    """The headers of one attempt; the signature covers ``<timestamp>.<body>``."""
    stamp = str(int(timestamp))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CTI-Event": event,
        "X-CTI-Delivery": str(delivery_id),
        "X-CTI-Timestamp": stamp,
        "X-CTI-Signature": "sha256=" + signature(secret, stamp.encode() + b"." + body),
    }


def verify(secret: bytes, body: bytes, timestamp: str, header: str, now: float, tolerance: float = 300.0) -> bool:
    """What a receiver does (and the tests): the signature matches and the timestamp is recent."""
    try:
        fresh = abs(now - int(timestamp)) <= tolerance
    except ValueError:
        return False
    expected = "sha256=" + signature(secret, timestamp.encode() + b"." + body)
    return fresh and hmac.compare_digest(expected, header)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), MAX_RETRY)


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def queued(kind: str, payload: dict[str, Any], now: dt.datetime) -> WebhookDelivery:
    """A delivery to add to the transaction of the change it announces."""
    return WebhookDelivery(kind=kind, payload=payload, created_at=now, attempts=0, next_attempt_at=now)


def escalation_payload(row: Any, ticket: Any, target: Target) -> dict[str, Any]:
    """What the receiver learns of an escalation: no personal data (the customer's name stays here)."""
    return {
        "event": "escalation", "escalation_id": row.id, "ticket_id": ticket.id, "ticket_number": ticket.number,
        "level": row.level, "reason": row.reason, "raised_at": row.raised_at.isoformat(),
        "url": f"{target.origin}/tickets/{ticket.id}" if target.origin else None,
    }


# -- the sender (a scheduler job) ---------------------------------------------------------------------


def take_due(session: Session, now: dt.datetime, lease: dt.timedelta,
             limit: int = BATCH) -> list[tuple[int, str, dict[str, Any], int]]:
    """Deliveries due now, each taken with a conditional update (``next_attempt_at`` moved a lease ahead):
    another process, or this one's next run, does not send it again while it is in flight."""
    rows = session.execute(
        select(WebhookDelivery.id, WebhookDelivery.next_attempt_at, WebhookDelivery.kind, WebhookDelivery.payload,
               WebhookDelivery.attempts)
        .where(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    taken = []
    for row in sorted(rows, key=lambda r: r.id):
        claim = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == row.id, WebhookDelivery.next_attempt_at == row.next_attempt_at,
                   WebhookDelivery.delivered_at.is_(None))
            .values(next_attempt_at=now + lease)
            .execution_options(synchronize_session=False))
        if claim.rowcount == 1:
            taken.append((row.id, row.kind, row.payload, row.attempts))
    return taken


def record(session: Session, results: list[tuple[int, str | None]], now: dt.datetime, max_attempts: int) -> None:
    """The outcome of each attempt: delivered, retried later, or given up."""
    for delivery_id, error in results:
        row = session.get(WebhookDelivery, delivery_id)
        if row is None:
            continue
        row.attempts += 1
        if error is None:
            row.delivered_at, row.next_attempt_at, row.last_error = now, None, ""
        elif row.attempts >= max_attempts:
            row.next_attempt_at = None
            row.last_error = f"gave up after {row.attempts} attempts: {error}"[:300]
        else:
            row.next_attempt_at = now + backoff(row.attempts)
            row.last_error = error[:300]


class WebhookSender:
    """Sends the due deliveries; never on the call path (a scheduler job), never more than ``BATCH`` at once."""

    def __init__(self, db: Any, target: Target, clock: Any) -> None:
        self._db = db
        self.target = target
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self.delivered = 0
        self.failed = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def run(self) -> int:
        """One pass: take what is due, send it, record the outcomes. Returns how many were attempted."""
        lease = dt.timedelta(seconds=self.target.timeout) + LEASE_MARGIN
        taken = await self._db.write(take_due, self._clock(), lease)
        if not taken:
            return 0
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.target.timeout))
        results = await asyncio.gather(*(self._send(*item) for item in taken))
        await self._db.write(record, list(results), self._clock(), self.target.max_attempts)
        return len(taken)

    async def _send(self, delivery_id: int, kind: str, payload: dict[str, Any], attempts: int) -> tuple[int, str | None]:
        body = body_of(payload)
        headers = signed_headers(self.target.secret, body, int(self._clock().timestamp()), event=kind,
                                 delivery_id=delivery_id)
        assert self._session is not None
        try:
            async with self._session.post(self.target.url, data=body, headers=headers, allow_redirects=False) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    self.delivered += 1
                    return delivery_id, None
                error = f"HTTP {resp.status}"
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = f"{type(exc).__name__}: {exc}"
        self.failed += 1
        log.warning("webhook delivery %d (attempt %d) failed: %s", delivery_id, attempts + 1, clean(error))
        return delivery_id, error

    def status(self) -> dict[str, Any]:
        return {"ok": True, "delivered": self.delivered, "failed": self.failed}
