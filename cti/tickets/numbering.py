"""Ticket numbers people can read over the phone: ``T20261201-0001``, counted per local day.

The counter row of the day is created if missing and incremented in the caller's
transaction (``UPDATE … RETURNING``): on PostgreSQL the row lock orders concurrent
openings, on SQLite the write transaction does (``BEGIN IMMEDIATE``); the unique
index on ``tickets.number`` is the last guard.

>>> format_number(dt.date(2026, 12, 1), 7)
'T20261201-0007'
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.orm import Session

from cti.store.dialects import upsert_insert
from cti.tickets.models import TicketCounter

PREFIX = "T"


def format_number(day: dt.date, seq: int) -> str:
    """Four digits at least; a day with more than 9,999 tickets simply gets five."""
    return f"{PREFIX}{day:%Y%m%d}-{seq:04d}"


def next_number(session: Session, day: dt.date) -> str:
    """The next number of ``day`` (a local date), taken in the session's transaction."""
    key = f"{day:%Y%m%d}"
    session.execute(upsert_insert(session)(TicketCounter).values(day=key, last=0).on_conflict_do_nothing(index_elements=["day"]))
    seq = session.execute(
        update(TicketCounter).where(TicketCounter.day == key).values(last=TicketCounter.last + 1)
        .returning(TicketCounter.last)
    ).scalar_one()
    return format_number(day, seq)
