"""The demo's field service: outlets and engineers in 北京市 and 上海市, the districts they cover,
and a few on-site jobs to give out.

=====  ======  ========================  ============================================
login  name    outlet                    covers
=====  ======  ========================  ============================================
eng01  张伟    北京朝阳服务网点          北京 朝阳区, 东城区
eng02  王磊    —                         北京 海淀区, 丰台区, and the rest of 北京市
eng03  李强    上海浦东服务网点          上海 浦东新区, 闵行区
eng04  赵敏    —                         上海 徐汇区, 静安区
=====  ======  ========================  ============================================

北京 通州区 goes to a partner outlet with no engineer in the console (北京通州合作网点);
the rest of 上海市 to the 浦东 outlet. The logins themselves are in
:data:`cti.customers.demo.AGENTS` with the other demo logins.

The demo tickets (:mod:`cti.tickets.demo`) walk on-site work through every state with nobody
to go; their jobs past 待派工 are given to the engineer of their region (eng01 where no region
covers the city), and the completed one gets its completion report, so the work lists and the
review queue show every state. Seven more on-site repairs for 北京 and 上海 customers are opened:
four to give out (the board suggests by district), three given to eng01 (today or tomorrow) and
eng03.

Idempotent like the rest of the demo: what exists (an outlet by name, an engineer by login,
a region by city and district) is left as it is; the jobs are opened and given out only in the
run that added the engineers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cti.customers.demo import RECORDED_NUMBERS
from cti.customers.models import Customer, CustomerPhone, Product
from cti.dispatch import regions, roster, service
from cti.dispatch.models import CompletionReport, Engineer, ServiceOutlet, ServiceRegion
from cti.store import Database
from cti.store.base import utcnow
from cti.tickets import fieldwork
from cti.tickets import service as tickets
from cti.tickets.clocks import Promises
from cti.tickets.models import Ticket
from cti.users.models import User

OUTLETS = (  # name, city, district, phone
    ("北京朝阳服务网点", "北京市", "朝阳区", "010-8550 1234"),
    ("北京通州合作网点", "北京市", "通州区", "010-6952 7788"),
    ("上海浦东服务网点", "上海市", "浦东新区", "021-5080 1234"),
)
ENGINEERS = (  # login, name, phone, outlet
    ("eng01", "张伟", "139 1000 0001", "北京朝阳服务网点"),
    ("eng02", "王磊", "139 1000 0002", None),
    ("eng03", "李强", "139 1000 0003", "上海浦东服务网点"),
    ("eng04", "赵敏", "139 1000 0004", None),
)
REGIONS = (  # city, district ("" the whole city), engineer's login, outlet
    ("北京市", "朝阳区", "eng01", "北京朝阳服务网点"),
    ("北京市", "东城区", "eng01", None),
    ("北京市", "海淀区", "eng02", None),
    ("北京市", "丰台区", "eng02", None),
    ("北京市", "通州区", None, "北京通州合作网点"),
    ("北京市", "", "eng02", None),
    ("上海市", "浦东新区", "eng03", "上海浦东服务网点"),
    ("上海市", "闵行区", "eng03", None),
    ("上海市", "徐汇区", "eng04", None),
    ("上海市", "静安区", "eng04", None),
    ("上海市", "", None, "上海浦东服务网点"),
)
PROBLEMS = ("空调不制冷，外机不转", "洗衣机脱水时异响很大", "热水器点不着火", "油烟机吸力明显变小",
            "冰箱冷藏室结冰", "净水器底部漏水", "洗碗机不进水")
JOBS = 7  # on-site tickets opened: two given to eng01, one to eng03, four to give out
RECORDED = RECORDED_NUMBERS  # the recorded calls' customers: tests ring them and expect a clean slate
DEMO = tickets.Actor("demo", "agent")


@dataclass
class DispatchSeed:
    added: int = 0  # outlets, engineers and regions
    jobs: int = 0  # on-site tickets opened
    adopted: int = 0  # the demo tickets' on-site jobs given to an engineer


def _set_up(session: Session) -> tuple[int, int]:
    """Add the missing outlets, engineers (for the logins that exist) and regions: (added, engineers added)."""
    added = new_engineers = 0
    outlets = {o.name: o.id for o in session.scalars(select(ServiceOutlet))}
    for name, city, district, phone in OUTLETS:
        if name not in outlets:
            outlets[name] = roster.save_outlet(session, None, roster.OutletForm(name, city, district, phone),
                                               actor="demo").id
            added += 1
    logins = {u.username: u.id for u in session.scalars(select(User).where(User.role == "engineer"))}
    linked = {e.user_id: e.id for e in session.scalars(select(Engineer))}
    engineers: dict[str, int] = {}
    for login, name, phone, outlet in ENGINEERS:
        user_id = logins.get(login)
        if user_id is None:
            continue  # the login was removed: no engineer for it
        if user_id not in linked:
            form = roster.EngineerForm(name, phone, user_id, outlets.get(outlet) if outlet else None)
            linked[user_id] = roster.save_engineer(session, None, form, actor="demo").id
            added, new_engineers = added + 1, new_engineers + 1
        engineers[login] = linked[user_id]
    known = {(r.city, r.district) for r in session.scalars(select(ServiceRegion))}
    for city, district, login, outlet in REGIONS:
        engineer_id, outlet_id = engineers.get(login) if login else None, outlets.get(outlet) if outlet else None
        if (city, district) not in known and (engineer_id or outlet_id):
            roster.save_region(session, None, roster.RegionForm(city, district, engineer_id, outlet_id), actor="demo")
            added += 1
    return added, new_engineers


def _engineers(session: Session) -> dict[str, int]:
    """Demo login → engineer id."""
    return {u: e for u, e in session.execute(select(User.username, Engineer.id).join(Engineer, Engineer.user_id == User.id))}


def _window(now: dt.datetime, zone: ZoneInfo, days: int, hour: int) -> tuple[dt.datetime, dt.datetime]:
    """A three-hour window ``days`` ahead at ``hour``; today's starts at the next full hour instead."""
    local = now.astimezone(zone)
    if days == 0:
        start = local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    else:
        start = dt.datetime.combine(local.date() + dt.timedelta(days=days), dt.time(hour), tzinfo=zone)
    return start.astimezone(dt.UTC), (start + dt.timedelta(hours=3)).astimezone(dt.UTC)


