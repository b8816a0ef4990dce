"""Dispatch's reads, synchronous ``Session`` functions for ``Database.read``: an engineer's work
list, the dispatch board (jobs to give out with the suggested engineer or outlet, jobs given out),
completion reports awaiting review.

Dispatch reads the ticket and customer columns it shows (read only); it changes tickets only
through :mod:`cti.tickets` (see :mod:`cti.dispatch.service`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cti.customers.models import Customer, CustomerPhone
from cti.dispatch import regions
from cti.dispatch.models import CompletionReport, Engineer, ServiceOutlet
from cti.dispatch.roster import rules
from cti.phone import normalise
from cti.tickets.models import Ticket

LIMIT = 300  # jobs a board section lists at most (the count says how many there are)
WORK_STATES = ("dispatched", "on_site", "awaiting_parts", "completed")  # an engineer's open jobs
GROUPS = ("on_site", "today", "upcoming", "waiting")  # the work list's sections, in order

_JOB_COLUMNS = (
    Ticket.id, Ticket.number, Ticket.state, Ticket.customer_id, Ticket.service_type, Ticket.priority,
    Ticket.product_model, Ticket.warranty, Ticket.warranty_ends, Ticket.description, Ticket.city, Ticket.district,
    Ticket.address, Ticket.engineer_id, Ticket.outlet_id, Ticket.appointment_start, Ticket.appointment_end,
    Ticket.opened_at,
)


@lru_cache(maxsize=4096)
def phone_display(e164: str) -> str:
    """A stored number as people dial it: national at home, international abroad."""
    info = normalise(e164)
    return (info.national if info.region == "CN" else info.international) or e164


def _customers(session: Session, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Name and phones (tel: and as people read them) of each customer."""
    wanted = sorted(set(ids))
    out: dict[int, dict[str, Any]] = {}
    if not wanted:
        return out
    for cid, name in session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(wanted))):
        out[cid] = {"name": name, "phones": []}
    rows = session.execute(select(CustomerPhone.customer_id, CustomerPhone.e164, CustomerPhone.label)
                           .where(CustomerPhone.customer_id.in_(wanted)).order_by(CustomerPhone.id))
    for cid, e164, label in rows:
        out[cid]["phones"].append({"e164": e164, "display": phone_display(e164), "label": label})
    return out


def _names(session: Session) -> tuple[dict[int, str], dict[int, str]]:
    engineers = {i: name for i, name in session.execute(select(Engineer.id, Engineer.name))}
    outlets = {i: name for i, name in session.execute(select(ServiceOutlet.id, ServiceOutlet.name))}
    return engineers, outlets


def _job(row: Any, customer: dict[str, Any], zone: dt.tzinfo) -> dict[str, Any]:
    start = row.appointment_start.astimezone(zone) if row.appointment_start else None
    end = row.appointment_end.astimezone(zone) if row.appointment_end else None
    return {
        "id": row.id, "number": row.number, "state": row.state, "type": row.service_type, "priority": row.priority,
        "customer": customer.get("name", ""), "phones": customer.get("phones", []), "customer_id": row.customer_id,
        "model": row.product_model, "warranty": row.warranty, "warranty_ends": row.warranty_ends,
        "description": row.description, "city": row.city, "district": row.district, "address": row.address,
        "engineer_id": row.engineer_id, "outlet_id": row.outlet_id, "start": start, "end": end,
        "opened_at": row.opened_at.astimezone(zone),
    }


def _jobs(session: Session, rows: Sequence[Any], zone: dt.tzinfo) -> list[dict[str, Any]]:
    found = _customers(session, (r.customer_id for r in rows))
    return [_job(r, found.get(r.customer_id, {}), zone) for r in rows]


def _rejections(session: Session, ticket_ids: Sequence[int]) -> dict[int, str]:
    """The note of each ticket's latest review when it sent the work back (the engineer reads why)."""
    out: dict[int, str] = {}
    if ticket_ids:
        rows = session.execute(select(CompletionReport.ticket_id, CompletionReport.review, CompletionReport.review_note)
                               .where(CompletionReport.ticket_id.in_(list(ticket_ids)))
                               .order_by(CompletionReport.id))
        for tid, verdict, note in rows:
            out[tid] = note if verdict == "rejected" else ""
    return {tid: note for tid, note in out.items() if note}


