"""Builders for the dispatch tests: engineers with logins, an outlet, regions, on-site tickets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cti.dispatch import roster, service
from cti.dispatch.rules import PartLine
from cti.tickets.service import Actor, NewTicket
from cti.users import service as users
from tests.integration.domains.helpers import add_customer

PASSWORD = "correct-horse-1"
OUT_OF_WARRANTY = ("空调 KFR-35GW", "SN-OLD", dt.date(2020, 1, 1), 12)
IN_WARRANTY = ("洗衣机 XQG100", "SN-NEW", dt.date(2026, 6, 1), 24)


@dataclass
class Crew:
    outlet: int
    engineers: dict[str, int]  # username -> engineer id
    logins: dict[str, int]  # username -> user id

    def actor(self, username: str) -> Actor:
        return Actor(username, "engineer", self.logins[username])


async def add_crew(db) -> Crew:
    """An outlet in 朝阳 and two engineers with logins (eng1 covers 朝阳区, eng2 the rest of Beijing)."""
    logins = {}
    async with db.session() as s:
        for username, name in (("eng1", "张伟"), ("eng2", "王磊")):
            user = await users.create(s, username=username, password=PASSWORD, role="engineer", display_name=name)
            logins[username] = user.id

    def work(session):
        outlet = roster.save_outlet(session, None, roster.OutletForm("北京朝阳服务网点", "北京市", "朝阳区", "010-85501234"),
                                    actor="test")
        one = roster.save_engineer(session, None, roster.EngineerForm("张伟", "13900000001", logins["eng1"], outlet.id),
                                   actor="test")
        two = roster.save_engineer(session, None, roster.EngineerForm("王磊", "13900000002", logins["eng2"]), actor="test")
        roster.save_region(session, None, roster.RegionForm("北京市", "朝阳区", one.id, outlet.id), actor="test")
        roster.save_region(session, None, roster.RegionForm("北京市", "", two.id), actor="test")
        return Crew(outlet.id, {"eng1": one.id, "eng2": two.id}, logins)

    return await db.write(work)


async def add_customer_with_products(db, name: str = "王芳", phone: str = "+8613800138000"):
    return await add_customer(db, name, phone, products=[OUT_OF_WARRANTY, IN_WARRANTY])


async def open_on_site(desk, customer, *, warranty: str, actor: Actor, description: str = "空调不制冷") -> int:
    serial = "SN-OLD" if warranty == "out" else "SN-NEW"
    product = next(p for p in customer.products if p.serial == serial)
    ticket_id, _ = await desk.open(NewTicket(customer.id, "repair", "on_site", product_id=product.id,
                                             description=description), actor)
    return ticket_id


def schedule(ticket_id: int, engineer_id: int | None, start: dt.datetime, actor: Actor, *, hours: int = 3,
             outlet_id: int | None = None):
    """A unit of work for ``desk.run``: give the job to the engineer for a window starting at ``start``."""
    end = start + dt.timedelta(hours=hours)
    return lambda s, now, promises: (None, service.schedule(
        s, ticket_id, service.Assignment(engineer_id, outlet_id, start, end), actor, now=now, promises=promises))


def arrive(ticket_id: int, actor: Actor):
    return lambda s, now, promises: (None, service.arrive(s, ticket_id, actor, now=now, promises=promises))


def complete(ticket_id: int, actor: Actor, work_done: str = "更换压缩机电容，试机正常", parts=(), labour="0"):
    from decimal import Decimal

    work = service.Completion(work_done, tuple(PartLine(*p) for p in parts), Decimal(labour))
    return lambda s, now, promises: service.complete(s, ticket_id, actor, work, now=now, promises=promises)


def review(ticket_id: int, actor: Actor, *, approve: bool, note: str = "", back_to: str = "on_site"):
    return lambda s, now, promises: (None, service.review(s, ticket_id, actor, approve=approve, note=note,
                                                          back_to=back_to, now=now, promises=promises))