def _plan(session: Session, engineers: dict[str, int]) -> list[tuple[int, int, str | None]]:
    """(customer, product, login or None): 北京 and 上海 customers with a product and no ticket yet; the
    first two whose region is eng01's and the first one of eng03's get their job given out, four
    more wait to be given out."""
    has_ticket = select(Ticket.id).where(Ticket.customer_id == Customer.id).exists()
    recorded = select(CustomerPhone.id).where(CustomerPhone.customer_id == Customer.id, CustomerPhone.e164.in_(RECORDED))
    rows = session.execute(
        select(Customer.id, Customer.city, Customer.district, Customer.address, func.min(Product.id))
        .join(Product, Product.customer_id == Customer.id)
        .where(Customer.city.in_(("北京市", "上海市")), ~has_ticket, ~recorded.exists())
        .group_by(Customer.id, Customer.city, Customer.district, Customer.address).order_by(Customer.id).limit(200)
    ).all()
    found, owner = roster.rules(session), {v: k for k, v in engineers.items()}
    wanted, plan = {"eng01": 2, "eng03": 1}, []
    for cid, city, district, address, product_id in rows:
        chosen = regions.pick(found, city, district, address=address)
        login = owner.get(chosen.engineer_id or 0) if chosen else None
        if login in wanted and wanted[login] > 0:
            wanted[login] -= 1
            plan.append((cid, product_id, login))
        elif sum(1 for *_, who in plan if who is None) < JOBS - 3:
            plan.append((cid, product_id, None))
    return plan


