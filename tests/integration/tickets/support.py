"""Builders for the tickets tests: a desk on a test database with a clock the test moves."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from cti.tickets.desk import TicketDesk
from cti.tickets.service import Actor

SHANGHAI = ZoneInfo("Asia/Shanghai")
AGENT = Actor("agent1", "agent", None)
SUPERVISOR = Actor("sup1", "supervisor", None)
ENGINEER = Actor("eng1", "engineer", None)


def local(*args: int) -> dt.datetime:
    """A Shanghai wall-clock time as an aware UTC datetime."""
    return dt.datetime(*args, tzinfo=SHANGHAI).astimezone(dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def make_desk(db, now: dt.datetime) -> tuple[TicketDesk, Clock, list]:
    published: list = []

    async def publish(events):
        published.extend(events)

    clock = Clock(now)
    return TicketDesk(db, publish, SHANGHAI, clock=clock), clock, published
