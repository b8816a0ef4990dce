"""Warranty status of a product: in warranty, expiring within 30 days, or expired.

>>> import datetime as dt
>>> warranty(dt.date(2025, 1, 31), 12, today=dt.date(2026, 1, 15))
Warranty(ends=datetime.date(2026, 1, 31), status='expiring', days_left=16)
>>> warranty(dt.date(2024, 2, 29), 24, today=dt.date(2026, 3, 1)).status
'expired'
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

EXPIRING_DAYS = 30


@dataclass(frozen=True, slots=True)
class Warranty:
    ends: dt.date  # last day covered
    status: str  # in_warranty | expiring | expired
    days_left: int  # negative once expired


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def warranty(purchase_date: dt.date, months: int, *, today: dt.date) -> Warranty:
    ends = add_months(purchase_date, max(months, 0))
    days_left = (ends - today).days
    if days_left < 0:
        status = "expired"
    elif days_left <= EXPIRING_DAYS:
        status = "expiring"
    else:
        status = "in_warranty"
    return Warranty(ends=ends, status=status, days_left=days_left)
