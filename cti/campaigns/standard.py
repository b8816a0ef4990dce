"""The campaigns every hotline starts with, created by ``cti serve`` when none on their feed exists.

* 未接来电回拨 — callbacks of abandoned calls (feed ``abandoned``): running;
* 预约回拨 — callbacks agents schedule (feed ``scheduled``): running;
* 服务回访 — satisfaction follow-ups of resolved tickets (feed ``resolved``): running, 2 h after, 100 %;
* 维修通知 — repair notifications as automatic calls (feed ``notifications``): a draft, until a supervisor
  starts it (the hotline decides whether customers are told by a machine).

Calling hours 09:00–20:00 every day in the callee's time, China's statutory holidays skipped. A
supervisor changes any of it on the campaign pages; a campaign stopped (finished) is not created again.
The caller ID is the PBX's default until a supervisor sets the hotline's number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cti.campaigns.feeds import ABANDONED, DEFAULT_MIN_WAIT, DEFAULT_SURVEY_DELAY, NOTIFICATIONS, RESOLVED, SCHEDULED
from cti.campaigns.models import Campaign
from cti.store.dialects import lock_for_transaction

DAYTIME = {str(day): [["09:00", "20:00"]] for day in range(7)}
OWNER_MINUTES = 30

STANDARD: tuple[dict[str, Any], ...] = (
    {"feed": ABANDONED, "name": "未接来电回拨", "kind": "callback", "state": "running", "context": "hotline-callback",
     "rules": {"min_wait_seconds": DEFAULT_MIN_WAIT}, "max_concurrent": 5, "per_minute": 10},
    {"feed": SCHEDULED, "name": "预约回拨", "kind": "callback", "state": "running", "context": "hotline-callback",
     "rules": {"owner_minutes": OWNER_MINUTES}, "max_concurrent": 5, "per_minute": 10},
    {"feed": RESOLVED, "name": "服务回访", "kind": "survey", "state": "running", "context": "hotline-survey",
     "rules": {"delay_minutes": DEFAULT_SURVEY_DELAY, "sample": {}}, "max_concurrent": 5, "per_minute": 10,
     "retry": {"no_answer": [3600, 3], "busy": [900, 3], "congestion": [900, 3], "failed": [1800, 2],
               "no_input": [86400, 2]}},
    {"feed": NOTIFICATIONS, "name": "维修通知", "kind": "notification", "state": "draft", "context": "hotline-notify",
     "rules": {}, "max_concurrent": 3, "per_minute": 6},
)


def ensure_standard(session: Session, now: dt.datetime, *, caller_id: str = "") -> list[str]:
    """Create the standard campaigns whose feed has no campaign yet; their names. Two services starting
    together on one database take turns here, so the second finds the first's campaigns."""
    lock_for_transaction(session, "campaigns.standard")
    have = set(session.scalars(select(Campaign.feed).where(Campaign.feed != "")))
    created = []
    for spec in STANDARD:
        if spec["feed"] in have:
            continue
        name = spec["name"]
        if session.scalar(select(Campaign.id).where(Campaign.name == name)) is not None:
            name = f"{name} ({spec['feed']})"  # a campaign of the hotline's own has the name
        session.add(Campaign(**(spec | {"name": name}), window=DAYTIME, allow_holidays=False, caller_id=caller_id,
                             created_by="system", created_at=now, updated_at=now))
        created.append(name)
    return created
