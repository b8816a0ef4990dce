"""Small builders shared by the domain integration tests."""

from __future__ import annotations

import datetime as dt

from cti.customers import service as customers
from cti.phone import normalise


async def add_customer(db, name: str, *phones: str, products=(), tier: str = "standard"):
    async with db.session() as session:
        return await customers.create(
            session,
            customers.NewCustomer(
                name=name,
                phones=[normalise(p) for p in phones],
                tier=tier,
                products=[customers.NewProduct(*p) for p in products],
            ),
            actor="test",
        )


def ts(hour: int, minute: int = 0, second: int = 0) -> float:
    """A POSIX time on 2026-11-27 (UTC)."""
    return dt.datetime(2026, 11, 27, hour, minute, second, tzinfo=dt.UTC).timestamp()
