"""Each person's work not yet done: what their home page lists and the header counts.

* an agent (and anyone who takes calls): callbacks due, satisfaction follow-ups given to them, open
  tickets given to them (late ones apart), customer notifications owed on them;
* an engineer: today's jobs (on site now, appointments today or overdue);
* a supervisor, manager or administrator, besides their own: open escalations of the levels they
  acknowledge, tickets at risk or with a broken promise, completion reports to review.

One read (:func:`work_of`); each domain counts its own with its public functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cti.campaigns import callbacks, surveys
from cti.dispatch import queries as dispatch
from cti.dispatch.service import engineer_of
from cti.tickets import escalations
from cti.tickets import queries as tickets
from cti.tickets.push import AUDIENCE

SUPERVISING = ("supervisor", "manager", "admin")


@dataclass(frozen=True, slots=True)
class Item:
    key: str  # todo.<key> in the catalogs
    count: int
    href: str  # where the work is
    urgent: bool = False  # late: shown in red


def work_of(session: Session, user_id: int, role: str, now: dt.datetime, zone: ZoneInfo) -> list[dict[str, Any]]:
    """What ``user_id`` still owes, in the order to do it; items with nothing to do are left out."""
    items: list[Item] = []
    if role == "engineer":
        engineer = engineer_of(session, user_id)
        if engineer is not None:
            items.append(Item("jobs_today", dispatch.due_today(session, engineer.id, now=now, zone=zone), "/work"))
        return [asdict(i) for i in items if i.count]
    mine = tickets.waiting_on(session, user_id)
    items += [Item("callbacks_due", callbacks.due_count(session, user_id, now), "/callbacks", urgent=True),
              Item("followups", surveys.followup_count(session, user_id), "/callbacks"),
              Item("tickets_late", mine["tickets_late"], "/tickets?mine=1", urgent=True),
              Item("tickets_mine", mine["tickets"], "/tickets?mine=1"),
              Item("notifications", mine["notifications"], "/tickets?mine=1")]
    if role in SUPERVISING:
        levels = tuple(level for level, roles in AUDIENCE.items() if role in roles)
        promises = tickets.promise_counts(session)
        items += [Item("escalations", escalations.open_count(session, levels), "/escalations", urgent=True),
                  Item("tickets_breached", promises["breached"], "/tickets?sla=breached", urgent=True),
                  Item("tickets_at_risk", promises["at_risk"], "/tickets?sla=at_risk"),
                  Item("reviews", dispatch.review_count(session), "/dispatch")]
    return [asdict(i) for i in items if i.count]
