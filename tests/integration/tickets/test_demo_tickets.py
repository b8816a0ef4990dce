"""The demo's tickets show the whole workflow at once: every state, promises at risk and broken,
and a complaint whose customer already called twice about it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from cti import demo
from cti.customers.demo import generate
from cti.tickets import workflow
from cti.tickets.models import Ticket, TicketCall


async def test_demo_seeds_every_state_some_promises_at_risk_or_broken_and_a_repeat_complaint(db):
    report = await demo.seed(db, generate(today=dt.date(2026, 12, 1)))
    again = await demo.seed(db, generate(today=dt.date(2026, 12, 1)))
    assert report.tickets > 0 and again.tickets == 0

    async with db.session() as s:
        states = set((await s.execute(select(Ticket.workflow, Ticket.state))).all())
        sla = dict((await s.execute(select(Ticket.sla_status, func.count()).group_by(Ticket.sla_status))).all())
        complaints = (await s.execute(
            select(Ticket.id, func.count(TicketCall.id)).join(TicketCall, TicketCall.ticket_id == Ticket.id)
            .where(Ticket.service_type == "complaint", Ticket.is_open.is_(True)).group_by(Ticket.id))).all()
    for name, flow in workflow.WORKFLOWS.items():
        assert {(name, st) for st in flow.states} <= states, f"{name}: a state has no demo ticket"
    assert sla.get("breached", 0) > 0 and sla.get("at_risk", 0) + sla.get("ok", 0) > 0
    assert [n for _, n in complaints] == [2]
