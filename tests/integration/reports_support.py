"""Rows the reports' tests insert as the service would have written them: calls, customers with products,
tickets with their SLA clocks and completion reports, ratings, callbacks; and the report table of a page."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from zoneinfo import ZoneInfo

from cti.calls.models import Call
from cti.campaigns.models import Campaign, CampaignContact, SurveyRating
from cti.customers.models import Customer, Product
from cti.dispatch.models import CompletionPart, CompletionReport, Engineer, ServiceOutlet, ServiceRegion
from cti.tickets.models import SlaClock, Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)
_ROW = re.compile(r'<tr data-testid="report-row">(.*?)</tr>', re.S)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)


def local(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> dt.datetime:
    """A moment of November 2026 (by default) in Shanghai, as UTC."""
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(dt.UTC)


def table(page: str) -> list[list[str]]:
    """The report table's rows as the user reads them."""
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in _CELL.findall(row)] for row in _ROW.findall(page)]


def call(call_id: str, at: dt.datetime, disposition: str | None, *, wait: int | None, talk: int | None = None,
         agent: str = "", queue: str = "support", customer_id: int | None = None, last_agent: str = "") -> Call:
    answered = disposition in ("answered", "transferred")
    return Call(call_id=call_id, direction="inbound", caller_raw="13800138000", caller_e164="+8613800138000",
                queue=queue, customer_id=customer_id, offered_at=at, answered_at=at if answered else None,
                ended_at=None if disposition is None else at + dt.timedelta(seconds=(wait or 0) + (talk or 0)),
                wait_seconds=wait, talk_seconds=talk if answered else None, disposition=disposition,
                answered_by=agent if answered else "", last_agent=last_agent or agent)


async def add(db, *rows) -> None:
    async with db.session() as s:
        s.add_all(rows)
        await s.commit()


async def customer(db, name: str, city: str = "", products: tuple[tuple[str, dt.date], ...] = ()) -> int:
    async with db.session() as s:
        row = Customer(name=name, city=city, products=[Product(model=m, purchase_date=d) for m, d in products])
        s.add(row)
        await s.commit()
        return row.id


async def region(db, city: str) -> None:
    await add(db, ServiceRegion(city=city))


async def outlet_with_engineers(db, outlet: str, *engineers: str) -> tuple[int, list[int]]:
    async with db.session() as s:
        row = ServiceOutlet(name=outlet, city="上海")
        s.add(row)
        await s.flush()
        people = [Engineer(name=name, outlet_id=row.id) for name in engineers]
        s.add_all(people)
        await s.commit()
        return row.id, [p.id for p in people]


async def ticket(db, customer_id: int, service_type: str, opened_at: dt.datetime, *, model: str = "", city: str = "",
                 engineer_id: int | None = None, outlet_id: int | None = None, resolved_at: dt.datetime | None = None,
                 clocks: tuple[tuple[str, dict], ...] = (), parts: tuple[tuple[str, int], ...] = ()) -> int:
    """A ticket as opened then; ``clocks``: (kind, SlaClock fields); ``parts``: a completion report's parts."""
    workflow = {"repair": "on_site", "complaint": "complaint"}.get(service_type, "note_only")
    async with db.session() as s:
        row = Ticket(number=f"T{next(_numbers):06d}", customer_id=customer_id, product_model=model,
                     service_type=service_type, workflow=workflow, state="new", opened_by="test", opened_at=opened_at,
                     city=city, engineer_id=engineer_id, outlet_id=outlet_id, resolved_at=resolved_at,
                     is_open=resolved_at is None)
        s.add(row)
        await s.flush()
        s.add_all(SlaClock(ticket_id=row.id, kind=kind, **fields) for kind, fields in clocks)
        if parts:
            report = CompletionReport(ticket_id=row.id, engineer_id=engineer_id, completed_at=opened_at,
                                      parts=[CompletionPart(name=n, quantity=q) for n, q in parts])
            s.add(report)
        await s.commit()
        return row.id


def kept(budget: float = 3600, used: float = 1800, at: dt.datetime | None = None) -> dict:
    return {"budget_seconds": budget, "used_seconds": used, "stopped_at": at or local(10, 9)}


def running(due: dt.datetime, budget: float = 3600) -> dict:
    return {"budget_seconds": budget, "used_seconds": 0, "running_since": due - dt.timedelta(seconds=budget),
            "due_at": due}


async def rating(db, ticket_id: int, value: int, at: dt.datetime, *, agent: str = "",
                 engineer_id: int | None = None) -> None:
    """A follow-up's rating of a ticket, given ``at``."""
    async with db.session() as s:
        campaign = await s.scalar(Campaign.__table__.select().where(Campaign.name == "回访").with_only_columns(
            Campaign.id))
        if campaign is None:
            row = Campaign(name="回访", kind="survey", feed="resolved")
            s.add(row)
            await s.flush()
            campaign = row.id
        contact = CampaignContact(campaign_id=campaign, e164="+8613800138000", ticket_id=ticket_id, source="resolved")
        s.add(contact)
        await s.flush()
        s.add(SurveyRating(contact_id=contact.id, campaign_id=campaign, rating=value, ticket_id=ticket_id, agent=agent,
                           engineer_id=engineer_id, keyed_at=at))
        await s.commit()
