"""Seeding the demo: the generated customers (cti.customers.demo), the demo logins, the demo tickets
(cti.tickets.demo) and the field service (cti.dispatch.demo)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cti.customers import service as customers
from cti.customers.demo import DemoCustomer, DemoData
from cti.dispatch import demo as dispatch_demo
from cti.phone import normalise
from cti.store import Database
from cti.store.base import utcnow
from cti.tickets.clocks import Promises
from cti.tickets.demo import seed_tickets
from cti.users import service as users


@dataclass
class SeedReport:
    customers: int = 0
    users: int = 0
    tickets: int = 0


async def seed(db: Database, data: DemoData, *, region: str = "CN", zone: str = "Asia/Shanghai") -> SeedReport:
    """Add the demo customers to an empty customer table, every missing demo login, and the demo tickets
    to an empty ticket table. Idempotent."""
    report = SeedReport()
    async with db.session() as session:
        if await customers.count(session) == 0:
            for demo in data.customers:
                customer = customers.add(session, _new_customer(demo, region))
                labels = {normalise(p.raw, region=region).e164: p.label for p in demo.phones}
                for phone in customer.phones:
                    phone.label = labels.get(phone.e164, "")
            report.customers = len(data.customers)
            await session.commit()
        for agent in data.agents:
            if await users.by_username(session, agent.username) is None:
                await users.create(
                    session,
                    username=agent.username,
                    password=agent.password,
                    role=agent.role,
                    interface=agent.interface,
                    display_name=agent.display_name,
                    actor="demo",
                )
                report.users += 1
    promises = await db.read(Promises.load, zone)
    report.tickets = await db.write(seed_tickets, promises, utcnow(), ZoneInfo(zone))
    field = await dispatch_demo.seed(db, zone=zone)  # outlets, engineers, regions; on-site jobs
    report.tickets += field.jobs
    return report


def _new_customer(demo: DemoCustomer, region: str) -> customers.NewCustomer:
    return customers.NewCustomer(
        name=demo.name,
        phones=[normalise(p.raw, region=region) for p in demo.phones],
        tier=demo.tier,
        notes=demo.notes,
        city=demo.city,
        district=demo.district,
        address=demo.address,
        products=[
            customers.NewProduct(p.model, p.serial, p.purchase_date, p.warranty_months) for p in demo.products
        ],
    )
