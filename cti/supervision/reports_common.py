"""What every report query shares: the query (period, region, view), the region's filter, and CSAT of the
follow-up ratings grouped by what they rate."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cti.campaigns.models import SurveyRating
from cti.dispatch.models import ServiceRegion
from cti.org.tree import EVERYTHING, Scope
from cti.supervision.metrics import Csat, csat
from cti.supervision.report_figures import Period
from cti.tickets.models import Ticket


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """What a report is asked for: its period, a region (a city; "" for all) and, for some, a view."""

    period: Period
    region: str
    zone: dt.tzinfo
    now: dt.datetime
    view: str = ""  # the engineers' report: "engineer" or "outlet"
    scope: Scope = EVERYTHING  # who asks: the queues and agents of their branch and below (cti.org)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        return self.period.bounds(self.zone)


def regions(session: Session) -> list[str]:
    """The regions a report can be narrowed to: the cities of the dispatch regions."""
    return list(session.scalars(select(ServiceRegion.city).distinct().order_by(ServiceRegion.city)))


def in_region(stmt: Select, column: Any, region: str) -> Select:
    return stmt.where(column == region) if region else stmt


def ratings_by(session: Session, query: ReportQuery, key: Any) -> dict[Any, Csat]:
    """CSAT of the follow-up ratings given in the period (docs/METRICS.md, "Reports"), grouped by ``key`` (a
    column or expression over ``survey_ratings`` and ``tickets``; rows whose key is NULL or "" are left out).
    A rating counts on the day it was given: once a period is over, its CSAT no longer changes."""
    start, end = query.bounds()
    return ratings_between(session, start, end, key, region=query.region)


def ratings_between(session: Session, start: dt.datetime, end: dt.datetime, key: Any, *,
                    region: str = "") -> dict[Any, Csat]:
    """CSAT of the ratings given from ``start`` to ``end`` grouped by ``key`` (the reports', the wallboard's day)."""
    stmt = (select(key, SurveyRating.rating, func.count()).outerjoin(Ticket, Ticket.id == SurveyRating.ticket_id)
            .where(SurveyRating.keyed_at >= start, SurveyRating.keyed_at < end)
            .group_by(key, SurveyRating.rating))
    grouped: dict[Any, list[int]] = defaultdict(list)
    for name, rating, n in session.execute(in_region(stmt, Ticket.city, region)):
        if name not in (None, ""):
            grouped[name] += [rating] * n
    return {name: csat(values) for name, values in grouped.items()}


def csat_cells(value: Csat | None) -> dict[str, Any]:
    """A row's CSAT columns: the satisfied share, the mean rating, how many ratings."""
    if value is None:
        return {"csat": None, "csat_mean": None, "ratings": 0}
    return {"csat": value.share, "csat_mean": value.mean, "ratings": value.ratings}
