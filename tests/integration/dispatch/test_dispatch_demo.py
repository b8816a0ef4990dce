"""The demo's field service: seeded once (districts, outlets, engineers with logins, regions, jobs in
every state with an engineer, a report to review), again changes nothing."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import func, select

from cti import demo
from cti.customers.demo import generate
from cti.customers.models import Customer
from cti.dispatch import queries
from cti.dispatch.models import Engineer, ServiceOutlet, ServiceRegion
from cti.store.base import utcnow
from cti.tickets.models import Ticket
from cti.users.models import User

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


async def _counts(db) -> tuple[int, ...]:
    async with db.session() as s:
        return tuple([await s.scalar(select(func.count()).select_from(m)) for m in (ServiceOutlet, Engineer, ServiceRegion,
                                                                                    Ticket)])


async def test_the_demo_seeds_the_field_service_once(db):
    data = generate(customers=60, today=dt.date(2026, 12, 1))
    first = await demo.seed(db, data)
    assert first.users == 8
    async with db.session() as s:
        zhang = await s.scalar(select(Customer).where(Customer.name == "张三"))
        assert (zhang.city, zhang.district) == ("北京市", "朝阳区")
        assert await s.scalar(select(func.count()).select_from(Customer).where(Customer.district == "")) == 0
        linked = (await s.execute(select(User.username, User.role, Engineer.name)
                                  .join(Engineer, Engineer.user_id == User.id).order_by(User.username))).all()
        assert [tuple(r) for r in linked] == [("eng01", "engineer", "张伟"), ("eng02", "engineer", "王磊"),
                                              ("eng03", "engineer", "李强"), ("eng04", "engineer", "赵敏")]
        nobody = await s.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.workflow == "on_site", Ticket.is_open.is_(True), Ticket.state != "to_dispatch",
            Ticket.engineer_id.is_(None)))
        assert nobody == 0  # every job given out has someone to go
        eng01 = await s.scalar(select(Engineer.id).join(User, User.id == Engineer.user_id).where(User.username == "eng01"))
        work = await s.run_sync(lambda ss: queries.work_list(ss, eng01, now=utcnow(), zone=SHANGHAI))
        board = await s.run_sync(lambda ss: queries.board(ss, zone=SHANGHAI))
        review = await s.run_sync(lambda ss: queries.reviews(ss, zone=SHANGHAI))
    assert sum(len(jobs) for jobs in work.values()) >= 2
    assert board["to_dispatch_total"] >= 4
    assert any(j["suggestion"] and j["suggestion"]["scope"] == "district" for j in board["to_dispatch"])
    assert len(review) == 1 and review[0]["engineer"]
    counts = await _counts(db)
    assert counts[:3] == (3, 4, 11)

    again = await demo.seed(db, data)
    assert (again.customers, again.users, again.tickets) == (0, 0, 0)
    assert await _counts(db) == counts
