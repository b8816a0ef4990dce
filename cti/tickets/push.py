"""Live ticket news on the consoles: a bus subscriber turning ticket events into hub messages.

* :class:`~cti.events.TicketEscalated` → ``escalation`` ``{id, ticket_id, number, level, reason, at,
  customer}`` to those who must act: level 1 to supervisors, managers and admins, level 2 to
  managers and admins. :class:`~cti.events.EscalationAcknowledged` → ``escalation_ack`` ``{id,
  ticket_id, level, by, at}`` to the same people, so the item leaves every open list.
* :class:`~cti.events.SlaAlarm` → ``sla`` ``{ticket_id, number, kind, status, due}`` to the ticket's
  assignee and the supervisors (at most ``SLA_PUSH_MAX`` per batch to each supervisor: a backlog
  announced after a long stop must not flood a console off its channel).
* :class:`~cti.events.TicketChanged` → ``ticket`` ``{id, number, state, sla}`` to the assignee and the
  engineer's login, if any.

It also keeps the open (unacknowledged) escalations, read from the tables at start and after every
SLA tick and followed event by event in between, so a console that connects is shown them
(:meth:`open_for`, in the ``/ws`` snapshot): a second tab, a supervisor logging in later, every
console after a restart. A refresh that overlapped an event of this process is dropped (the next
one will do): it might not include that event's change. Users by role are cached ``ROLES_TTL`` s.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from cti.events import EscalationAcknowledged, SlaAlarm, TicketChanged, TicketEscalated
from cti.push import Hub
from cti.tickets import escalations
from cti.users import service as users

log = logging.getLogger(__name__)
ROLES_TTL = 5.0
SUPERVISORS = ("supervisor", "manager", "admin")
AUDIENCE = {1: SUPERVISORS, 2: ("manager", "admin")}  # who is told of, and sees, an escalation of each level
SLA_PUSH_MAX = 100


def _iso(ts: float | None) -> str | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


class TicketPush:
    def __init__(self, db: Any, hub: Hub, clock: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._hub = hub
        self._clock = clock
        self._roles: dict[str, list[int]] = {}
        self._roles_at = -ROLES_TTL
        self._open: dict[int, dict[str, Any]] = {}  # escalation id -> its message data
        self._version = 0  # changes made by events: a refresh read during one is not used
        self.sent = 0

    async def refresh(self) -> None:
        """Read the open escalations again (another process may have raised or acknowledged some)."""
        version = self._version
        rows = await self._db.read(escalations.open_ones)
        if version == self._version:
            self._open = {row["id"]: row for row in rows}

    def open_for(self, role: str) -> list[dict[str, Any]]:
        """The open escalations a user of ``role`` acts on: level 2 first, newest first."""
        mine = [m for m in self._open.values() if role in AUDIENCE.get(m["level"], ())]
        return sorted(mine, key=lambda m: (m["level"], m["at"], m["id"]), reverse=True)

    async def _people(self) -> dict[str, list[int]]:
        now = self._clock()
        if now - self._roles_at >= ROLES_TTL:
            async with self._db.session() as session:
                self._roles = await users.ids_by_role(session)
            self._roles_at = now
        return self._roles

    def _with_roles(self, people: dict[str, list[int]], roles: Sequence[str]) -> set[int]:
        return {uid for role in roles for uid in people.get(role, ())}

    async def handle_batch(self, events: Sequence[object]) -> None:
        wanted = (TicketEscalated, EscalationAcknowledged, SlaAlarm, TicketChanged)
        mine = [e for e in events if type(e) in wanted]
        if not mine:
            return
        people = await self._people()
        supervisors = self._with_roles(people, SUPERVISORS)
        sla_sent: dict[int, int] = {}
        for event in mine:
            kind = type(event)
            if kind is TicketEscalated:
                data = {"id": event.escalation_id, "ticket_id": event.ticket_id, "number": event.number,
                        "level": event.level, "reason": event.reason, "at": _iso(event.at), "customer": event.customer}
                self._open[event.escalation_id] = data
                self._version += 1
                self._send(self._with_roles(people, AUDIENCE.get(event.level, ())), "escalation", data)
            elif kind is EscalationAcknowledged:
                self._open.pop(event.escalation_id, None)
                self._version += 1
                data = {"id": event.escalation_id, "ticket_id": event.ticket_id, "level": event.level, "by": event.by,
                        "at": _iso(event.at)}
                self._send(self._with_roles(people, AUDIENCE.get(event.level, ())), "escalation_ack", data)
            elif kind is SlaAlarm:
                data = {"ticket_id": event.ticket_id, "number": event.number, "kind": event.kind,
                        "status": event.status, "due": _iso(event.due)}
                told = {uid for uid in supervisors if sla_sent.get(uid, 0) < SLA_PUSH_MAX}
                for uid in told:
                    sla_sent[uid] = sla_sent.get(uid, 0) + 1
                if event.assignee_id is not None:
                    told.add(event.assignee_id)
                self._send(told, "sla", data)
            else:  # TicketChanged
                to = {uid for uid in (event.assignee_id, event.engineer_user_id) if uid is not None}
                self._send(to, "ticket", {"id": event.ticket_id, "number": event.number, "state": event.state,
                                          "sla": event.sla_status})

    def _send(self, user_ids: set[int], type_: str, data: dict[str, Any]) -> None:
        if user_ids:
            self._hub.send_many(user_ids, type_, data)
            self.sent += len(user_ids)