# --- the engineer's work list ---------------------------------------------------------------------


def group_of(job: dict[str, Any], today: dt.date) -> str:
    """Which section of the work list a job is in: on site now, today (overdue too), upcoming, waiting."""
    if job["state"] == "on_site":
        return "on_site"
    if job["state"] != "dispatched" or job["start"] is None:
        return "waiting"  # parts to come, or done and waiting for the review
    return "today" if job["start"].date() <= today else "upcoming"


def work_list(session: Session, engineer_id: int, *, now: dt.datetime, zone: dt.tzinfo) -> dict[str, list[dict[str, Any]]]:
    """An engineer's open jobs by section (:data:`GROUPS`), each by appointment time."""
    rows = session.execute(select(*_JOB_COLUMNS).where(
        Ticket.engineer_id == engineer_id, Ticket.workflow == "on_site", Ticket.is_open.is_(True),
        Ticket.state.in_(WORK_STATES)).order_by(Ticket.appointment_start, Ticket.id)).all()
    jobs = _jobs(session, rows, zone)
    notes = _rejections(session, [j["id"] for j in jobs])
    today = now.astimezone(zone).date()
    out: dict[str, list[dict[str, Any]]] = {g: [] for g in GROUPS}
    jobs.sort(key=lambda j: (j["start"] is None, j["start"] or now, j["id"]))  # no window last, on both backends
    for job in jobs:
        job["rejected"] = notes.get(job["id"], "")
        job["overdue"] = job["state"] == "dispatched" and job["end"] is not None and job["end"] < now.astimezone(zone)
        out[group_of(job, today)].append(job)
    return out


def job(session: Session, ticket_id: int, engineer_id: int, *, zone: dt.tzinfo) -> dict[str, Any] | None:
    """One of the engineer's open jobs (None when it is not theirs, not open, or not on-site work)."""
    row = session.execute(select(*_JOB_COLUMNS).where(
        Ticket.id == ticket_id, Ticket.engineer_id == engineer_id, Ticket.workflow == "on_site",
        Ticket.is_open.is_(True))).one_or_none()
    if row is None:
        return None
    found = _jobs(session, [row], zone)[0]
    found["rejected"] = _rejections(session, [ticket_id]).get(ticket_id, "")
    return found


# --- the dispatch board ---------------------------------------------------------------------------


def suggest(found: list[regions.Rule], job: dict[str, Any], engineers: dict[int, str],
            outlets: dict[int, str]) -> dict[str, Any] | None:
    """The region rule's engineer/outlet for a job, with their names (None: no rule for the place)."""
    chosen = regions.pick(found, job["city"], job["district"], address=job["address"])
    if chosen is None:
        return None
    return {"engineer_id": chosen.engineer_id, "outlet_id": chosen.outlet_id, "scope": chosen.scope,
            "engineer": engineers.get(chosen.engineer_id or 0, ""), "outlet": outlets.get(chosen.outlet_id or 0, "")}


def _on_site(session: Session, state: str, order: tuple[Any, ...], zone: dt.tzinfo) -> tuple[list[dict[str, Any]], int]:
    where = (Ticket.workflow == "on_site", Ticket.state == state)
    total = session.scalar(select(func.count()).select_from(Ticket).where(*where)) or 0
    rows = session.execute(select(*_JOB_COLUMNS).where(*where).order_by(*order).limit(LIMIT)).all()
    return _jobs(session, rows, zone), total


