"""The reports on tickets: product models (complaint and fault rates per unit sold, the frequent faults),
engineers and outlets (the on-site promise, CSAT) and the tickets' SLA compliance.

A ticket belongs to the local day it was **opened**, as a call belongs to the day it was offered; its
promises (``sla_clocks``) are judged as they stand now (``promise_case``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from cti.campaigns.models import SurveyRating
from cti.customers.models import Customer, Product
from cti.dispatch.models import CompletionPart, CompletionReport, Engineer, ServiceOutlet
from cti.supervision.report_figures import BROKEN, KEPT, PENDING, ModelFigures, Tally
from cti.supervision.reports_common import ReportQuery, csat_cells, in_region, ratings_by
from cti.supervision.reports_models import ReportModelDay
from cti.tickets.models import SlaClock, Ticket

TOP_FAULTS = 3
CLOCK_KINDS = ("first_contact", "on_site", "resolution")


def promise_case(now: dt.datetime) -> Any:
    """An SLA clock's promise as SQL: ``kept`` (stopped within its budget, ``used == budget`` included),
    ``broken`` (stopped over it, or running past its due time), else ``pending`` (in time, or paused)."""
    stopped = SlaClock.stopped_at.is_not(None)
    return case((and_(stopped, SlaClock.used_seconds <= SlaClock.budget_seconds), KEPT),
                (stopped, BROKEN),
                (and_(SlaClock.due_at.is_not(None), SlaClock.due_at < now), BROKEN),
                else_=PENDING)


def _opened_in(stmt: Any, query: ReportQuery) -> Any:
    start, end = query.bounds()
    return in_region(stmt.where(Ticket.opened_at >= start, Ticket.opened_at < end), Ticket.city, query.region)


# -- product models ------------------------------------------------------------------------------------

def model_rows(session: Session, query: ReportQuery) -> list[dict[str, Any]]:
    """One row per model with units sold or tickets in the period, the highest complaint rate first."""
    tickets = _model_tickets(session, query)
    units = _units(session, query)
    faults = _faults(session, query)
    figures = [ModelFigures(m, units.get(m, 0), *tickets.get(m, (0, 0))) for m in set(units) | set(tickets)]
    figures.sort(key=lambda f: (f.complaint_rate is None, -(f.complaint_rate or 0), -f.units, f.model))
    return [{"name": f.model, "units": f.units, "complaints": f.complaints, "complaint_rate": f.complaint_rate,
             "repairs": f.repairs, "fault_rate": f.fault_rate, "faults": faults.get(f.model, "")} for f in figures]


def _model_tickets(session: Session, query: ReportQuery) -> dict[str, tuple[int, int]]:
    t = ReportModelDay
    stmt = (select(t.model, func.sum(t.complaints), func.sum(t.repairs))
            .where(t.day >= query.period.start, t.day <= query.period.end).group_by(t.model))
    return {m: (int(c or 0), int(r or 0)) for m, c, r in session.execute(in_region(stmt, t.city, query.region))}


def _units(session: Session, query: ReportQuery) -> dict[str, int]:
    """Units sold: the products registered to customers (of the region), bought by the period's last day."""
    stmt = select(Product.model, func.count()).where(Product.purchase_date <= query.period.end)
    if query.region:
        stmt = stmt.join(Customer, Customer.id == Product.customer_id).where(Customer.city == query.region)
    return dict(session.execute(stmt.group_by(Product.model)).all())


def _faults(session: Session, query: ReportQuery) -> dict[str, str]:
    """The parts most often replaced in the completion reports (完工单) of the period's repair tickets,
    per model: ``压缩机 ×5、温控器 ×2`` (tickets have no fault field; the parts say what failed)."""
    stmt = _opened_in(select(Ticket.product_model, CompletionPart.name, func.sum(CompletionPart.quantity))
                      .join(CompletionReport, CompletionReport.ticket_id == Ticket.id)
                      .join(CompletionPart, CompletionPart.report_id == CompletionReport.id)
                      .where(Ticket.service_type == "repair", Ticket.product_model != ""), query)
    parts: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for model, part, n in session.execute(stmt.group_by(Ticket.product_model, CompletionPart.name)):
        parts[model].append((int(n or 0), part))
    return {m: "、".join(f"{part} ×{n}" for n, part in sorted(found, key=lambda x: (-x[0], x[1]))[:TOP_FAULTS])
            for m, found in parts.items()}


