"""The reports on tickets: product models (complaint and fault rates per unit sold, the frequent faults),
engineers and outlets (the on-site promise, CSAT) and the tickets' SLA compliance.

A ticket belongs to the local day it was **opened**, as a call belongs to the day it was offered. Its
promises (``sla_clocks``) are judged by ``promise_case``: for the tickets of the last :data:`LIVE_DAYS`
days as they stand now (read live), for older days as they stood when the day was last rebuilt
(``report_promise_days``: by then nearly every promise has settled; ``cti reports rebuild`` refreshes
one that had not). Both go through :func:`promise_counts`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from cti.campaigns.models import SurveyRating
from cti.customers.models import Customer, Product
from cti.dispatch.models import CompletionPart, CompletionReport, Engineer, ServiceOutlet
from cti.supervision.report_figures import BROKEN, KEPT, PENDING, ModelFigures, Tally
from cti.supervision.reports_common import ReportQuery, csat_cells, in_region, ratings_by
from cti.supervision.reports_models import ReportModelDay, ReportPromiseDay
from cti.tickets.models import SlaClock, Ticket

TOP_FAULTS = 3
CLOCK_KINDS = ("first_contact", "on_site", "resolution")
LIVE_DAYS = 31  # the last days' promises are read live; older days from report_promise_days
PROMISE_KEYS = ("service_type", "kind", "city", "engineer_id", "outlet_id", "outcome")


def promise_case(now: dt.datetime) -> Any:
    """An SLA clock's promise as SQL: ``kept`` (stopped within its budget, ``used == budget`` included),
    ``broken`` (stopped over it, or running past its due time), else ``pending`` (in time, or paused)."""
    stopped = SlaClock.stopped_at.is_not(None)
    return case((and_(stopped, SlaClock.used_seconds <= SlaClock.budget_seconds), KEPT),
                (stopped, BROKEN),
                (and_(SlaClock.due_at.is_not(None), SlaClock.due_at < now), BROKEN),
                else_=PENDING)


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
    if query.region:  # IN, not a join: the city's customers first, then their products by index (10x on SQLite)
        stmt = stmt.where(Product.customer_id.in_(select(Customer.id).where(Customer.city == query.region)))
    return dict(session.execute(stmt.group_by(Product.model)).all())


def _faults(session: Session, query: ReportQuery) -> dict[str, str]:
    """The parts most often replaced in the repairs completed in the period (their completion reports,
    完工单), per model: ``压缩机 ×5、温控器 ×2`` (tickets have no fault field; the parts say what failed)."""
    start, end = query.bounds()
    stmt = (select(Ticket.product_model, CompletionPart.name, func.sum(CompletionPart.quantity))
            .select_from(CompletionReport)
            .join(Ticket, Ticket.id == CompletionReport.ticket_id)
            .join(CompletionPart, CompletionPart.report_id == CompletionReport.id)
            .where(CompletionReport.completed_at >= start, CompletionReport.completed_at < end,
                   Ticket.service_type == "repair", Ticket.product_model != ""))
    parts: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for model, part, n in session.execute(in_region(stmt, Ticket.city, query.region)
                                          .group_by(Ticket.product_model, CompletionPart.name)):
        parts[model].append((int(n or 0), part))
    return {m: "、".join(f"{part} ×{n}" for n, part in sorted(found, key=lambda x: (-x[0], x[1]))[:TOP_FAULTS])
            for m, found in parts.items()}


# -- promises: live for the last days, from the daily rows before --------------------------------------

def promise_counts(session: Session, start: dt.datetime, end: dt.datetime, now: dt.datetime, region: str = "",
                   keys: Sequence[str] = PROMISE_KEYS) -> list[tuple[Any, ...]]:
    """The SLA clocks of the tickets opened in [start, end) counted per ``keys`` (of :data:`PROMISE_KEYS`:
    service type, kind, city, engineer, outlet, outcome) — a day's ``report_promise_days`` rows, or the live
    part of a report."""
    columns = {"service_type": Ticket.service_type, "kind": SlaClock.kind, "city": Ticket.city,
               "engineer_id": func.coalesce(Ticket.engineer_id, 0), "outlet_id": func.coalesce(Ticket.outlet_id, 0),
               "outcome": promise_case(now)}
    grouped = [columns[k] for k in keys]
    stmt = (select(*grouped, func.count()).join(SlaClock, SlaClock.ticket_id == Ticket.id)
            .where(Ticket.opened_at >= start, Ticket.opened_at < end))
    return [tuple(row) for row in session.execute(in_region(stmt, Ticket.city, region).group_by(*grouped))]


def promises(session: Session, query: ReportQuery, keys: Sequence[str]) -> list[dict[str, Any]]:
    """The period's promise counts per ``keys`` (``outcome`` among them): the days before the live window
    from ``report_promise_days``, the rest live."""
    first_live = query.now.astimezone(query.zone).date() - dt.timedelta(days=LIVE_DAYS - 1)
    start, end = query.bounds()
    live_from = max(start, dt.datetime.combine(first_live, dt.time(), query.zone))
    found = promise_counts(session, live_from, end, query.now, query.region, keys) if live_from < end else []
    if query.period.start < first_live:
        t = ReportPromiseDay
        grouped = [getattr(t, k) for k in keys]
        last = min(query.period.end, first_live - dt.timedelta(days=1))
        stmt = select(*grouped, func.sum(t.clocks)).where(t.day >= query.period.start, t.day <= last)
        found += [tuple(row) for row in session.execute(in_region(stmt, t.city, query.region).group_by(*grouped))]
    return [dict(zip((*keys, "clocks"), row, strict=True)) for row in found]


# -- engineers and outlets -----------------------------------------------------------------------------

def engineer_rows(session: Session, query: ReportQuery) -> list[dict[str, Any]]:
    """Per engineer (or per outlet, ``view == "outlet"``): the on-site promises of the tickets opened in the
    period they were given, and the CSAT of the ratings of their tickets given in it."""
    by_outlet = query.view == "outlet"
    owner_key = "outlet_id" if by_outlet else "engineer_id"
    tallies: dict[int, Tally] = defaultdict(Tally)
    for count in promises(session, query, ("kind", owner_key, "outcome")):
        if count["kind"] == "on_site" and count[owner_key]:
            tallies[count[owner_key]].add(count["outcome"], int(count["clocks"]))
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
    tallies: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for count in promises(session, query, ("service_type", "kind", "outcome")):
        tallies[count["service_type"]][count["kind"]].add(count["outcome"], int(count["clocks"]))
    rows = []
    for service_type in sorted(tallies):
        kinds = tallies[service_type]
        every = Tally()
        for tally in kinds.values():
            every.merge(tally)
        rows.append({"service_type": service_type, "promises": every.decided + every.pending,
                     **{f"{k}_share": kinds[k].share if k in kinds else None for k in CLOCK_KINDS},
                     "kept": every.kept, "broken": every.broken, "pending": every.pending, "kept_share": every.share})
    return rows
