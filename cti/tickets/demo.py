"""Demo tickets: every state of every workflow, some at risk or breached, and an open complaint whose
customer has called about it twice already (a third call escalates it).

Tickets are made through the service's own units of work (history, audit rows and SLA clocks as
real ones), opened in the past and walked along their workflow's table to the state wanted; the
path is found in the table itself, so a changed workflow still seeds.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import deque
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cti.calls.models import Call
from cti.customers.demo import RECORDED_NUMBERS
from cti.customers.models import Customer, CustomerPhone, Product
from cti.tickets import clocks, service, workflow
from cti.tickets.clocks import Promises
from cti.tickets.models import Ticket, TicketCall
from cti.tickets.service import Actor, NewTicket

DESK = Actor("demo", "supervisor")
DESCRIPTIONS = {
    "repair": ["空调不制冷，外机有异响", "洗衣机脱水时漏水，显示 E21", "冰箱冷藏室结霜严重", "热水器点不着火",
               "电视开机黑屏，有声音无图像"],
    "installation": ["新购空调上门安装，需打孔", "燃气热水器安装，需要燃气公司配合", "壁挂电视安装"],
    "delivery": ["冰箱送货上门，需搬上六楼", "洗衣机调换货：到货外壳有划痕"],
    "complaint": ["维修师傅迟到两小时且态度差", "同一故障第三次报修仍未修好", "配件等了两周还没到"],
    "enquiry": ["咨询延保政策", "询问最近的服务网点地址"],
    "praise": ["表扬师傅安装细致，主动清理现场"],
}
SERVICES = {"carry_in": ("repair", "carry_in"), "on_site": ("repair", "on_site"), "complaint": ("complaint", None),
            "note_only": ("enquiry", None)}


def path_to(flow: workflow.Workflow, target: str) -> list[workflow.Transition]:
    """The shortest walk along the table from the initial state to ``target``."""
    queue: deque[tuple[str, list[workflow.Transition]]] = deque([(flow.initial, [])])
    seen = {flow.initial}
    while queue:
        state, steps = queue.popleft()
        if state == target:
            return steps
        for step in flow.transitions:
            if step.source == state and step.target not in seen:
                seen.add(step.target)
                queue.append((step.target, [*steps, step]))
    raise ValueError(f"{target} cannot be reached in {flow.name}")


def opened_before(cal: Any, now: dt.datetime, business_seconds: float) -> dt.datetime:
    """The latest instant from which ``business_seconds`` of business time have passed by ``now``."""
    low, high = now - dt.timedelta(days=60), now
    for _ in range(40):  # bisection to well under a second
        mid = low + (high - low) / 2
        if cal.between(mid, now) >= business_seconds:
            low = mid
        else:
            high = mid
    return low


def seed_tickets(session: Session, promises: Promises, now: dt.datetime, zone: dt.tzinfo,
                 rnd: random.Random | None = None) -> int:
    """Seed the demo tickets into an empty ticket table (the caller commits). Returns how many."""
    if session.scalar(select(func.count()).select_from(Ticket)):
        return 0
    rnd = rnd or random.Random(2026)
    recorded = select(CustomerPhone.customer_id).where(CustomerPhone.e164.in_(RECORDED_NUMBERS))
    # the recorded calls' customers keep a clean slate: tests and the traces ring them
    people = list(session.scalars(select(Customer).where(Customer.id.not_in(recorded)).order_by(Customer.id).limit(60)))
    if not people:
        return 0
    made = 0
    for name, flow in workflow.WORKFLOWS.items():
        for n, state in enumerate(flow.states):
            customer = people[(made * 7) % len(people)]
            used = [0.1, 0.85, 1.3, 3.0][(made + n) % 4]  # of a 24 h promise: fresh, at risk, breached, long breached
            opened = opened_before(promises.calendar(clocks.BUSINESS), now, used * 24 * 3600)
            _walk(session, promises, customer, name, state, opened, now, zone, rnd)
            made += 1
    made += _repeat_complaint(session, promises, people[0], now, zone)
    return made


def _walk(session: Session, promises: Promises, customer: Customer, name: str, state: str, opened: dt.datetime,
          now: dt.datetime, zone: dt.tzinfo, rnd: random.Random) -> Ticket:
    service_type, mode = SERVICES[name]
    if name == "on_site" and rnd.random() < 0.4:
        service_type, mode = rnd.choice([("installation", None), ("delivery", None)])
    products: Sequence[Product] = customer.products
    product = products[0] if products and service_type != "enquiry" else None
    new = NewTicket(customer.id, service_type, mode, priority=rnd.choice(["normal", "normal", "high", "urgent"]),
                    product_id=product.id if product else None, keep_open=True,
                    description=rnd.choice(DESCRIPTIONS[service_type]))
    ticket, _ = service.open_ticket(session, new, DESK, now=opened, promises=promises,
                                    local_day=opened.astimezone(zone).date())
    flow = workflow.WORKFLOWS[ticket.workflow]
    at = opened
    for step in path_to(flow, state):
        at += dt.timedelta(minutes=rnd.randint(20, 240))
        text = "演示数据" if (step.needs_note or step.needs_reason) else ""
        service.change_state(session, ticket.id, step.target, DESK, now=at, promises=promises, note=text,
                             reason=text if step.needs_reason else "")
    session.flush()
    clocks.settle(ticket, clocks.clocks_of(session, ticket.id), promises, max(at, now))
    return ticket


def _repeat_complaint(session: Session, promises: Promises, customer: Customer, now: dt.datetime,
                      zone: dt.tzinfo) -> int:
    """An open complaint and two inbound calls about it in the last day: a third call escalates it."""
    opened = now - dt.timedelta(hours=30)
    new = NewTicket(customer.id, "complaint", priority="high", description="维修后同一故障又出现，客户非常不满")
    ticket, _ = service.open_ticket(session, new, DESK, now=opened, promises=promises,
                                    local_day=opened.astimezone(zone).date())
    e164 = session.scalar(select(CustomerPhone.e164).where(CustomerPhone.customer_id == customer.id))
    # the call log's rows of those two calls: demo data only (the call log is the calls domain's to write)
    for n, hours_ago in enumerate((26, 5)):
        at = now - dt.timedelta(hours=hours_ago)
        call_id = f"demo-{int(at.timestamp())}.{n}"
        session.add(Call(call_id=call_id, direction="inbound", caller_raw=e164 or "", caller_e164=e164,
                         queue="support", customer_id=customer.id, offered_at=at, answered_at=at + dt.timedelta(seconds=20),
                         ended_at=at + dt.timedelta(seconds=200), wait_seconds=20, talk_seconds=180,
                         disposition="answered"))
        session.add(TicketCall(ticket_id=ticket.id, call_id=call_id, at=at, linked_by="demo"))
    return 1


def summary(session: Session) -> dict[str, Any]:
    """Tickets per state (the demo's own check, and `cti demo`'s report)."""
    return dict(session.execute(select(Ticket.state, func.count()).group_by(Ticket.state)).all())