def board(session: Session, *, zone: dt.tzinfo) -> dict[str, Any]:
    """Jobs to give out (by city and district, oldest first, each with its suggestion) and jobs given
    out (by appointment), with how many of each there are."""
    engineers, outlets = _names(session)
    found = rules(session)
    waiting, waiting_total = _on_site(session, "to_dispatch", (Ticket.city, Ticket.district, Ticket.opened_at), zone)
    for item in waiting:
        item["suggestion"] = suggest(found, item, engineers, outlets)
        item["district_shown"] = item["district"] or regions.district_in(
            item["address"], (r.district for r in found if regions.city_key(r.city) == regions.city_key(item["city"])))
    given, given_total = _on_site(session, "dispatched", (Ticket.appointment_start, Ticket.id), zone)
    for item in given:
        item["engineer"] = engineers.get(item["engineer_id"] or 0, "")
        item["outlet"] = outlets.get(item["outlet_id"] or 0, "")
    return {"to_dispatch": waiting, "to_dispatch_total": waiting_total, "dispatched": given,
            "dispatched_total": given_total}


def ticket(session: Session, ticket_id: int, *, zone: dt.tzinfo) -> dict[str, Any] | None:
    """One on-site ticket for the dispatch form, with its suggestion and who has it now."""
    row = session.execute(select(*_JOB_COLUMNS).where(Ticket.id == ticket_id, Ticket.workflow == "on_site")).one_or_none()
    if row is None:
        return None
    item = _jobs(session, [row], zone)[0]
    engineers, outlets = _names(session)
    item["suggestion"] = suggest(rules(session), item, engineers, outlets)
    item["engineer"] = engineers.get(item["engineer_id"] or 0, "")
    item["outlet"] = outlets.get(item["outlet_id"] or 0, "")
    return item


def choices(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The active engineers (with their outlet) and outlets a job may be given to."""
    engineers = session.execute(
        select(Engineer.id, Engineer.name, ServiceOutlet.name, ServiceOutlet.city)
        .outerjoin(ServiceOutlet, ServiceOutlet.id == Engineer.outlet_id)
        .where(Engineer.active.is_(True)).order_by(ServiceOutlet.city, Engineer.name)
    ).all()
    outlets = session.execute(select(ServiceOutlet.id, ServiceOutlet.name, ServiceOutlet.city)
                              .where(ServiceOutlet.active.is_(True)).order_by(ServiceOutlet.city, ServiceOutlet.name)).all()
    return {
        "engineers": [{"id": i, "name": n, "outlet": o or "", "city": c or ""} for i, n, o, c in engineers],
        "outlets": [{"id": i, "name": n, "city": c} for i, n, c in outlets],
    }


def reviews(session: Session, *, zone: dt.tzinfo) -> list[dict[str, Any]]:
    """Completion reports awaiting review, oldest first, with their job, parts and engineer."""
    reports = list(session.scalars(
        select(CompletionReport).join(Ticket, Ticket.id == CompletionReport.ticket_id)
        .where(CompletionReport.review == "pending", Ticket.state == "completed")
        .options(selectinload(CompletionReport.parts)).order_by(CompletionReport.completed_at).limit(LIMIT)))
    if not reports:
        return []
    rows = session.execute(select(*_JOB_COLUMNS).where(Ticket.id.in_([r.ticket_id for r in reports]))).all()
    jobs = {j["id"]: j for j in _jobs(session, rows, zone)}
    engineers, _ = _names(session)
    return [{
        "report": r, "job": jobs[r.ticket_id], "engineer": engineers.get(r.engineer_id or 0, ""),
        "arrived_at": r.arrived_at.astimezone(zone) if r.arrived_at else None,
        "completed_at": r.completed_at.astimezone(zone), "total": r.labour_charge + r.parts_charge,
    } for r in reports]


def due_today(session: Session, engineer_id: int, *, now: dt.datetime, zone: dt.tzinfo) -> int:
    """An engineer's jobs for today: on site now, and appointments today or overdue."""
    jobs = work_list(session, engineer_id, now=now, zone=zone)
    return len(jobs["on_site"]) + len(jobs["today"])


def review_count(session: Session) -> int:
    """Completion reports (完工单) waiting for a supervisor's review."""
    return session.scalar(select(func.count()).select_from(CompletionReport).join(
        Ticket, Ticket.id == CompletionReport.ticket_id).where(
        CompletionReport.review == "pending", Ticket.state == "completed")) or 0
