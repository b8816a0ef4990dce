"""Agents and the PBX: log in to and out of queues, pause with a reason, resume — from the console.

An agent acts on their own phone; a supervisor (manager, admin) on the phones of the people in their
branch and below (:func:`may_control`; a phone no login is bound to belongs to the head office). Each action is one AMI action (``QueueAdd``, ``QueueRemove``, ``QueuePause``
with ``Reason``) through a :class:`Pbx` port (``cti/app.py`` adapts the AMI gateway to it; this package
does not import ``cti.ami``), and each is audited with who, what, on whom and what the PBX answered.
The console does not change the floor itself: the PBX's events (``QueueMemberPause``, ``…Added``,
``…Removed``) do, as for a pause keyed on the phone.

After-call work (:class:`WrapUp`): with ``CTI_WRAP_UP_SECONDS`` set, an agent who has just finished a
call is paused with the wrap-up reason and resumed after that many seconds (a sweep every second reads
the floor, so a restart in between still resumes them); an agent who paused for something else in the
meantime is left alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cti.audit import record
from cti.events import CallEnded
from cti.org.tree import EVERYTHING, Scope
from cti.supervision.live import Floor

log = logging.getLogger(__name__)
SUPERVISING = frozenset({"supervisor", "manager", "admin"})
ACTIONS = ("login", "logout", "pause", "unpause")


class PbxUnavailable(Exception):
    """The PBX is not connected, or did not answer: nothing is known to have changed."""


class PbxRefused(Exception):
    """The PBX answered with an error (its message: "Interface not found", "Member not dynamic" …)."""


class Pbx(Protocol):
    async def queue_add(self, *, queue: str, interface: str, member_name: str) -> None: ...
    async def queue_remove(self, *, queue: str, interface: str) -> None: ...
    async def queue_pause(self, *, interface: str, paused: bool, reason: str) -> None: ...
    async def queues(self) -> list[str]: ...


class ControlError(Exception):
    """Refused before anything reached the PBX (``code``: not_allowed, unknown_reason, no_queue, no_phone)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    role: str
    interface: str | None  # the phone the login is bound to
    scope: Scope = EVERYTHING  # their branch and below (cti.org)


def may_control(actor: Actor, interface: str, unit_of: Callable[[str], int | None]) -> bool:
    """An agent their own phone; a supervisor, manager or admin a phone whose person sits in their scope."""
    if actor.interface and actor.interface == interface:
        return True
    return actor.role in SUPERVISING and actor.scope.covers(unit_of(interface))


class AgentControl:
    def __init__(self, db: Any, pbx: Pbx, reasons: Sequence[str], wrap_up_reason: str,
                 unit_of: Callable[[str], int | None] = lambda interface: None,
                 unit_of_queue: Callable[[str], int | None] = lambda queue: None) -> None:
        self._db = db
        self._pbx = pbx
        self._unit_of = unit_of  # the unit of the person a phone belongs to
        self._unit_of_queue = unit_of_queue  # the unit a queue is placed in (queue_settings)
        self.reasons = tuple(reasons)
        self.wrap_up_reason = wrap_up_reason

    async def queues(self) -> list[str]:
        """The PBX's queues (what an agent may log in to)."""
        return sorted(await self._pbx.queues())

    async def login(self, actor: Actor, interface: str, queue: str, member_name: str) -> None:
        self._check(actor, interface)
        if queue not in await self.queues():
            raise ControlError("no_queue")
        if not actor.scope.covers(self._unit_of_queue(queue)):
            raise ControlError("not_allowed")  # another branch's queue
        await self._run(actor, "login", interface, {"queue": queue},
                        self._pbx.queue_add(queue=queue, interface=interface, member_name=member_name))

    async def logout(self, actor: Actor, interface: str, queue: str) -> None:
        self._check(actor, interface)
        await self._run(actor, "logout", interface, {"queue": queue},
                        self._pbx.queue_remove(queue=queue, interface=interface))

    async def pause(self, actor: Actor, interface: str, reason: str) -> None:
        """Paused in every queue, with ``reason`` (one of the configured reasons)."""
        self._check(actor, interface)
        if reason not in self.reasons and reason != self.wrap_up_reason:
            raise ControlError("unknown_reason")
        await self._run(actor, "pause", interface, {"reason": reason},
                        self._pbx.queue_pause(interface=interface, paused=True, reason=reason))

    async def unpause(self, actor: Actor, interface: str) -> None:
        self._check(actor, interface)
        await self._run(actor, "unpause", interface, {},
                        self._pbx.queue_pause(interface=interface, paused=False, reason=""))

    def _check(self, actor: Actor, interface: str) -> None:
        if not interface:
            raise ControlError("no_phone")
        if not may_control(actor, interface, self._unit_of):
            raise ControlError("not_allowed")

    async def _run(self, actor: Actor, action: str, interface: str, what: dict[str, Any], sent: Any) -> None:
        """Send the action; audit it with the PBX's answer whatever that was; raise what went wrong."""
        try:
            await sent
        except PbxRefused as refused:
            await self._audit(actor, action, interface, what, f"refused: {refused}")
            raise
        except PbxUnavailable:
            await self._audit(actor, action, interface, what, "no answer")
            raise
        await self._audit(actor, action, interface, what, "ok")

    async def _audit(self, actor: Actor, action: str, interface: str, what: dict[str, Any], result: str) -> None:
        def write(session: Any) -> None:
            record(session, actor=actor.username, entity="queue_member", entity_id=interface,
                   action=f"pbx.{action}", after={**what, "pbx": result})
        await self._db.write(write)


class WrapUp:
    """After-call work started by itself after each call, ended after ``seconds`` (0: off)."""

    def __init__(self, pbx: Pbx, floor: Floor, seconds: int, reason: str, clock: Callable[[], float]) -> None:
        self._pbx = pbx
        self._floor = floor
        self.seconds = seconds
        self.reason = reason
        self._clock = clock
        self.started = self.ended = 0

    async def handle_batch(self, events: Sequence[object]) -> None:
        """Pause the agents who talked on each call that ended (not those already paused)."""
        if not self.seconds:
            return
        talked = {leg for e in events if type(e) is CallEnded and _wrapped(e) for leg in _talked(e)}
        for interface in sorted(talked):
            agent = self._floor.agents.get(interface)
            if agent is None or agent.paused:
                continue
            try:
                await self._pbx.queue_pause(interface=interface, paused=True, reason=self.reason)
                self.started += 1
            except (PbxUnavailable, PbxRefused) as exc:
                log.info("after-call work of %s not started: %s", interface, exc)

    async def sweep(self) -> None:
        """Resume the agents whose after-call work has lasted its time (a job every second)."""
        if not self.seconds:
            return
        now = self._clock()
        for agent in list(self._floor.agents.values()):
            if agent.state == "wrap_up" and now - agent.since >= self.seconds:
                try:
                    await self._pbx.queue_pause(interface=agent.interface, paused=False, reason="")
                    self.ended += 1
                except (PbxUnavailable, PbxRefused) as exc:
                    log.info("after-call work of %s not ended: %s", agent.interface, exc)


def _wrapped(e: CallEnded) -> bool:
    """After-call work follows a queue call a customer talked on (not an agent's own call, nor one that failed)."""
    return bool(e.queue) and e.disposition.value in ("answered", "transferred")


def _talked(e: CallEnded) -> set[str]:
    """The interfaces that talked on a call: whoever answered and the last agent (after a transfer)."""
    return {i for i in (e.answered_by, e.last_agent) if i}