def _open_jobs(session: Session, promises: Promises, zone: ZoneInfo, now: dt.datetime) -> int:
    """On-site repairs for 北京 and 上海 customers who have no ticket yet: four to give out, three given
    to the engineer of their district (eng01 today or tomorrow morning and tomorrow afternoon, eng03)."""
    engineers = _engineers(session)
    late = now.astimezone(zone).hour >= 17  # too late for a window today: tomorrow morning instead
    windows = {"eng01": [(1 if late else 0, 9), (1, 14)], "eng03": [(2, 9)]}
    plan = _plan(session, engineers)
    for n, (customer_id, product_id, login) in enumerate(plan):
        new = tickets.NewTicket(customer_id, "repair", "on_site", product_id=product_id,
                                description=PROBLEMS[n % len(PROBLEMS)])
        ticket, _ = tickets.open_ticket(session, new, DEMO, now=now, promises=promises, local_day=now.astimezone(zone).date())
        if login is not None:
            start, end = _window(now, zone, *windows[login].pop(0))
            service.schedule(session, ticket.id, service.Assignment(engineers[login], None, start, end), DEMO,
                             now=now, promises=promises)
    return len(plan)


def _adopt(session: Session, zone: ZoneInfo, now: dt.datetime) -> int:
    """The demo tickets walked past 待派工 without anyone to go (cti.tickets.demo) get their engineer by
    region, or eng01 where no region covers the city, and a window; a completed one its report."""
    engineers = _engineers(session)
    if "eng01" not in engineers:
        return 0
    found = roster.rules(session)
    jobs = session.scalars(select(Ticket).where(
        Ticket.workflow == "on_site", Ticket.is_open.is_(True), Ticket.engineer_id.is_(None),
        Ticket.outlet_id.is_(None), Ticket.state.in_(("dispatched", "on_site", "awaiting_parts", "completed"))
    ).order_by(Ticket.id)).all()
    for job in jobs:
        chosen = regions.pick(found, job.city, job.district, address=job.address)
        engineer_id = chosen.engineer_id if chosen and chosen.engineer_id else engineers["eng01"]
        finished, arrived = job.updated_at, fieldwork.last_arrival(session, job.id) or job.updated_at
        if job.state == "dispatched":
            start, end = _window(now, zone, 1, 9)
        else:
            start, end = arrived - dt.timedelta(minutes=30), arrived + dt.timedelta(hours=2, minutes=30)
        engineer = session.get(Engineer, engineer_id)
        fieldwork.assign(session, job.id, DEMO, engineer_id=engineer_id, outlet_id=engineer.outlet_id if engineer else None,
                         start=start, end=end, now=now, label=f"{engineer.name if engineer else ''} (demo)")
        if job.state == "completed" and service.pending_report(session, job.id) is None:
            session.add(CompletionReport(ticket_id=job.id, engineer_id=engineer_id, arrived_at=arrived,
                                         completed_at=finished, work_done="检查线路，更换主板，试机正常（演示数据）"))
    return len(jobs)


def _jobs(session: Session, zone: str, now: dt.datetime) -> tuple[int, int]:
    tz = ZoneInfo(zone)
    promises = Promises.load(session, zone)
    return _open_jobs(session, promises, tz, now), _adopt(session, tz, now)


async def seed(db: Database, *, zone: str = "Asia/Shanghai", now: dt.datetime | None = None) -> DispatchSeed:
    """Add what is missing of the demo's field service (after the demo logins and tickets exist); where
    this run added the engineers, open the jobs and give the demo tickets' on-site work to them."""
    report = DispatchSeed()
    report.added, new_engineers = await db.write(_set_up)
    if new_engineers:
        report.jobs, report.adopted = await db.write(_jobs, zone, now or utcnow())
    return report