# -- engineers and outlets -----------------------------------------------------------------------------

def engineer_rows(session: Session, query: ReportQuery) -> list[dict[str, Any]]:
    """Per engineer (or per outlet, ``view == "outlet"``): the on-site promises of the tickets opened in the
    period they were given, and the CSAT of the tickets they resolved in it."""
    by_outlet = query.view == "outlet"
    key = Ticket.outlet_id if by_outlet else Ticket.engineer_id
    outcome = promise_case(query.now)
    stmt = _opened_in(select(key, outcome, func.count()).join(
        SlaClock, and_(SlaClock.ticket_id == Ticket.id, SlaClock.kind == "on_site")).where(key.is_not(None)), query)
    tallies: dict[int, Tally] = defaultdict(Tally)
    for owner, result, n in session.execute(stmt.group_by(key, outcome)):
        tallies[owner].add(result, n)
    ratings = ratings_by(session, query, Ticket.outlet_id if by_outlet else SurveyRating.engineer_id)
    names = _outlet_names(session) if by_outlet else _engineer_names(session)
    rows = []
    for owner in sorted(set(tallies) | set(ratings), key=lambda o: names.get(o, ("", ""))):
        tally = tallies.get(owner, Tally())
        name, outlet = names.get(owner, (f"#{owner}", ""))
        rows.append({"name": name, "outlet": outlet, "promises": tally.decided + tally.pending, "kept": tally.kept,
                     "broken": tally.broken, "pending": tally.pending, "kept_share": tally.share,
                     **csat_cells(ratings.get(owner))})
    return rows


def _engineer_names(session: Session) -> dict[int, tuple[str, str]]:
    stmt = select(Engineer.id, Engineer.name, func.coalesce(ServiceOutlet.name, "")).outerjoin(
        ServiceOutlet, ServiceOutlet.id == Engineer.outlet_id)
    return {i: (name, outlet) for i, name, outlet in session.execute(stmt)}


def _outlet_names(session: Session) -> dict[int, tuple[str, str]]:
    return {i: (name, city) for i, name, city in session.execute(select(ServiceOutlet.id, ServiceOutlet.name,
                                                                        ServiceOutlet.city))}


# -- the tickets' SLA compliance -------------------------------------------------------------------------

def sla_rows(session: Session, query: ReportQuery) -> list[dict[str, Any]]:
    """Per service type: each promise's kept share (first contact, on site, resolution) and all together."""
    outcome = promise_case(query.now)
    stmt = _opened_in(select(Ticket.service_type, SlaClock.kind, outcome, func.count())
                      .join(SlaClock, SlaClock.ticket_id == Ticket.id), query)
    tallies: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for service_type, kind, result, n in session.execute(stmt.group_by(Ticket.service_type, SlaClock.kind, outcome)):
        tallies[service_type][kind].add(result, n)
    opened = dict(session.execute(_opened_in(select(Ticket.service_type, func.count()), query)
                                  .group_by(Ticket.service_type)).all())
    rows = []
    for service_type in sorted(set(opened) | set(tallies)):
        kinds = tallies.get(service_type, {})
        every = Tally()
        for tally in kinds.values():
            every.merge(tally)
        rows.append({"service_type": service_type, "tickets": opened.get(service_type, 0),
                     **{f"{k}_share": kinds[k].share if k in kinds else None for k in CLOCK_KINDS},
                     "kept": every.kept, "broken": every.broken, "pending": every.pending, "kept_share": every.share})
    return rows
