"""The rules of field work, pure: appointment windows, money, parts lines and who pays.

Times are entered as a local day and two local times (``CTI_TIMEZONE``) and kept as aware
UTC. An appointment window starts at most :data:`PAST_GRACE` ago (a job given out for the
window that is under way) and at most :data:`MAX_AHEAD` from now, ends after it starts and
lasts at most :data:`MAX_WINDOW`. Charges are for out-of-warranty work only (``warranty ==
"out"``): in warranty, or with no warranty known, labour and every part are free.

Refusals are :class:`DispatchError`: ``code`` names the message (``dispatch.error.<code>`` in
the catalogs), ``field`` the form field it belongs to.

>>> import zoneinfo; zone = zoneinfo.ZoneInfo("Asia/Shanghai")
>>> now = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
>>> [t.isoformat() for t in appointment("2026-12-02", "09:00", "12:00", zone=zone, now=now)]
['2026-12-02T01:00:00+00:00', '2026-12-02T04:00:00+00:00']
>>> charges("out", money("80"), [PartLine("压缩机电容", 2, money("35.5"))])
(Decimal('80.00'), Decimal('71.00'))
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "MAX_AHEAD", "MAX_MONEY", "MAX_PARTS", "MAX_QUANTITY", "MAX_WINDOW", "PAST_GRACE", "DispatchError", "PartLine",
    "appointment", "charges", "check_window", "local_moment", "money", "part_line", "quantity",
]  # fmt: skip

PAST_GRACE = dt.timedelta(hours=1)
MAX_AHEAD = dt.timedelta(days=14)
MAX_WINDOW = dt.timedelta(hours=12)
MAX_MONEY = Decimal("100000")  # yuan, one amount; more is a typing slip
MAX_QUANTITY = 999
MAX_PARTS = 20
MAX_PART_NAME = 120
CENT = Decimal("0.01")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}$")
_MONEY = re.compile(r"^\d{1,9}(\.\d{1,2})?$")


class DispatchError(ValueError):
    """Refused input or a refused change; ``code`` is the message (``dispatch.error.<code>``), ``field``
    the form field it is about (``""``: the form as a whole), ``params`` the message's values."""

    def __init__(self, code: str, field: str = "", **params: Any) -> None:
        super().__init__(f"{code} ({field}): {params}" if params else f"{code} ({field})")
        self.code, self.field, self.params = code, field, params


@dataclass(frozen=True, slots=True)
class PartLine:
    name: str
    quantity: int
    unit_price: Decimal  # yuan; 0 when the part is free (in warranty)

    @property
    def total(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


def local_moment(day: str, time: str, zone: dt.tzinfo, *, field: str) -> dt.datetime:
    """``YYYY-MM-DD`` and ``HH:MM`` on the local clock, as aware UTC.

    >>> import zoneinfo
    >>> local_moment("2026-12-02", "9:30", zoneinfo.ZoneInfo("Asia/Shanghai"), field="start").isoformat()
    '2026-12-02T01:30:00+00:00'
    """
    day, time = (day or "").strip(), (time or "").strip()
    if not _DAY.match(day):
        raise DispatchError("bad_day", "day")
    if not _TIME.match(time):
        raise DispatchError("bad_time", field)
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise DispatchError("bad_day", "day") from None
    hour, minute = (int(x) for x in time.split(":"))
    if hour > 23 or minute > 59:
        raise DispatchError("bad_time", field)
    return dt.datetime.combine(date, dt.time(hour, minute), tzinfo=zone).astimezone(dt.UTC)


def check_window(start: dt.datetime, end: dt.datetime, now: dt.datetime) -> None:
    """Refuse a window that ends before it starts, started more than an hour ago, starts more than
    14 days ahead or lasts more than 12 hours."""
    if end <= start:
        raise DispatchError("window_order", "end")
    if start < now - PAST_GRACE:
        raise DispatchError("window_past", "start")
    if start > now + MAX_AHEAD:
        raise DispatchError("window_too_far", "day", days=MAX_AHEAD.days)
    if end - start > MAX_WINDOW:
        raise DispatchError("window_too_long", "end", hours=int(MAX_WINDOW.total_seconds() // 3600))


def appointment(day: str, start: str, end: str, *, zone: dt.tzinfo, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The window a dispatcher typed (local day, local start and end), checked, as aware UTC."""
    begins = local_moment(day, start, zone, field="start")
    ends = local_moment(day, end, zone, field="end")
    check_window(begins, ends, now)
    return begins, ends


def money(text: str | None, field: str = "") -> Decimal:
    """An amount in yuan as typed (``80``, ``35.5``, ``¥1,200.00``; empty is 0), two decimals.

    >>> money(""), money("¥1,200.5")
    (Decimal('0.00'), Decimal('1200.50'))
    """
    value = (text or "").strip().lstrip("¥￥").replace(",", "").replace("，", "").strip()
    if not value:
        return Decimal("0.00")
    if not _MONEY.match(value):
        raise DispatchError("bad_money", field)
    try:
        amount = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise DispatchError("bad_money", field) from None
    if amount > MAX_MONEY:
        raise DispatchError("money_too_big", field, max=f"{MAX_MONEY:,}")
    return amount


def quantity(text: str | None, field: str = "") -> int:
    value = (text or "").strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_QUANTITY:
        raise DispatchError("bad_quantity", field, max=MAX_QUANTITY)
    return int(value)


def part_line(name: str | None, qty: str | None, price: str | None, *, row: int) -> PartLine | None:
    """One row of the parts table as typed; None when the row is left empty. The quantity may be
    left out (1); a quantity or a price without a name is refused."""
    name = " ".join((name or "").split())
    if not name:
        if (qty or "").strip() or (price or "").strip():
            raise DispatchError("part_name_missing", f"part_{row}")
        return None
    if len(name) > MAX_PART_NAME:
        raise DispatchError("part_name_too_long", f"part_{row}", max=MAX_PART_NAME)
    count = quantity(qty, f"part_{row}") if (qty or "").strip() else 1
    return PartLine(name, count, money(price, f"part_{row}"))


def charges(warranty: str, labour: Decimal, parts: Sequence[PartLine]) -> tuple[Decimal, Decimal]:
    """(labour charge, parts charge) of a job. Only out-of-warranty work is charged: in warranty (or
    with no warranty known) any labour charge or part price is refused."""
    if len(parts) > MAX_PARTS:
        raise DispatchError("too_many_parts", "parts", max=MAX_PARTS)
    parts_charge = sum((p.total for p in parts), Decimal("0.00")).quantize(CENT)
    if warranty != "out" and (labour > 0 or parts_charge > 0):
        raise DispatchError("charges_in_warranty", "charges")
    return labour.quantize(CENT), parts_charge
